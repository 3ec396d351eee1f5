import type { EventPayload } from '../../src-main/core/contract/index.ts';
import type { RunDetail } from '../../src-main/core/contract/runs.ts';
import type { ModelSpecInput, ModelSummaryOutput } from '../../src-main/core/contract/training.ts';
import type { HeatCell } from '../components/Heatmap.svelte';
import type { SummaryRow } from '../components/ModelSummaryTable.svelte';
import { call } from './api.ts';
import { isDatasetName } from './contractLists.ts';
import { downloadBase64, downloadText } from './download.ts';
import type { CurvePoint } from './downsample.ts';
import { decodeMetric, formatParam, shareOfTrueClass } from './format.ts';
import { live, throttle } from './liveEvents.ts';
import { kindTable } from './metricKinds.ts';
import { chartUnit, splitChartGroups, type ChartGroup } from './runCharts.ts';
import { runProgress } from './runProgress.svelte.ts';
import { toCurve, type WirePoint, type XAxis } from './series.ts';

/** Points kept per metric when the page asks for a run's curves. */
const maxPoints = 2000;

export interface ChartSeries {
  label: string;
  points: CurvePoint[];
  dashed: boolean;
}

/**
 * One run's page: its record, its curves merged with live points, batch progress while it trains,
 * pace and ETA, the model table, the evaluation shown, and the run's actions. The view lays it
 * out; `open(id)` loads a run and listens for its updates until the returned cleanup runs.
 */
export class RunDetailState {
  id = $state(0);
  detail = $state.raw<RunDetail | undefined>();
  loadError = $state<unknown>();
  actionError = $state<unknown>();
  series = $state.raw<Record<string, WirePoint[]>>({});
  xAxis = $state<XAxis>('epoch');
  evalIndex = $state(0);
  /** The clock the running time and the ETA count with; `open` ticks it every second. */
  now = $state(Date.now());
  /** Shapes and parameters of the run's model, from the core (the spec alone has neither). */
  shapes = $state.raw<ModelSummaryOutput | undefined>();
  /** Per-batch loss and accuracy from live progress events, drawn under the per-epoch curves. */
  liveBatches = $state.raw<{ loss: CurvePoint[]; accuracy: CurvePoint[] }>({ loss: [], accuracy: [] });
  /**
   * The worst mistakes as pictures (PNG data URLs by test index), when the dataset is on this
   * machine. Replaced whole when they arrive, never changed in place: a plain Map in $state.raw.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  mistakeImages = $state.raw<ReadonlyMap<number, string>>(new Map());
  exportingModel = $state(false);

  /** Loads run `id` and follows it (run.updated, metrics.appended, run.progress); returns the cleanup. */
  open(id: number): () => void {
    this.id = id;
    this.detail = undefined;
    this.series = {};
    this.liveBatches = { loss: [], accuracy: [] };
    void this.loadDetail();
    void this.loadSeries();
    runProgress.watch();
    const reloadDetail = throttle(() => void this.loadDetail(), 400);
    const offs = [
      live.on('run.updated', (p) => {
        if (p.runId === this.id) reloadDetail();
      }),
      live.on('metrics.appended', (p) => this.appendPoints(p)),
      live.on('run.progress', (p) => this.addBatch(p)),
    ];
    const clock = setInterval(() => (this.now = Date.now()), 1000);
    return () => {
      for (const off of offs) off();
      clearInterval(clock);
    };
  }

  async loadDetail(): Promise<void> {
    try {
      this.detail = await call('runs.get', { id: this.id });
      this.loadError = undefined;
    } catch (e) {
      this.loadError = e;
    }
  }

  async loadSeries(): Promise<void> {
    try {
      const result = await call('runs.metrics', { id: this.id, maxPoints });
      this.series = result.series;
    } catch (e) {
      this.loadError = e;
    }
  }

  /** Live points of this run join its curves (points of other runs are ignored). */
  appendPoints(p: EventPayload<'metrics.appended'>): void {
    if (p.runId !== this.id) return;
    const next = { ...this.series };
    for (const point of p.points) next[point.key] = [...(next[point.key] ?? []), point];
    this.series = next;
  }

