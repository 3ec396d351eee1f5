/**
 * Sweeps and the run scheduler: the sweep spec, preview (points, impossible ones and why,
 * estimated time), start, pause, resume, cancel, reprioritise, how many workers run at once,
 * progress ("run 5 of 12, ETA 3 min"), and the sweeps recorded in the store.
 *
 * The sweep spec: a base run (a preset or a model spec, a dataset with an optional subset,
 * hyperparameters), axes to vary, and how to pick points from them (grid or seeded random).
 * The same schema reads a CLI file (YAML or JSON), an IPC message and an HTTP body.
 *
 *   name: kernel size vs epochs
 *   base:
 *     preset: lenet5-swish            # or model: { inputShape, numClasses, layers: [...] }
 *     dataset: cifar10                # input shape and classes follow the dataset
 *     subset: { train: 6000, test: 1000 }
 *     hyperparameters: { learningRate: 0.001, batchSize: 64 }
 *   axes:
 *     kernelSize: [3, 5, 7]           # every conv layer; layers[2].kernelSize for one
 *     epochs: [5, 10, 15]             # folded: one 15-epoch run per kernel size
 *     learningRate: { min: 0.0001, max: 0.01, steps: 3, scale: log }
 *   method: grid                      # or random / tpe, with trials: N and samplerSeed
 *   pruner: { type: asha }            # optional: stop poor runs early (or type: median)
 *   optimize: { metric: val_accuracy }  # what TPE and the pruner optimise
 *   repeats: 3                        # seeds seed, seed+1, seed+2
 */
import { z } from 'zod';
import { BackendName } from './app.ts';
import { ClusterCancelResult } from './clusters.ts';
import { method } from './define.ts';
import { AxisValue, RunBase, RunStatus } from './runs.ts';
import { CoreText, ProblemText } from './coreText.ts';
import { ImpossiblePoint, SweepImportance } from './sweepImportance.ts';

// What sweeps.importance answers lives in sweepImportance.ts; importers of sweeps.ts keep finding it here.
export * from './sweepImportance.ts';

const Id = z.number().int().positive();

/** Never expanded, even with yes: a million runs is a typo, not a plan. */
export const hardLimit = 1_000_000;

/** sweeps.start answers with the ids of at most this many of the runs it queued. */
export const startAnswerRunIds = 1000;

/**
 * Axes named for what they set across the model: `kernelSize`, `filters`, `strides`, `padding` set
 * every conv layer, `pooling` every pooling layer, `activation` every conv and dense layer,
 * `dropout` every dropout layer; the others set one hyperparameter or the dataset. `layers[i].field`
 * and `hyperparameters.field` name any other setting (core/sweeps/axes.ts says what each does).
 */
export const NamedAxis = z.enum([
  'kernelSize',
  'filters',
  'strides',
  'padding',
  'pooling',
  'activation',
  'epochs',
  'batchSize',
  'learningRate',
  'optimizer',
  'dropout',
  'dataset',
  'seed',
  'momentum',
  'validationSplit',
  'backend',
]);
export type NamedAxis = z.infer<typeof NamedAxis>;

export const AxisRange = z
  .object({
    min: z.number({ error: 'must be a number' }),
    max: z.number({ error: 'must be a number' }),
    /** Grid: how many values from min to max inclusive. Random search samples the interval and ignores it. */
    steps: z.number().int().min(1).max(100_000).optional(),
    scale: z.enum(['linear', 'log']).default('linear'),
  })
  .strict()
  .superRefine((range, ctx) => {
    if (range.min > range.max)
      ctx.addIssue({
        code: 'custom',
        message: `min (${range.min}) is greater than max (${range.max})`,
        path: ['min'],
        params: { textCode: 'issue_sweep_min_above_max', min: range.min, max: range.max },
      });
    if (range.scale === 'log' && range.min <= 0)
      ctx.addIssue({
        code: 'custom',
        message: `a log scale needs min > 0 (got ${range.min})`,
        path: ['min'],
        params: { textCode: 'issue_sweep_log_min', min: range.min },
      });
  });
export type AxisRange = z.output<typeof AxisRange>;

