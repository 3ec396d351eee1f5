/**
 * Runs: starting (runStart.ts: what one run trains), pausing, resuming and cancelling a run, its
 * live progress, and the store's read side (table rows, detail, metric series, comparisons, the
 * pivot), export, import and prediction.
 *
 * Metric values cross the wire as `number | 'NaN' | 'Infinity' | '-Infinity'`: JSON (HTTP, SSE)
 * turns NaN and ±Infinity into null, and a diverged run's NaN loss is information the user needs.
 * `decodeMetricValue` turns them back into numbers.
 */
import { z } from 'zod';
import { method } from './define.ts';
import { CoreText, ProblemText } from './coreText.ts';
import { MetricBetter, MetricKindInfo } from './metrics.ts';
import { StartRunInput } from './runStart.ts';

// What a run is started from lives in runStart.ts; importers of runs.ts keep finding it here.
export * from './runStart.ts';

/** `pruned`: a sweep's pruner stopped it early (its metrics stay; RunDetail.pruned says where). */
export const RunStatus = z.enum(['queued', 'running', 'completed', 'failed', 'canceled', 'interrupted', 'diverged', 'pruned']);
export type RunStatus = z.infer<typeof RunStatus>;

export const MetricValue = z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]);
export type MetricValue = z.infer<typeof MetricValue>;

export function encodeMetricValue(value: number): MetricValue {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  return value;
}

export function decodeMetricValue(value: MetricValue): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A metric key as a training loop writes it: `loss`, `val_accuracy`, `train/loss`. */
export const MetricKey = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:/-]+$/, 'letters, digits and _ . : / - only')
  // Every other name works as a key (constructor, toString: the maps holding them are prototype-safe);
  // this one would change what an object is in every JavaScript that reads it.
  .refine((key) => key !== '__proto__', 'the name __proto__ is reserved');

/** A parameter key after flattening: `optimizer.learningRate`, `layers.0.kernelSize`. */
export const ParamKey = z.string().min(1).max(256);
export const ParamValue = z.union([z.number(), z.string(), z.boolean(), z.null()]);
export type ParamValue = z.infer<typeof ParamValue>;

/** Which summary of a metric: `best` follows the metric's kind (metrics.ts); a metric that is not ranked has none. */
export const SummaryField = z.enum(['last', 'best', 'min', 'max']);
export type SummaryField = z.infer<typeof SummaryField>;

const Id = z.number().int().positive();

export const MetricPointOut = z.object({ step: z.number().int(), epoch: z.number().int(), wallMs: z.number(), value: MetricValue });
export type MetricPointOut = z.infer<typeof MetricPointOut>;

export const MetricSummary = z.object({
  key: MetricKey,
  last: MetricValue,
  lastStep: z.number().int(),
  best: MetricValue.nullable(),
  bestStep: z.number().int().nullable(),
  min: MetricValue.nullable(),
  max: MetricValue.nullable(),
  count: z.number().int(),
  ...MetricKindInfo.shape,
});
export type MetricSummary = z.infer<typeof MetricSummary>;

export const RunRow = z.object({
  id: Id,
  uuid: z.string(),
  name: z.string(),
  status: RunStatus,
  experimentId: Id.nullable(),
  sweepId: Id.nullable(),
  dataset: z.string(),
  backend: z.string(),
  createdAt: z.number(),
  startedAt: z.number().nullable(),
  endedAt: z.number().nullable(),
  tags: z.array(z.string()),
  /** The chosen param columns; a run without that param has null. */
  params: z.record(z.string(), ParamValue),
  /** The chosen summary columns, keyed `metric.field` (e.g. `val_accuracy.best`). */
  metrics: z.record(z.string(), MetricValue.nullable()),
});
export type RunRow = z.infer<typeof RunRow>;

export const Checkpoint = z.object({
  id: Id,
  epoch: z.number().int(),
  kind: z.enum(['best', 'last', 'epoch']),
  path: z.string(),
  bytes: z.number().int(),
  sha256: z.string(),
  metric: z.string().nullable(),
  value: MetricValue.nullable(),
  createdAt: z.number(),
});

export const Evaluation = z.object({
  split: z.string(),
  loss: MetricValue.nullable(),
  accuracy: MetricValue.nullable(),
  confusion: z.array(z.array(z.number())),
  perClass: z.array(z.object({ label: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() })),
  mostWrong: z.array(z.object({ index: z.number().int(), label: z.number().int(), predicted: z.number().int(), confidence: z.number() })),
  createdAt: z.number(),
});

