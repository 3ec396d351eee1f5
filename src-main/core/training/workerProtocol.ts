import { z } from 'zod';
import { BackendProbe, RunBackend } from '../contract/app.ts';
import { GpuAdapter } from '../gpuhost/gpuAdapter.ts';
import { EngineCheck } from '../contract/engines.ts';
import { RunProgress } from '../contract/runs.ts';
import { CoreText, ProblemText } from '../contract/coreText.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { EpochLogs } from './checkpointState.ts';
import { ExportModelRequest, InferRequest, Inferred, ModelExported } from './inferenceProtocol.ts';

const RunId = z.number().int().positive();

/**
 * Messages between main and a worker process. Both sides parse what they receive with these
 * schemas and throw on an unknown type: a worker of another version must fail loudly.
 * Epochs and batches are counted from 1 in every message, as Keras prints them.
 */
export const TrainRequest = z.object({
  type: z.literal('train'),
  /** The run's id in the store; every message about it carries it. */
  runId: RunId,
  spec: ModelSpec,
  hyperparameters: Hyperparameters,
  /** Folder that holds the installed datasets (core/datasets layout). */
  datasetsDir: z.string(),
  dataset: z.enum(['mnist', 'fashion-mnist', 'cifar10']),
  /** The run's own folder: checkpoints go under checkpoints/{last,best}. */
  runDir: z.string(),
  /** Continue from runDir/checkpoints/last instead of starting fresh. */
  resume: z.boolean().default(false),
  /** Train/test on a stratified subset: this many images per class (quick runs and tests). */
  subset: z
    .object({ trainPerClass: z.number().int().positive().optional(), testPerClass: z.number().int().positive().optional() })
    .default({}),
  /** Stop after this many epochs in this process even if more remain (tests of resume). */
  stopAfterEpochs: z.number().int().positive().optional(),
  /**
   * Epoch folding (sweeps): also evaluate on the test split right after each of these epochs
   * (before the last), sent as evaluation messages with `epoch` set.
   */
  evaluateAtEpochs: z.array(z.number().int().positive()).default([]),
  /**
   * CPU threads this run may use, decided by the scheduler: every core for a run alone, cores ÷
   * workers under a sweep. Absent = every core. (TensorFlow's intra-op pool; wasm's XNNPACK pool, at most 8.)
   */
  threads: z.number().int().min(1).max(1024).optional(),
  /**
   * Stop at once when main has sent no heartbeat for this long (ms): a main that stalled loses its
   * lease soon after, and its worker must not keep writing checkpoints into a run folder another
   * process may resume from. Absent: no watchdog (tests driving a worker directly).
   */
  watchdogMs: z.number().int().positive().optional(),
  /** Disk limit of the run's per-epoch weight snapshots in bytes (0: none); absent: the default. */
  snapshotLimitBytes: z.number().int().nonnegative().optional(),
});
export type TrainRequest = z.output<typeof TrainRequest>;

/** Loads the tensorflow engine named in the worker's environment and checks a conv step against cpu. */
export const EngineCheckRequest = z.object({ type: z.literal('engineCheck') });

export const ToWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('probe') }),
  EngineCheckRequest,
  TrainRequest,
  z.object({ type: z.literal('cancel') }),
  /** Main is alive (see TrainRequest.watchdogMs). */
  z.object({ type: z.literal('heartbeat') }),
  /** The predictor: the worker stays up, answers each request by id, and keeps models loaded (inference.ts). */
  InferRequest,
  ExportModelRequest,
]);
export type ToWorker = z.input<typeof ToWorker>;

/** Recorded in a run's environment under `runtime`. */
export const RunRuntime = z.object({
  /** CPU threads the backend computes with (TensorFlow intra-op threads; wasm XNNPACK threads). */
  threads: z.number().int().positive(),
  tensorflow: z.object({ version: z.string(), variant: z.enum(['cpu', 'gpu']).nullable(), usingGpu: z.boolean() }).optional(),
  gpu: z.object({ name: z.string(), memoryMiB: z.number(), driver: z.string(), cuda: z.string().nullable() }).nullable().optional(),
  /** Why the run does not train where it might have (a GPU it could not use, an engine that did not load) and on what it runs instead. */
  fallback: z.string().nullable().optional(),
  /** The WebGPU or WebGL adapter of a run trained in a browser GPU host. */
  adapter: GpuAdapter.optional(),
});
export type RunRuntime = z.infer<typeof RunRuntime>;

const Metric = z.number();