export const AxisValues = z.union([z.array(AxisValue).min(1, 'an axis needs at least one value'), AxisRange], {
  // zod's own union error says only "Invalid input"; say what an axis takes.
  error: 'expected a list of values (numbers, words, true/false, pooling kinds, number lists) or a range { min, max, steps, scale }',
});
export type AxisValues = z.output<typeof AxisValues>;

/** Metrics every epoch records: the ones a pruner can compare at an epoch's end. */
export const epochMetrics = ['val_accuracy', 'val_loss', 'accuracy', 'loss'] as const;
export type EpochMetric = (typeof epochMetrics)[number];

/**
 * What the search optimises: a metric's value at a run's last epoch (for a pruned run, at the
 * epoch it stopped). `direction` defaults to the metric's own (accuracy up, loss down).
 */
export const Optimize = z
  .object({
    metric: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_@./-]{0,99}$/, 'must be a metric name such as val_accuracy')
      .default('val_accuracy'),
    direction: z.enum(['maximize', 'minimize']).optional(),
  })
  .strict();
export type Optimize = z.output<typeof Optimize>;

/**
 * Stops poor runs early, decided at each epoch's end from the sweep's other runs at the same
 * epoch (core/sweeps/search/asha.ts, medianStopping.ts).
 */
export const PrunerSpec = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('median'),
        /** Nothing is stopped before this many runs have completed. */
        startupTrials: z.number().int().min(0).max(1000).default(5),
        /** Nothing is stopped in a run's first warmupEpochs epochs. */
        warmupEpochs: z.number().int().min(0).max(10_000).default(0),
        /** Decide every this many epochs after the warm-up. */
        intervalEpochs: z.number().int().min(1).max(10_000).default(1),
      })
      .strict(),
    z
      .object({
        type: z.literal('asha'),
        /** r: the first rung's epoch. */
        minEpochs: z.number().int().min(1).max(10_000).default(1),
        /** η: rungs at r·η^k; a run goes on from a rung while in the top 1/η of the runs there. */
        reductionFactor: z.number().int().min(2).max(100).default(3),
        /** s: the first rung at r·η^s. */
        minEarlyStoppingRate: z.number().int().min(0).max(20).default(0),
      })
      .strict(),
  ],
  { error: "expected { type: 'median' | 'asha', … }" },
);
export type PrunerSpec = z.output<typeof PrunerSpec>;

export const SweepSpec = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    /** Experiment to file the sweep under (created when missing). */
    experiment: z.string().trim().min(1).max(200).optional(),
    base: RunBase,
    axes: z.record(z.string(), AxisValues).default({}),
    /** grid: every combination; random: `trials` seeded draws; tpe: `trials` points proposed one at a time from finished ones. */
    method: z.enum(['grid', 'random', 'tpe']).default('grid'),
    /** Random search and TPE: how many points to try. */
    trials: z.number().int().min(1).max(hardLimit).optional(),
    /** Stop starting runs this many minutes after the sweep starts (running ones finish). */
    timeBudgetMinutes: z
      .number()
      .positive()
      .max(60 * 24 * 365)
      .optional(),
    /** Seed of the random-search or TPE sampler (not of the runs). */
    samplerSeed: z.number().int().nonnegative().default(0),
    /** What TPE and the pruner optimise, and what importance explains. */
    optimize: Optimize.default({ metric: 'val_accuracy' }),
    pruner: PrunerSpec.optional(),
    /** Runs per point; repeat r trains with seed + r, so the spread of a point is visible. */
    repeats: z.number().int().min(1).max(100).default(1),
    /** Epoch folding (on by default where valid): train the largest epoch count once, derive the others. */
    fold: z.boolean().default(true),
    /** Higher runs first; the scheduler breaks ties by age. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** Confirms a grid larger than 10,000 runs. */
    yes: z.boolean().default(false),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.method === 'random' && spec.trials === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'random search needs a trial count',
        path: ['trials'],
        params: { textCode: 'issue_sweep_random_trials' },
      });
    if (spec.method === 'tpe' && spec.trials === undefined && spec.timeBudgetMinutes === undefined)
      ctx.addIssue({
        code: 'custom',
        message: 'TPE needs a budget: a trial count, a time budget (timeBudgetMinutes) or both',
        path: ['trials'],
        params: { textCode: 'issue_sweep_tpe_budget' },
      });
    if (spec.method === 'tpe' && (spec.trials ?? 0) > 100_000)
      ctx.addIssue({ code: 'custom', message: 'TPE proposes at most 100,000 trials', path: ['trials'] });
    if (spec.method === 'grid' && spec.trials !== undefined)
      ctx.addIssue({ code: 'custom', message: 'trials applies to methods random and tpe only', path: ['trials'] });
    if (spec.pruner && !(epochMetrics as readonly string[]).includes(spec.optimize.metric))
      ctx.addIssue({
        code: 'custom',
        message: `a pruner compares a metric every epoch records (${epochMetrics.join(', ')}); ${spec.optimize.metric} is not one`,
        path: ['optimize', 'metric'],
      });
  });