export const RunDetail = RunRow.omit({ params: true, metrics: true }).extend({
  parentRunId: Id.nullable(),
  derivedFromRunId: Id.nullable(),
  derivedEpochs: z.number().int().nullable(),
  modelSpec: z.unknown(),
  device: z.string(),
  /** `device`'s coded form, for the page's language (migration 0018); null: English only (a run from before, or no code). */
  deviceCode: CoreText.nullable(),
  seed: z.number().int(),
  hyperparameters: z.unknown(),
  environment: z.unknown(),
  priority: z.number().int(),
  error: z.string().nullable(),
  /** `error`'s coded form, for the page's language (contract/coreText.ts); null: English only (a run from before, or no code). */
  errorCode: CoreText.nullable(),
  /**
   * The problems `error` lists after its heading, each the English problem and its coded form
   * (migration 0017), so the page says them too; null where the error lists none (or is from before).
   */
  errorIssues: z.array(ProblemText).nullable(),
  /** A pruned run: the epoch whose metric stopped it and its ASHA rung (null for median stopping); error says why. */
  pruned: z.object({ epoch: z.number().int(), rung: z.number().int().nullable() }).nullable(),
  params: z.record(z.string(), ParamValue),
  summary: z.array(MetricSummary),
  checkpoints: z.array(Checkpoint),
  evaluations: z.array(Evaluation),
  note: z.string(),
});
export type RunDetail = z.infer<typeof RunDetail>;

