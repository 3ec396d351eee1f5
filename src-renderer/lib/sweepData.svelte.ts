import type { RunRow } from '../../src-main/core/contract/runs.ts';
import type { Sweep, SweepProgress } from '../../src-main/core/contract/sweeps.ts';
import { call } from './api.ts';
import { decodeMetric } from './format.ts';
import type { SweepRunPoint } from './sweepGrid.ts';

const knownMetricKeys = ['val_accuracy', 'accuracy', 'val_loss', 'loss'];

/** Reads a sweep's axis names from its spec (`axes: { kernelSize: [...], epochs: [...] }`). */
export function axesOf(sweep: Sweep | undefined): string[] {
  const spec = sweep?.spec as { axes?: Record<string, unknown> } | undefined;
  return spec?.axes ? Object.keys(spec.axes) : [];
}

/**
 * Everything a sweep view draws: the sweep, its progress, its runs with summary metrics, and each
 * run's axis values (from its params when the store has them as params, else from the point the
 * sweep recorded in the run's environment — fetched once per run and cached, as they never change).
 */
export class SweepData {
  readonly id: number;
  sweep = $state.raw<Sweep | undefined>();
  progress = $state.raw<SweepProgress | undefined>();
  runs = $state.raw<RunRow[]>([]);
  metricKeys = $state.raw<string[]>(knownMetricKeys);
  /** Axis values by run id; replaced as a whole, never mutated. */
  values = $state.raw<Record<number, Record<string, unknown>>>({});
  error = $state<unknown>();
  // A cache that is never rendered directly (values is its rendered snapshot).
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #valueCache = new Map<number, Record<string, unknown>>();

  constructor(id: number) {
    this.id = id;
  }

  get axes(): string[] {
    return axesOf(this.sweep);
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
    const axes = this.axes;
    const listed = await call('runs.list', {
      sweepId: this.id,
      limit: 1000,
      sort: { by: 'id', dir: 'asc' },
      paramColumns: axes,
      metricColumns: this.metricKeys.flatMap((key) => [
        { key, field: 'best' as const },
        { key, field: 'last' as const },
      ]),
    });
    this.runs = listed.rows;
    const missing = listed.rows.filter(
      (r) => !this.#valueCache.has(r.id) && axes.some((a) => r.params[a] === null || r.params[a] === undefined),
    );
    for (const r of listed.rows) if (!missing.includes(r) && !this.#valueCache.has(r.id)) this.#valueCache.set(r.id, r.params);
    // A few requests at a time: a sweep of hundreds of runs must not open hundreds of connections.
    for (let i = 0; i < missing.length; i += 8) {
      await Promise.all(
        missing.slice(i, i + 8).map(async (r) => {
          const detail = await call('runs.get', { id: r.id });
          const env = detail.environment as { sweep?: { values?: Record<string, unknown> } } | null;
          this.#valueCache.set(r.id, { ...detail.params, ...(env?.sweep?.values ?? {}) });
        }),
      );
    }
    this.values = Object.fromEntries(this.#valueCache);
  }

  points(metric: string, field: 'best' | 'last'): SweepRunPoint[] {
    return this.runs.map((r) => ({
      runId: r.id,
      values: this.values[r.id] ?? r.params,
      metric: decodeMetric(r.metrics[`${metric}.${field}`]),
    }));
  }

  duration(run: RunRow): number | null {
    return run.startedAt && run.endedAt ? run.endedAt - run.startedAt : null;
  }
}
