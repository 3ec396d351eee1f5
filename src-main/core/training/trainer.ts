/**
 * The training loop of one run: seeded batching (epochOrder), a fresh dropout mask per step, one
 * trainStep per batch, and the callbacks (callbacks.ts) told what happened after every batch and
 * epoch — they report progress, track the best epoch, stop early, evaluate for epoch folding and
 * checkpoint. It imports nothing from Node: what it needs of its host (checkpoint storage, CPU
 * time, memory, a turn of the event loop) comes in a TrainingEnvironment, so the same loop runs in
 * a Node worker process (nodeEnvironment.ts) and in a browser Web Worker.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RunBackend } from '../contract/app.ts';
import type { CoreText } from '../contract/coreText.ts';
import { defaultSnapshotLimitMiB, mebibyte } from '../contract/inspect.ts';
import { optimizerSettings, type Hyperparameters, type ModelSpec, type MonitoredMetric } from '../contract/training.ts';
import { epochOrder } from '../datasets/prepare.ts';
import type { TrainingData } from './trainingData.ts';
import { buildModel } from '../models/buildModel.ts';
import { dropoutClock } from '../models/customLayers.ts';
import { batchTensors } from './batches.ts';
import {
  BestEpoch,
  bestEpochRule,
  Checkpointing,
  EarlyStopping,
  emitTestEvaluation,
  FoldingEvaluations,
  ProgressReporter,
  StopAfterEpochs,
  type BatchLogs,
  type CheckpointStore,
  type LoopContext,
  type TrainingCallback,
} from './callbacks.ts';
import { freshState, type EpochLogs } from './checkpointState.ts';
import { evaluateModel } from './evaluate.ts';
import { learningRateCallbacks } from './learningRate.ts';
import { FusedAdam } from './fusedAdam.ts';
import { PendingSteps, trainStep } from './trainStep.ts';
import { ensureGradients } from './wasmKernels.ts';
import { WeightSnapshots } from './weightSnapshots.ts';
import type { RunRuntime, TrainingMessage, TrainStatus } from './workerProtocol.ts';

/** What the loop needs of the process it runs in. */
export interface TrainingEnvironment {
  checkpoints: CheckpointStore;
  /** CPU seconds this process has used so far, every thread; null where it cannot be measured. */
  cpuSeconds(): number | null;
  /** Resident memory of this process in bytes; null where it cannot be measured. */
  memoryBytes(): number | null;
  /** Gives the event loop a turn between batches, so a cancel message lands within one batch. */
  yieldToEventLoop(): Promise<void>;
}

export interface TrainerOptions {
  runId: number;
  spec: ModelSpec;
  hyperparameters: Hyperparameters;
  data: TrainingData;
  environment: TrainingEnvironment;
  resume: boolean;
  stopAfterEpochs?: number | undefined;
  /** Epoch folding: evaluate on test after each of these epochs too (see TrainRequest). */
  evaluateAtEpochs?: readonly number[] | undefined;
  backend: RunBackend;
  device: string;
  /** `device` coded, for the page's and the CLI's language (absent: the English alone). */
  deviceCode?: CoreText | undefined;
  /** Threads, engine versions, GPU and fallbacks, recorded in the run's environment. */
  runtime?: RunRuntime | undefined;
  emit: (message: TrainingMessage) => void;
  isCanceled: () => boolean;
  /** Minimum milliseconds between batchEnd messages (~4 per second by default). */
  batchEndIntervalMs?: number;
  /**
   * Disk limit of the run's per-epoch weight snapshots (weightSnapshots.ts), in bytes; 0: none.
   * Absent: the default. A resumed run keeps the limit it started with.
   */
  snapshotLimitBytes?: number | undefined;
  /** More callbacks, told after the built-in ones (a pruner at epoch ends, say). */
  callbacks?: (loop: LoopContext) => TrainingCallback[];
}

/**
 * The run's optimizer with every constant passed (optimizerSettings: Keras' defaults unless the
 * run sets them): tfjs would otherwise take epsilon from the current backend's float precision
 * (1e-7 at float32, 1e-4 at float16), and the same run must give the same numbers on tensorflow,
 * wasm and cpu — and resume from a checkpoint on any of them.
 */