export type SweepSpec = z.output<typeof SweepSpec>;
export type SweepSpecInput = z.input<typeof SweepSpec>;

/**
 * 'pending': its runs are still being queued (nothing of it is claimed yet); 'paused': the user
 * paused it (its queued runs wait, and a queueing still going on carries on without starting any).
 */
export const SweepStatus = z.enum(['pending', 'paused', 'running', 'completed', 'canceled', 'failed']);
export type SweepStatus = z.infer<typeof SweepStatus>;

/** A sweep as the store records it. */
export const Sweep = z.object({
  id: Id,
  uuid: z.string(),
  experimentId: Id.nullable(),
  name: z.string(),
  spec: z.unknown(),
  status: SweepStatus,
  /** Where its runs train: 'here' (this machine's scheduler, agents with its token may help) or 'agents' only (sent to a cluster). */
  runsOn: z.enum(['here', 'agents']),
  createdAt: z.number(),
  runCounts: z.partialRecord(RunStatus, z.number().int()),
  /** The spec's axes in order, each with the run param that holds its value (`layers[2].kernelSize` → `layers.2.kernelSize`). */
  axes: z.array(z.object({ name: z.string(), param: z.string() })),
  /** The best value of the sweep's main metric (validation accuracy where recorded) and the run that has it; null before any. */
  best: z.object({ metric: z.string(), value: z.number(), runId: Id }).nullable(),
});
export type Sweep = z.infer<typeof Sweep>;

export const SweepPointOut = z.object({
  index: z.number().int(),
  values: z.record(z.string(), AxisValue),
  repeat: z.number().int(),
  seed: z.number().int(),
  dataset: z.string(),
  epochs: z.number().int(),
  role: z.enum(['train', 'derived', 'impossible']),
  /** For a derived point: the index of the point whose run it is folded into. */
  foldedInto: z.number().int().nullable(),
  error: z.string().nullable(),
  /** `error`'s problems one by one with their coded forms, or null. */
  errorCodes: z.array(ProblemText).nullable(),
  /** Estimated seconds for this point alone (0 for derived and impossible points). */
  estimatedSeconds: z.number(),
});
export type SweepPointOut = z.infer<typeof SweepPointOut>;

export const SweepEstimate = z.object({
  /** Wall-clock estimate for the whole sweep with `workers` running at once. */
  seconds: z.number(),
  workers: z.number().int(),
  /** 'measured': from completed runs' samples/s on this machine; 'rough-default': no run finished yet. */
  source: z.enum(['measured', 'rough-default']),
  detail: z.string(),
  /** `detail` coded (absent from older cores). */
  detailCode: CoreText.optional(),
});

/** Whether a sweep folds epochs and why (not): the sentence, and its coded form (absent in plans stored before codes). */
export const Folding = z.object({ enabled: z.boolean(), reason: z.string(), reasonCode: CoreText.optional() });
export type Folding = z.infer<typeof Folding>;