  /** A live batch of this run: its loss and accuracy at fractional epoch x. */
  addBatch(p: EventPayload<'run.progress'>): void {
    if (p.runId !== this.id) return;
    const x = p.epoch - 1 + p.batch / Math.max(1, p.batchesPerEpoch);
    this.liveBatches = {
      loss: [...this.liveBatches.loss, { x, y: p.loss }],
      accuracy: [...this.liveBatches.accuracy, { x, y: p.accuracy }],
    };
  }

  readonly kinds = $derived(this.detail ? kindTable(this.detail.summary) : {});
  readonly charts = $derived(splitChartGroups(Object.keys(this.series), this.kinds));
  /** The images/s the run measured (its last epoch), shown when no batch reports a live rate. */
  readonly measuredRate = $derived(decodeMetric(this.detail?.summary.find((s) => s.key === 'samples_per_sec')?.last));
  readonly epochKeys = $derived(Object.keys(this.series).filter((k) => !k.startsWith('batch/')));
  /** The run's params, sorted; layer fields (layers.2.kernelSize) are left to the model table. */
  readonly params = $derived(
    this.detail
      ? Object.entries(this.detail.params)
          .filter(([k]) => !k.startsWith('layers.'))
          .sort(([a], [b]) => a.localeCompare(b))
      : [],
  );
  readonly totalEpochs = $derived(this.detail ? Number(this.detail.params.epochs) || null : null);
  /** Time since the run started, until it ended (null before it started). */
  readonly elapsed = $derived(this.detail?.startedAt ? (this.detail.endedAt ?? this.now) - this.detail.startedAt : null);

  /** Epochs done, time per epoch, and the ETA, from the stored points' wall clock. */
  readonly pace = $derived.by(() => {
    const key = this.epochKeys.find((k) => k === 'loss') ?? this.epochKeys[0];
    const points = key ? this.series[key] : undefined;
    const detail = this.detail;
    if (!points?.length || !detail) return null;
    const last = points.at(-1)!;
    const epochsDone = last.epoch;
    const elapsed = detail.startedAt ? (detail.endedAt ?? this.now) - detail.startedAt : last.wallMs;
    const perEpoch = epochsDone > 0 ? elapsed / epochsDone : null;
    const left =
      this.totalEpochs && perEpoch !== null && detail.status === 'running' ? Math.max(0, this.totalEpochs - epochsDone) * perEpoch : null;
    return { epochsDone, perEpoch, eta: left, elapsed };
  });

  /** Batch-level progress while the run trains: the ETA from the fraction done so far. */
  readonly batch = $derived.by(() => {
    const p = runProgress.byRun.get(this.id);
    const fraction = runProgress.fraction(this.id);
    if (!p || fraction === null || !this.detail?.startedAt || this.detail.status !== 'running') return null;
    const elapsed = this.now - this.detail.startedAt;
    return { ...p, fraction, eta: fraction > 0.01 ? (elapsed / fraction) * (1 - fraction) : null };
  });

  /** Asks the core for the model's shapes; the view calls it in an $effect, so a new spec asks again. */
  loadShapes(): void {
    const spec = this.detail?.modelSpec;
    if (!spec) return;
    // The spec the run recorded (runs.get types it unknown: an imported run may hold anything);
    // the core validates it again, and the table stays without shapes when it refuses.
    call('training.summary', { spec: spec as ModelSpecInput }).then(
      (result) => (this.shapes = result),
      () => (this.shapes = undefined),
    );
  }

  /** The model table: each layer of the recorded spec and the output, with the core's shapes where known. */
  readonly summaryRows = $derived.by((): SummaryRow[] => {
    const spec = this.detail?.modelSpec as { layers?: Record<string, unknown>[]; numClasses?: number } | undefined;
    if (!spec?.layers) return [];
    return [...spec.layers, { type: 'output', units: spec.numClasses }].map((layer, index) => {
      const row = this.shapes?.rows.find((r) => r.index === index);
      return {
        index,
        type: String(layer.type),
        outputShape: row?.outputShape ?? [],
        params: row?.params ?? 0,
        receptiveField: row?.receptiveField,
        detail: Object.entries(layer)
          .filter(([k]) => k !== 'type')
          .map(([k, v]) => `${k}=${formatParam(v)}`)
          .join(' '),
      };
    });
  });