export function makeOptimizer(hp: Hyperparameters): tf.Optimizer {
  const settings = optimizerSettings(hp);
  switch (settings.optimizer) {
    case 'sgd':
      return tf.train.sgd(hp.learningRate);
    case 'momentum':
      return tf.train.momentum(hp.learningRate, settings.momentum, settings.nesterov);
    case 'adam':
      return new FusedAdam(hp.learningRate, settings.beta1, settings.beta2, settings.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(hp.learningRate, settings.rho, settings.momentum, settings.epsilon, settings.centered);
    default: {
      const unknown: never = settings;
      throw new Error(`unknown optimizer ${JSON.stringify(unknown)}`);
    }
  }
}

/** The monitored metric; without validation data a val_* metric would never move, so its training counterpart. */
function monitoredMetric(hp: Hyperparameters, hasValidation: boolean): MonitoredMetric {
  const monitor = hp.earlyStopping?.monitor ?? hp.checkpointMonitor;
  return !hasValidation && monitor.startsWith('val_') ? (monitor.slice(4) as MonitoredMetric) : monitor;
}

/**
 * One epoch's running sums over the steps read so far. Steps stay on the backend until a message
 * needs their numbers (PendingSteps); read in order, they still tell the batch where training diverged.
 */
class EpochMeter implements BatchLogs {
  readonly #pending: PendingSteps;
  readonly #epoch: number;
  readonly startedAt = performance.now();
  lossSum = 0;
  correctSum = 0;
  seen = 0;
  diverged: { epoch: number; batch: number } | null = null;

  constructor(pending: PendingSteps, epoch: number) {
    this.#pending = pending;
    this.#epoch = epoch;
  }

  async read(): Promise<{ loss: number; accuracy: number; samplesPerSec: number; at: number } | null> {
    const at = performance.now();
    for (const step of await this.#pending.read()) {
      if (!step.finite) {
        this.diverged ??= { epoch: this.#epoch, batch: step.batch };
        return null;
      }
      this.lossSum += step.loss * step.size;
      this.correctSum += step.correct;
      this.seen += step.size;
    }
    if (this.diverged) return null;
    return {
      loss: this.lossSum / this.seen,
      accuracy: this.correctSum / this.seen,
      samplesPerSec: this.seen / ((at - this.startedAt) / 1000),
      at,
    };
  }
}

function builtInCallbacks(loop: LoopContext, options: TrainerOptions): TrainingCallback[] {
  const hp = loop.hyperparameters;
  return [
    // First: it adds the epoch's learning_rate to the logs the others see and send.
    ...learningRateCallbacks(loop),
    new ProgressReporter(loop, options.batchEndIntervalMs ?? 250),
    new BestEpoch(loop, bestEpochRule(hp, loop.monitor)),
    ...(hp.earlyStopping ? [new EarlyStopping(loop, hp.earlyStopping)] : []),
    new FoldingEvaluations(loop, options.evaluateAtEpochs ?? []),
    new WeightSnapshots(loop, options.snapshotLimitBytes ?? defaultSnapshotLimitMiB * mebibyte),
    new Checkpointing(loop),
    ...(options.stopAfterEpochs !== undefined ? [new StopAfterEpochs(loop, options.stopAfterEpochs)] : []),
  ];
}

function storedOrder(count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order;
}

/** Trains one epoch's batches; resolves with its meter (`diverged` set when a step was not finite), or 'canceled'. */
async function trainEpoch(
  loop: LoopContext,
  epoch: number,
  vars: tf.Variable[],
  pending: PendingSteps,
  callbacks: TrainingCallback[],
  options: TrainerOptions,
): Promise<EpochMeter | 'canceled'> {
  const { hyperparameters: hp, data, model, optimizer, state, batchesPerEpoch } = loop;
  // Keras' fit(shuffle=False) takes the images in their stored order every epoch.
  const order = hp.shuffle ? epochOrder(data.train.count, hp.seed, epoch) : storedOrder(data.train.count);
  const meter = new EpochMeter(pending, epoch);
  for (const c of callbacks) c.onEpochBegin?.(epoch);
  for (let batch = 1; batch <= batchesPerEpoch; batch++) {
    const start = (batch - 1) * hp.batchSize;
    const end = Math.min(start + hp.batchSize, data.train.count);
    dropoutClock.step = state.globalStep;
    const tensors = batchTensors(data.train, order, start, end, loop.numClasses);
    pending.add(trainStep({ model, optimizer, vars }, tensors), batch, end - start);
    tf.dispose([tensors.x, tensors.y, tensors.labels]);
    state.globalStep++;
    for (const c of callbacks) await c.onBatchEnd?.(epoch, batch, meter);
    if (meter.diverged) return meter;
    await options.environment.yieldToEventLoop();
    if (options.isCanceled()) return 'canceled';
  }
  // Steps no callback asked about are read now: the epoch's means, and a last check for divergence.
  await meter.read();
  return meter;
}

function emitTrainBegin(loop: LoopContext, options: TrainerOptions): void {
  const { data, hyperparameters: hp } = loop;
  loop.emit({
    type: 'trainBegin',
    runId: loop.runId,
    backend: options.backend,
    device: options.device,
    ...(options.deviceCode ? { deviceCode: options.deviceCode } : {}),
    totalParams: loop.model.countParams(),
    trainCount: data.train.count,
    validationCount: data.validation?.count ?? 0,
    testCount: data.test.count,
    epochs: hp.epochs,
    batchesPerEpoch: loop.batchesPerEpoch,
    startEpoch: loop.state.epochsCompleted + 1,
    ...(options.runtime ? { runtime: options.runtime } : {}),
  });
}

/**
 * An epoch's logs, by the names main records them under: the training means, the validation
 * evaluation (taken now), time, throughput over the training part, CPU time (every thread), memory.
 */
async function epochLogs(loop: LoopContext, trained: EpochMeter, cpuStart: number | null, env: TrainingEnvironment): Promise<EpochLogs> {
  const trainSeconds = (performance.now() - trained.startedAt) / 1000;
  const cpuEnd = env.cpuSeconds();
  const { validation } = loop.data;
  const val =
    validation !== null && validation.count > 0
      ? await evaluateModel(loop.model, validation, loop.numClasses, { wantDetails: false })
      : null;
  return {
    loss: trained.lossSum / trained.seen,
    accuracy: trained.correctSum / trained.seen,
    val_loss: val?.loss ?? null,
    val_accuracy: val?.accuracy ?? null,
    epoch_seconds: (performance.now() - trained.startedAt) / 1000,
    samples_per_sec: trained.seen / trainSeconds,
    epoch_cpu_seconds: cpuStart === null || cpuEnd === null ? null : cpuEnd - cpuStart,
    rss_bytes: env.memoryBytes(),
    num_tensors: tf.memory().numTensors,
  };
}

export async function train(options: TrainerOptions): Promise<TrainStatus> {
  const { runId, spec, hyperparameters: hp, data, emit, environment: env } = options;
  await ensureGradients();
  const started = performance.now();
  const model = buildModel(spec, hp.seed);
  const optimizer = makeOptimizer(hp);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const hasValidation = data.validation !== null && data.validation.count > 0;
  const loop: LoopContext = {
    runId,
    hyperparameters: hp,
    data,
    numClasses: spec.numClasses,
    model,
    optimizer,
    checkpoints: env.checkpoints,
    emit,
    monitor: monitoredMetric(hp, hasValidation),
    resumed: options.resume,
    batchesPerEpoch: Math.ceil(data.train.count / hp.batchSize),
    state: freshState(),
    stop: null,
  };
  const callbacks = [...builtInCallbacks(loop, options), ...(options.callbacks?.(loop) ?? [])];
  const finish = (status: TrainStatus, divergedAt: { epoch: number; batch: number } | null = null): TrainStatus => {
    emit({
      type: 'trainEnd',
      runId,
      status,
      epochsCompleted: loop.state.epochsCompleted,
      bestEpoch: loop.state.bestEpoch,
      divergedAt,
      seconds: (performance.now() - started) / 1000,
    });
    return status;
  };

  const pending = new PendingSteps();
  try {
    if (options.resume) loop.state = await env.checkpoints.resume(model, optimizer);
    for (const c of callbacks) await c.onTrainBegin?.();
    emitTrainBegin(loop, options);

    for (let epoch = loop.state.epochsCompleted + 1; epoch <= hp.epochs; epoch++) {
      // CPU time of this process over the epoch's training (every thread: TensorFlow's pool too).
      const cpuStart = env.cpuSeconds();
      const trained = await trainEpoch(loop, epoch, vars, pending, callbacks, options);
      if (trained === 'canceled') return finish('canceled');
      if (trained.diverged) return finish('diverged', trained.diverged);
      const logs = await epochLogs(loop, trained, cpuStart, env);
      loop.state.history.push({ epoch, logs });
      loop.state.epochsCompleted = epoch;
      for (const c of callbacks) await c.onEpochEnd?.(epoch, logs);
      if (loop.stop === 'canceled' || options.isCanceled()) return finish('canceled');
      if (loop.stop === 'early_stopped') break;
    }

    for (const c of callbacks) await c.onTrainEnd?.();
    await emitTestEvaluation(loop);
    return finish(loop.stop === 'early_stopped' ? 'early_stopped' : 'completed');
  } finally {
    pending.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