export const SweepPreview = z.object({
  /** Runs the sweep records: trained + derived (impossible points excluded). */
  planned: z.number().int(),
  trained: z.number().int(),
  derived: z.number().int(),
  impossible: z.number().int(),
  folding: Folding,
  estimate: SweepEstimate,
  /** The points (the first 5,000 when there are more; see truncated). */
  points: z.array(SweepPointOut),
  truncated: z.boolean(),
  /** How the sweep searches: for TPE `points` are its first proposals (its seeded startup draws). */
  search: z.object({
    method: z.enum(['grid', 'random', 'tpe']),
    trials: z.number().int().nullable(),
    timeBudgetMinutes: z.number().nullable(),
    optimize: z.object({ metric: z.string(), direction: z.enum(['maximize', 'minimize']) }),
    pruner: z.string().nullable(),
  }),
  /** With a pruner: the epochs and time it is expected to save (an expectation; `assumption` says which). */
  pruning: z
    .object({
      seconds: z.number(),
      savedSeconds: z.number(),
      trainedEpochs: z.number().int(),
      expectedEpochs: z.number(),
      assumption: z.string(),
    })
    .nullable(),
});
export type SweepPreview = z.infer<typeof SweepPreview>;

export const SweepProgress = z.object({
  sweepId: Id,
  status: SweepStatus,
  planned: z.number().int(),
  impossible: z.number().int(),
  done: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  canceled: z.number().int(),
  running: z.number().int(),
  queued: z.number().int(),
  interrupted: z.number().int(),
  /** Runs the sweep's pruner stopped early. */
  pruned: z.number().int(),
  derived: z.number().int(),
  etaSeconds: z.number().nullable(),
  /** "run 5 of 12, ETA 3 min 10 s", or "queueing 40,000 of 100,000 runs" while sweeps.start queues it */
  text: z.string(),
  /** `text` as a code with parameters, for the page (coreText.ts). */
  textCode: CoreText,
  /** While sweeps.start is still queueing the sweep: runs queued so far and in all; else null. */
  queueing: z.object({ queued: z.number().int(), total: z.number().int() }).nullable().default(null),
});
export type SweepProgress = z.infer<typeof SweepProgress>;

/** A duration as SweepProgress.text and the CLI write it: "45 s", "3 min 10 s", "2 h 5 min". */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const Concurrency = z.object({
  /** The backend whose budget applies to this process's runs. */
  backend: BackendName,
  /** How many runs this process may train at once now: the machine's budget, capped by this process's own limit. */
  workers: z.number().int(),
  /** The machine's budget by backend, shared by every process on the data folder (app, serve, CLI). */
  perBackend: z.record(BackendName, z.number().int()),
  /** Runs training on this machine now, in every process. */
  running: z.number().int(),
  /** This process's own cap under the machine's budget (`kernellab sweep --workers`), or null. */
  thisProcess: z.number().int().nullable(),
  /** The largest budget this machine takes (one per CPU); also the most threads a run may be given. */
  maxWorkers: z.number().int(),
  /** CPU threads per run set for this machine (every process on the data folder), or null: automatic. */
  threadsSetting: z.number().int().nullable(),
  /** This process's own threads per run (`kernellab train|sweep --threads`), or null. */
  threadsThisProcess: z.number().int().nullable(),
  /** The threads a run starting now computes with: alone on the machine, and beside others (as many as `workers`). */
  threads: z.object({ alone: z.number().int(), shared: z.number().int() }),
});

const IdInput = z.object({ id: Id }).strict();