const ParamFilter = z.object({
  key: ParamKey,
  op: z.enum(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in']).default('eq'),
  value: z.union([ParamValue, z.array(ParamValue)]),
});

const MetricFilter = z.object({
  key: MetricKey,
  field: SummaryField.default('best'),
  min: z.number().optional(),
  max: z.number().optional(),
});

const MetricColumn = z.object({ key: MetricKey, field: SummaryField.default('best') });

/** Sort by a run column, a param (`param:<key>`) or a summary metric (`metric:<key>.<field>`). */
export const RunSort = z.object({
  by: z.union([
    z.enum(['id', 'name', 'status', 'createdAt', 'startedAt', 'endedAt', 'duration']),
    z.string().regex(/^param:.+$/),
    z.string().regex(/^metric:[A-Za-z0-9_.:/-]+\.(last|best|min|max)$/),
  ]),
  dir: z.enum(['asc', 'desc']).default('desc'),
});

export const ListRunsQuery = z
  .object({
    experimentId: Id.optional(),
    sweepId: Id.optional(),
    status: z.array(RunStatus).optional(),
    tag: z.string().optional(),
    params: z.array(ParamFilter).default([]),
    metrics: z.array(MetricFilter).default([]),
    paramColumns: z.array(ParamKey).max(64).default([]),
    metricColumns: z.array(MetricColumn).max(64).default([]),
    sort: RunSort.default({ by: 'id', dir: 'desc' }),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(1000).default(100),
  })
  .strict();
export type ListRunsQuery = z.input<typeof ListRunsQuery>;
export type ListRunsQueryParsed = z.output<typeof ListRunsQuery>;

/** The runs a table shows, without columns, sort or paging (what `runs.columns` looks at). */
export const RunsFilter = ListRunsQuery.pick({ experimentId: true, sweepId: true, status: true, tag: true, params: true, metrics: true });
export type RunsFilter = z.input<typeof RunsFilter>;

export const TableColumns = z.object({
  /** How many runs the filter selects. */
  runs: z.number().int(),
  /**
   * Params whose value is not the same in every selected run (the newest 2,000 of them; or that some lack), most telling
   * first: swept model fields, then hyperparameters, then data; each fact once (layers.0.kernelSize
   * is left out beside the kernelSize that says it, db/runParams.ts restatedParams), and a layer
   * field that splits the runs as an earlier column does (the layers of a preset sweep) too.
   */
  varying: z.array(ParamKey),
  /** Every param key and metric key the selected runs have. */
  params: z.array(ParamKey),
  metrics: z.array(MetricKey),
  /** The metric a table shows first: validation accuracy, else another result metric; null when none. */
  main: MetricKey.nullable(),
});
export type TableColumns = z.infer<typeof TableColumns>;

export const SeriesQuery = z
  .object({
    id: Id,
    keys: z.array(MetricKey).optional(),
    /** Downsample each series to about this many points (min/max buckets; the best point is kept). */
    maxPoints: z.number().int().min(4).max(100_000).optional(),
  })
  .strict();

export const SeriesResult = z.object({
  runId: Id,
  series: z.record(z.string(), z.array(MetricPointOut)),
  /** Points stored per key, before downsampling. */
  counts: z.record(z.string(), z.number().int()),
});
export type SeriesResult = z.infer<typeof SeriesResult>;

export const CompareQuery = z
  .object({
    ids: z.array(Id).min(1).max(200),
    diffOnly: z.boolean().default(false),
    /** Series to include; none when omitted. */
    keys: z.array(MetricKey).default([]),
    maxPoints: z.number().int().min(4).max(100_000).optional(),
  })
  .strict();
export type CompareQuery = z.input<typeof CompareQuery>;

export const CompareResult = z.object({
  runs: z.array(z.object({ id: Id, uuid: z.string(), name: z.string(), status: RunStatus })),
  /**
   * One row per param key, each fact once (a layer field the named param says is left out:
   * db/runParams.ts restatedParams); values in the order of `runs`; differs is true when they are
   * not all equal.
   */
  params: z.array(z.object({ key: z.string(), values: z.array(ParamValue), differs: z.boolean() })),
  summaries: z.array(
    z.object({
      key: z.string(),
      ...MetricKindInfo.shape,
      best: z.array(MetricValue.nullable()),
      last: z.array(MetricValue.nullable()),
      /** The run (index into `runs`) that leads on each summary; null on a tie or for a metric that is not ranked. */
      leader: z.object({ best: z.number().int().nullable(), last: z.number().int().nullable() }),
    }),
  ),
  series: z.array(z.object({ runId: Id, key: z.string(), points: z.array(MetricPointOut) })),
});
export type CompareResult = z.infer<typeof CompareResult>;

export const PivotQuery = z
  .object({
    sweepId: Id.optional(),
    experimentId: Id.optional(),
    rowParam: ParamKey,
    colParam: ParamKey,
    metric: MetricKey,
    field: SummaryField.default('best'),
    /** Only runs in these states count; default completed runs. */
    status: z.array(RunStatus).default(['completed']),
  })
  .strict();
export type PivotQuery = z.input<typeof PivotQuery>;

export const PivotResult = z.object({
  rowParam: z.string(),
  colParam: z.string(),
  metric: z.string(),
  /** Which way the cells' `best` points: the metric's kind, or the field asked for (min, max); null when not ranked. */
  better: MetricBetter,
  rows: z.array(ParamValue),
  cols: z.array(ParamValue),
  cells: z.array(
    z.object({
      row: ParamValue,
      col: ParamValue,
      count: z.number().int(),
      best: MetricValue.nullable(),
      bestRunId: Id.nullable(),
      mean: MetricValue.nullable(),
      std: MetricValue.nullable(),
      /** The spread of the cell's runs (over repeats and any axis not shown). */
      min: MetricValue.nullable(),
      max: MetricValue.nullable(),
    }),
  ),
});
export type PivotResult = z.infer<typeof PivotResult>;

export const ExportSelection = z.union(
  [z.object({ runIds: z.array(Id).min(1) }).strict(), z.object({ sweepId: Id }).strict(), z.object({ experimentId: Id }).strict()],
  // zod's own union error says only "Invalid input"; name the fields instead.
  { error: 'expected exactly one of runIds (a non-empty list of run ids), sweepId or experimentId' },
);
export type ExportSelection = z.infer<typeof ExportSelection>;

export const ExportFormat = z.enum(['json', 'csv', 'metrics-csv']);
export type ExportFormat = z.infer<typeof ExportFormat>;

export const RunProgress = z.object({
  runId: Id,
  epoch: z.number().int(),
  epochs: z.number().int(),
  batch: z.number().int(),
  batchesPerEpoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  samplesPerSec: z.number(),
});
export type RunProgress = z.infer<typeof RunProgress>;

export const Prediction = z.object({
  runId: z.number().int(),
  checkpoint: z.enum(['best', 'last']),
  predicted: z.number().int(),
  className: z.string(),
  probabilities: z.array(z.number()),
  /** The true label when the image came from the test split. */
  label: z.number().int().nullable(),
});
export type Prediction = z.infer<typeof Prediction>;

export const PredictInput = z
  .object({
    runId: z.number().int().positive(),
    /** One image as uint8 pixels, height × width × channels, row-major (HWC). */
    image: z.array(z.number().int().min(0).max(255)).optional(),
    /** Or an image of the run's dataset test split, by index. */
    testIndex: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((v) => (v.image === undefined) !== (v.testIndex === undefined), { message: 'give either image or testIndex' });

const IdInput = z.object({ id: Id }).strict();

export const runsMethods = {
  'runs.list': method({
    input: ListRunsQuery,
    output: z.object({
      total: z.number().int(),
      rows: z.array(RunRow),
      /** The kind of each metric column's key (metrics.ts): how a view ranks and colours it. */
      metricKinds: z.record(z.string(), MetricKindInfo),
    }),
    summary: 'Runs as table rows with chosen param and metric columns, filtered, sorted and paged.',
  }),
  'runs.get': method({
    input: IdInput,
    output: RunDetail,
    summary: 'One run: spec, params, metric summaries, checkpoints, evaluations, tags, note.',
  }),
  'runs.metrics': method({
    input: SeriesQuery,
    output: SeriesResult,
    summary: "A run's metric series, optionally downsampled (the best point is kept).",
  }),
  'runs.compare': method({
    input: CompareQuery,
    output: CompareResult,
    summary: 'Several runs side by side: params (optionally only those that differ), summaries, series.',
  }),
  'runs.columns': method({
    input: RunsFilter.strict().default({ params: [], metrics: [] }),
    output: TableColumns,
    summary: 'Which columns the runs a filter selects call for: the params that vary among them, every key, the main metric.',
  }),
  'runs.pivot': method({
    input: PivotQuery,
    output: PivotResult,
    summary: 'Two params as rows and columns, the best value of a metric per cell with count, mean and std.',
  }),
  'runs.setTags': method({
    input: z.object({ id: Id, tags: z.array(z.string().trim().min(1).max(64)).max(64) }).strict(),
    output: z.object({ tags: z.array(z.string()) }),
    summary: "Replaces a run's tags.",
  }),
  'runs.setNote': method({
    input: z.object({ id: Id, body: z.string().max(100_000) }).strict(),
    output: z.object({ note: z.string() }),
    summary: "Replaces a run's note (an empty note removes it).",
  }),
  'runs.delete': method({
    input: IdInput,
    output: z.object({ deleted: z.boolean() }),
    summary: 'Deletes a run with its metrics, params, checkpoints rows, tags and note.',
  }),
  'runs.export': method({
    input: z.object({ selection: ExportSelection, format: ExportFormat.default('json') }).strict(),
    output: z.object({ filename: z.string(), mediaType: z.string(), content: z.string(), runCount: z.number().int() }),
    summary: 'Exports runs (a selection, a sweep or an experiment) as JSON, a CSV table, or CSV metric points.',
  }),
  'runs.import': method({
    input: z.object({ content: z.string().max(512 * 1024 * 1024) }).strict(),
    output: z.object({ imported: z.number().int(), skipped: z.number().int() }),
    summary: 'Imports a JSON export; runs already present (same uuid) are skipped, so importing twice changes nothing.',
  }),
  'runs.importFile': method({
    input: z
      .object({
        /** In the desktop app, a token from the file dialog (main swaps it for the path before this is checked). */
        path: z
          .string()
          .min(1)
          .max(4096)
          .regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, 'expected an absolute path to a runs export file on the machine running KernelLab'),
      })
      .strict(),
    output: z.object({ imported: z.number().int(), skipped: z.number().int() }),
    summary:
      'Imports a JSON export from a file on the machine running KernelLab, read a part at a time (never whole in memory); in the desktop app the file is picked in the file dialog.',
  }),
  'runs.start': method({
    input: StartRunInput,
    output: z.object({ runId: Id }),
    summary: 'Queues one run (a preset or model spec, a dataset, hyperparameters); the scheduler starts it when a worker is free.',
  }),
  'runs.cancel': method({
    input: IdInput,
    output: z.object({ status: z.string() }),
    summary: 'Cancels a queued or interrupted run, or stops a running one within one batch.',
  }),
  'runs.pause': method({
    input: IdInput,
    output: z.object({ paused: z.boolean() }),
    summary: 'Stops a running run after its current batch so it can resume from its last checkpoint (runs.resume).',
  }),
  'runs.resume': method({
    input: IdInput,
    output: z.object({ requeued: z.boolean() }),
    summary: 'Queues an interrupted run again; it continues from its last checkpoint.',
  }),
  'runs.wait': method({
    input: z
      .object({
        id: Id,
        /** How long to wait at most; call again to keep waiting. */
        timeoutSeconds: z.number().int().min(1).max(3600).default(600),
      })
      .strict(),
    output: z.object({
      id: Id,
      status: RunStatus,
      /** True when the run has ended (completed, failed, diverged, canceled, or interrupted until resumed). */
      ended: z.boolean(),
    }),
    summary:
      'Waits until a run ends (completed, failed, diverged, canceled or interrupted) or the timeout passes, whichever process trains it, and says its status then.',
  }),
  'runs.predict': method({
    input: PredictInput,
    output: Prediction,
    summary: "Classifies one image (pixels, or a test-split index) with a run's best checkpoint (its last when none is best).",
  }),
};

export const runsEvents = {
  /** A runs.import going on: runs of the file handled so far (imported or already here) of all. */
  'runs.importProgress': z.object({
    done: z.number().int(),
    total: z.number().int(),
    imported: z.number().int(),
    skipped: z.number().int(),
  }),
  /** A run changed state (or its tags/note); summary is its metric summaries at that moment. */
  'run.updated': z.object({ runId: Id, status: RunStatus, summary: z.array(MetricSummary) }),
  /** Points just committed for one run (one event per run per batch). */
  'metrics.appended': z.object({ runId: Id, points: z.array(MetricPointOut.extend({ key: z.string() })) }),
  /** Live training progress of a run, about four times a second (batch granularity). */
  'run.progress': RunProgress,
};