  /** One chart's lines: stored curves on the chosen x axis (scaled to their unit), then live batches. */
  chartSeries(title: string, keys: string[]): ChartSeries[] {
    const out = keys.map((k) => {
      const { scale } = chartUnit(k);
      const points = toCurve(this.series[k] ?? [], this.xAxis);
      return {
        label: k,
        points: scale === 1 ? points : points.map((p) => ({ x: p.x, y: p.y * scale })),
        dashed: k.startsWith('val_') || k.startsWith('test_'),
      };
    });
    const batch = title === 'loss' ? this.liveBatches.loss : title === 'accuracy' ? this.liveBatches.accuracy : [];
    // Batch progress has no wall time or step of its own: it is drawn on the epoch axis only.
    if (batch.length && this.xAxis === 'epoch') out.push({ label: `${title} (batches, live)`, points: batch, dashed: false });
    return out;
  }

  /** The main charts; before the first epoch ends, live batches still get a loss and an accuracy chart. */
  readonly shownGroups: ChartGroup[] = $derived(
    this.charts.main.length || !this.liveBatches.loss.length
      ? this.charts.main
      : [
          { title: 'loss', keys: [] },
          { title: 'accuracy', keys: [] },
        ],
  );

  readonly evaluation = $derived(this.detail?.evaluations[this.evalIndex]);
  readonly classLabels = $derived(this.evaluation ? this.evaluation.perClass.map((c) => c.label) : []);
  /** The confusion matrix as heatmap cells: each row a true class, coloured by its share of that class. */
  readonly confusionCells = $derived.by((): HeatCell[] => {
    if (!this.evaluation) return [];
    const cells: HeatCell[] = [];
    this.evaluation.confusion.forEach((row, t) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      row.forEach((count, p) =>
        cells.push({
          row: t,
          col: p,
          value: count / total,
          text: String(count),
          detail: shareOfTrueClass(count, total, String(this.classLabels[t] ?? t)),
        }),
      );
    });
    return cells;
  });

  /** Fetches the worst mistakes' images from the run's test split; the view calls it in an $effect. */
  loadMistakeImages(): void {
    const indices = this.evaluation?.mostWrong.map((w) => w.index) ?? [];
    const dataset = this.detail?.dataset;
    if (indices.length === 0 || !dataset || !isDatasetName(dataset)) return;
    call('datasets.samples', { name: dataset, split: 'test', indices: indices.slice(0, 64) }).then(
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, as above
      (result) => (this.mistakeImages = new Map(result.samples.map((s) => [s.index, s.png]))),
      // Without the dataset (deleted, or recorded elsewhere) the gallery keeps its index placeholders.
      // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, as above
      () => (this.mistakeImages = new Map()),
    );
  }

  async control(action: 'runs.cancel' | 'runs.resume'): Promise<void> {
    try {
      this.actionError = undefined;
      await call(action, { id: this.id });
      await this.loadDetail();
    } catch (e) {
      this.actionError = e;
    }
  }

  /** model.json + weights.bin (a TF.js Layers model of the best checkpoint) and run.json, as three downloads. */
  async exportModel(): Promise<void> {
    this.exportingModel = true;
    try {
      const exported = await call('runs.exportModel', { id: this.id, checkpoint: 'best' });
      for (const file of exported.files) downloadBase64(file.name, file.base64, file.mediaType);
    } catch (e) {
      this.actionError = e;
    } finally {
      this.exportingModel = false;
    }
  }

  async exportRun(): Promise<void> {
    try {
      const file = await call('runs.export', { selection: { runIds: [this.id] }, format: 'json' });
      downloadText(file.filename, file.content, file.mediaType);
    } catch (e) {
      this.actionError = e;
    }
  }
}