export const TrainBegin = z.object({
  type: z.literal('trainBegin'),
  runId: RunId,
  backend: RunBackend,
  device: z.string(),
  /** `device` coded (contract/coreText.ts), for the page's and the CLI's language; absent where only the English says it. */
  deviceCode: CoreText.optional(),
  totalParams: z.number().int(),
  trainCount: z.number().int(),
  validationCount: z.number().int(),
  testCount: z.number().int(),
  epochs: z.number().int(),
  batchesPerEpoch: z.number().int(),
  /** 1 for a fresh run; the first epoch this process trains when resuming. */
  startEpoch: z.number().int(),
  /** What ran it, recorded in the run's environment: threads, engine versions, GPU, fallbacks. */
  runtime: RunRuntime.optional(),
});

/** Live progress, a few times a second: the run.progress event as it is (running means over the epoch so far). */
export const BatchEnd = RunProgress.extend({ type: z.literal('batchEnd'), runId: RunId });

/**
 * An epoch's metrics under the names they are stored by (loss, accuracy, val_loss, val_accuracy,
 * epoch_seconds, samples_per_sec, epoch_cpu_seconds — images ÷ this = images per CPU-second —,
 * rss_bytes, num_tensors); null: not measured here. Main records them as they are.
 */
export const EpochEnd = z.object({ type: z.literal('epochEnd'), runId: RunId, epoch: z.number().int().positive(), logs: EpochLogs });

export const CheckpointFile = z.object({ name: z.string(), bytes: z.number().int(), sha256: z.string() });
export type CheckpointFileInfo = z.infer<typeof CheckpointFile>;
export const Checkpoint = z.object({
  type: z.literal('checkpoint'),
  runId: RunId,
  /** 'epoch': a per-epoch weight snapshot (weightSnapshots.ts), model weights only. */
  kind: z.enum(['last', 'best', 'epoch']),
  epoch: z.number().int(),
  dir: z.string(),
  monitor: z.string(),
  value: z.number().nullable(),
  files: z.array(CheckpointFile),
});

/** Per class, under the names the store keeps them by. */
export const ClassReport = z.object({
  label: z.string(),
  precision: Metric,
  recall: Metric,
  f1: Metric,
  support: z.number().int(),
});
export const Evaluation = z.object({
  type: z.literal('evaluation'),
  runId: RunId,
  split: z.literal('test'),
  /** Set on the intermediate evaluations asked for by evaluateAtEpochs; absent on the final one. */
  epoch: z.number().int().positive().optional(),
  loss: Metric,
  accuracy: Metric,
  count: z.number().int(),
  classNames: z.array(z.string()),
  /** confusion[true][predicted] */
  confusion: z.array(z.array(z.number().int())),
  perClass: z.array(ClassReport),
  /** Test images predicted wrong with the highest confidence; index is into the full test split. */
  mostWrong: z.array(z.object({ index: z.number().int(), label: z.number().int(), predicted: z.number().int(), confidence: Metric })),
});

export const TrainStatus = z.enum(['completed', 'early_stopped', 'canceled', 'diverged']);
export type TrainStatus = z.infer<typeof TrainStatus>;
export const TrainEnd = z.object({
  type: z.literal('trainEnd'),
  runId: RunId,
  status: TrainStatus,
  epochsCompleted: z.number().int(),
  bestEpoch: z.number().int().nullable(),
  /** Where a non-finite loss appeared, for status 'diverged'. */
  divergedAt: z.object({ epoch: z.number().int(), batch: z.number().int() }).nullable(),
  seconds: Metric,
});

export const FromWorker = z.discriminatedUnion('type', [
  z.object({ type: z.literal('probeResult'), backends: z.array(BackendProbe) }),
  z.object({ type: z.literal('engineCheckResult'), check: EngineCheck }),
  TrainBegin,
  BatchEnd,
  EpochEnd,
  Checkpoint,
  Evaluation,
  TrainEnd,
  Inferred,
  ModelExported,
  z.object({
    type: z.literal('error'),
    message: z.string(),
    /** `message` coded (contract/coreText.ts), stored beside the run's error; absent where only the English says it. */
    messageCode: CoreText.optional(),
    /** The problems `message` lists after its heading, coded, stored beside the run's error (migration 0017). */
    issues: z.array(ProblemText).max(1000).optional(),
    runId: RunId.optional(),
    /** The disk or the folder failed (full, not writable): the run can resume from its last checkpoint. */
    resumable: z.boolean().optional(),
  }),
]);
export type FromWorker = z.infer<typeof FromWorker>;
/** Messages of a training run (everything but the probe answer). */
export type TrainingMessage = Exclude<
  FromWorker,
  { type: 'probeResult' } | { type: 'inferred' } | { type: 'modelExported' } | { type: 'engineCheckResult' }
>;
export type EvaluationMessage = z.infer<typeof Evaluation>;