export const sweepsMethods = {
  'sweeps.list': method({
    input: z.object({ experimentId: Id.optional() }).strict().default({}),
    output: z.array(Sweep),
    summary: 'Sweeps with their run counts by status.',
  }),
  'sweeps.get': method({ input: IdInput, output: Sweep, summary: 'One sweep: spec, status and run counts.' }),
  'sweeps.preview': method({
    input: z.object({ spec: SweepSpec }).strict(),
    output: SweepPreview,
    summary: 'Expands a sweep spec without queuing anything: its points, the impossible ones with reasons, folding, and an estimated time.',
  }),
  'sweeps.start': method({
    input: z
      .object({
        spec: SweepSpec,
        /** 'agents': queue it for remote agents only (a cluster); this machine does not train it. */
        runsOn: z.enum(['here', 'agents']).default('here'),
      })
      .strict(),
    output: z.object({
      sweepId: Id,
      planned: z.number().int(),
      /** Runs queued when the answer went: all of them, unless `queueing`. */
      queued: z.number().int(),
      /**
       * A big sweep answers once it and its first runs are recorded and goes on queueing in the
       * background (issue 12): true until then, with `queued` of `planned` so far; sweep.progress
       * events and sweeps.progress (its `queueing`) tell the rest. False when everything was queued.
       */
      queueing: z.boolean(),
      derived: z.number().int(),
      /** The first 100 impossible points with why; impossibleCount says how many there are. */
      impossible: z.array(ImpossiblePoint),
      impossibleCount: z.number().int(),
      /**
       * The ids of its first queued runs, at most startAnswerRunIds (1,000): a 100,000-run answer
       * carried 589 KB of ids (issue 12). `queued` counts them all; runIdsTruncated says there are
       * more, listed by `runs.list` with `sweepId`.
       */
      runIds: z.array(Id).max(startAnswerRunIds),
      runIdsTruncated: z.boolean(),
    }),
    summary:
      'Validates and queues a sweep, a chunk of runs at a time; a big one answers after its first chunk and is queued in the background (sweep.progress reports it; a restart resumes it). The scheduler starts its runs once all are queued.',
  }),
  'sweeps.pause': method({
    input: IdInput,
    output: z.object({ interrupted: z.number().int() }),
    summary: 'Pauses a sweep: no new runs start; running ones stop and can resume from their checkpoints.',
  }),
  'sweeps.resume': method({
    input: z.object({ id: Id.optional() }).strict().default({}),
    output: z.object({ sweepIds: z.array(Id), requeued: z.number().int() }),
    summary: 'Resumes a sweep (or every unfinished one): interrupted runs are queued again and continue from their checkpoints.',
  }),
  'sweeps.cancel': method({
    input: IdInput,
    output: z.object({
      canceled: z.number().int(),
      /** A sweep sent to a cluster: the jobs cancelled (scancel, Job deleted) and what could not be. */
      clusterJobs: ClusterCancelResult.optional(),
    }),
    summary: "Cancels a sweep's queued, interrupted and running runs (runs on agents stop at their next report) and its cluster jobs.",
  }),
  'sweeps.setConcurrency': method({
    input: z
      .object({
        workers: z.number().int().min(1).max(256).optional(),
        /**
         * CPU threads each run computes with (wasm's XNNPACK threads, TensorFlow's intra-op pool);
         * null: automatic — every core for a run alone, an equal share when several train at once.
         */
        threads: z.number().int().min(1).max(256).nullable().optional(),
        backend: BackendName.optional(),
        /** 'machine' (default): every process on this data folder; 'process': this process only, under the machine's budget. */
        scope: z.enum(['machine', 'process']).default('machine'),
      })
      .strict()
      .refine((input) => input.workers !== undefined || input.threads !== undefined, {
        message: 'give workers, threads or both',
        path: ['workers'],
      }),
    output: Concurrency,
    summary:
      "How many runs train at once on this machine (per backend, shared by the app, serve and the CLI) and with how many CPU threads each, or this process's own; changed while running (threads apply to runs that start after).",
  }),
  'sweeps.concurrency': method({
    input: z.object({}).strict().default({}),
    output: Concurrency,
    summary: "How many runs train at once on this machine (per backend), how many do now, and this process's own cap.",
  }),
  'sweeps.progress': method({
    input: IdInput,
    output: SweepProgress,
    summary: 'Where a sweep stands: "run 5 of 12", counts by status, ETA.',
  }),
  'sweeps.importance': method({
    input: z
      .object({
        id: Id,
        /** The metric to explain (default: the one the sweep optimises). */
        metric: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_@./-]{0,99}$/, 'must be a metric name such as val_accuracy')
          .optional(),
      })
      .strict(),
    output: SweepImportance,
    summary:
      "Which axis mattered for a sweep's metric (fANOVA importance), each axis's marginal effect, the best so far, pruned and proposed points.",
  }),
  'sweeps.reprioritize': method({
    input: z.union(
      [z.object({ runId: Id, priority: z.number().int() }).strict(), z.object({ sweepId: Id, priority: z.number().int() }).strict()],
      // zod's own union error says only "Invalid input"; name the fields instead.
      { error: 'expected { runId, priority } or { sweepId, priority }: a positive integer id and an integer priority' },
    ),
    output: z.object({ changed: z.number().int() }),
    summary: 'Sets the priority of a run or of a whole sweep (higher starts first).',
  }),
};

export const sweepsEvents = {
  /** A sweep run started or ended, or the sweep was paused, resumed or canceled. */
  'sweep.progress': SweepProgress,
};
