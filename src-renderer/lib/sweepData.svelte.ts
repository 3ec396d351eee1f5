import type { ParamValue, RunRow, SummaryField } from '../../src-main/core/contract/runs.ts';
import type { Sweep, SweepProgress } from '../../src-main/core/contract/sweeps.ts';
import type { MetricKindInfo } from '../../src-main/core/contract/metrics.ts';
import { call } from './api.ts';
import { decodeMetric } from './format.ts';
import { gridFromPivot, type SweepGridData } from './sweepGrid.ts';

const knownMetricKeys = ['val_accuracy', 'accuracy', 'val_loss', 'loss'];

/** A sweep axis and the run param that holds its value (the store names it: Sweep.axes). */
export type SweepAxis = Sweep['axes'][number];

/** One run of a sweep as the charts take it: its axis values (by axis name) and the chosen metric. */
export interface SweepRunPoint {
  runId: number;
  values: Record<string, ParamValue>;
  metric: number | null;
}

/** Runs whose cells the grid shows: finished ones with their values, unfinished ones as pending cells. */
const gridStatuses = ['completed', 'running', 'queued', 'interrupted'] as const;

/**
 * Everything a sweep view draws: the sweep, its progress, its runs with their axis params and
 * summary metrics (one runs.list), and the two-axis grid (the store's runs.pivot). Axis values
 * are the runs' params — the store derives every one of them — so no run is fetched one by one.
 */
export class SweepData {
  readonly id: number;
  sweep = $state.raw<Sweep | undefined>();
  progress = $state.raw<SweepProgress | undefined>();
  runs = $state.raw<RunRow[]>([]);
  metricKeys = $state.raw<string[]>(knownMetricKeys);
  /** How each metric ranks, as the store's registry says (runs.list). */
  metricKinds = $state.raw<Record<string, MetricKindInfo>>({});
  error = $state<unknown>();

  constructor(id: number) {
    this.id = id;
  }

  get axes(): SweepAxis[] {
    return this.sweep?.axes ?? [];
  }

  axis(name: string): SweepAxis | undefined {
    return this.axes.find((a) => a.name === name);
  }

  async load(): Promise<void> {
    try {
      const [sweep, progress] = await Promise.all([
        call('sweeps.get', { id: this.id }),
        call('sweeps.progress', { id: this.id }).catch(() => undefined),
      ]);
      this.sweep = sweep;
      this.progress = progress;
      await this.loadRuns();
      this.error = undefined;
    } catch (error) {
      this.error = error;
    }
  }

  async loadRuns(): Promise<void> {
    const listed = await call('runs.list', {
      sweepId: this.id,
      limit: 1000,
      sort: { by: 'id', dir: 'asc' },
      paramColumns: this.axes.map((a) => a.param).filter((p, i, all) => all.indexOf(p) === i),
      metricColumns: this.metricKeys.flatMap((key) => [
        { key, field: 'best' as const },
        { key, field: 'last' as const },
      ]),
    });
    this.runs = listed.rows;
    this.metricKinds = listed.metricKinds;
  }

  /** Which way a metric is better ('max' for one that is not ranked: the colour scale needs a direction). */
  better(metric: string): 'max' | 'min' {
    return this.metricKinds[metric]?.better ?? 'max';
  }

  /** A run's axis values, by axis name. */
  valuesOf(run: RunRow): Record<string, ParamValue> {
    return Object.fromEntries(this.axes.map((a) => [a.name, run.params[a.param] ?? null]));
  }

  points(metric: string, field: 'best' | 'last'): SweepRunPoint[] {
    return this.runs.map((r) => ({ runId: r.id, values: this.valuesOf(r), metric: decodeMetric(r.metrics[`${metric}.${field}`]) }));
  }

  /** The grid of two axes (by name) for a metric summary, from the store's pivot of this sweep. */
  async grid(rowAxis: string, colAxis: string, metric: string, field: SummaryField): Promise<SweepGridData | null> {
    const row = this.axis(rowAxis);
    const col = this.axis(colAxis);
    if (!row || !col) return null;
    const pivot = await call('runs.pivot', {
      sweepId: this.id,
      rowParam: row.param,
      colParam: col.param,
      metric,
      field,
      status: [...gridStatuses],
    });
    return gridFromPivot(pivot);
  }

  duration(run: RunRow): number | null {
    return run.startedAt && run.endedAt ? run.endedAt - run.startedAt : null;
  }
}
