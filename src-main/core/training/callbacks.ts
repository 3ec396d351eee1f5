/**
 * What happens around the training loop's steps, as callbacks the loop calls in order (after
 * tfjs-layers' callbacks.ts: onTrainBegin / onEpochBegin / onBatchEnd / onEpochEnd / onTrainEnd,
 * progress throttled to a few messages a second). The loop (trainer.ts) only steps, measures and
 * tells them; each decision lives in one callback: what to report, which epoch is best, when to
 * stop early, when to evaluate for epoch folding, what to checkpoint. No Node imports: the loop
 * runs in a browser Web Worker too, with checkpoints behind CheckpointStore.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  monitorIncreases,
  type EarlyStopping as EarlyStoppingSpec,
  type Hyperparameters,
  type MonitoredMetric,
} from '../contract/training.ts';
import type { CheckpointBlob } from './checkpointCodec.ts';
import type { CheckpointState, EpochLogs } from './checkpointState.ts';
import { evaluateModel } from './evaluate.ts';
import type { TrainingData } from './trainingData.ts';
import type { CheckpointFileInfo, TrainingMessage, TrainStatus } from './workerProtocol.ts';

/** Where checkpoints are kept (files in the run's folder on Node; checkpointIO.ts). */
export interface CheckpointStore {
  /** Saves model, optimizer slots and loop state as the run's `kind` checkpoint; says where and which files. */
  save(
    kind: 'last' | 'best',
    model: tfl.LayersModel,
    optimizer: tf.Optimizer,
    state: CheckpointState,
  ): Promise<{ dir: string; files: CheckpointFileInfo[] }>;
  /**
   * Keeps an epoch's weights (model.json + weights.bin, from checkpointCodec.encodeModelFiles) as
   * the run's snapshot of that epoch, never overwritten by a later one (weightSnapshots.ts decides which epochs).
   */
  saveSnapshot(epoch: number, files: readonly CheckpointBlob[]): Promise<{ dir: string; files: CheckpointFileInfo[] }>;
  /** Restores the last checkpoint into the model and optimizer and returns its loop state. */
  resume(model: tfl.LayersModel, optimizer: tf.Optimizer): Promise<CheckpointState>;
  /** Loads the best checkpoint's weights into the model (early stopping's restoreBestWeights). */
  restoreBest(model: tfl.LayersModel): void;
}

/** The one training run the callbacks act on: what the loop shares with them. */
export interface LoopContext {
  readonly runId: number;
  readonly hyperparameters: Hyperparameters;
  readonly data: TrainingData;
  readonly numClasses: number;
  readonly model: tfl.LayersModel;
  readonly optimizer: tf.Optimizer;
  readonly checkpoints: CheckpointStore;
  readonly emit: (message: TrainingMessage) => void;
  /** The metric that decides the best epoch (early stopping's, else the checkpoint monitor's). */
  readonly monitor: MonitoredMetric;
  /** Continued from a checkpoint in this process. */
  readonly resumed: boolean;
  readonly batchesPerEpoch: number;
  /** Loop state, saved with every checkpoint. */
  state: CheckpointState;
  /** Set by a callback to end the run after this epoch: early_stopped, or canceled (stopAfterEpochs). */
  stop: Extract<TrainStatus, 'early_stopped' | 'canceled'> | null;
}

/** The running means of an epoch so far, read from the backend only when asked (PendingSteps). */
export interface BatchLogs {
  /** Null when a step read now is not finite: the loop ends the run as diverged. */
  read(): Promise<{ loss: number; accuracy: number; samplesPerSec: number; at: number } | null>;
}

export interface TrainingCallback {
  /** After the model is built (and restored on resume), before trainBegin is sent. */
  onTrainBegin?(): void | Promise<void>;
  onEpochBegin?(epoch: number): void;
  onBatchEnd?(epoch: number, batch: number, logs: BatchLogs): void | Promise<void>;
  /** `logs` holds the epoch's metrics by stored name; the state already counts the epoch. */
  onEpochEnd?(epoch: number, logs: EpochLogs): void | Promise<void>;
  /** After the last epoch (or an early stop), before the final test evaluation. */
  onTrainEnd?(): void | Promise<void>;
}

/** batchEnd a few times a second (and at each epoch's last batch), epochEnd with its logs as they are. */
export class ProgressReporter implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #intervalMs: number;
  #lastSent = 0;

  constructor(loop: LoopContext, intervalMs: number) {
    this.#loop = loop;
    this.#intervalMs = intervalMs;
  }

  onEpochBegin(): void {
    this.#lastSent = performance.now();
  }

  async onBatchEnd(epoch: number, batch: number, logs: BatchLogs): Promise<void> {
    const { batchesPerEpoch } = this.#loop;
    if (performance.now() - this.#lastSent < this.#intervalMs && batch !== batchesPerEpoch) return;
    const means = await logs.read();
    if (!means) return;
    this.#lastSent = means.at;
    const { runId, hyperparameters } = this.#loop;
    const { loss, accuracy, samplesPerSec } = means;
    this.#loop.emit({
      type: 'batchEnd',
      runId,
      epoch,
      epochs: hyperparameters.epochs,
      batch,
      batchesPerEpoch,
      loss,
      accuracy,
      samplesPerSec,
    });
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    this.#loop.emit({ type: 'epochEnd', runId: this.#loop.runId, epoch, logs });
  }
}

/**
 * How the best epoch is decided: Keras' EarlyStopping rule when the run stops early (its mode,
 * minDelta, baseline and startFromEpoch), else the checkpoint monitor's plain best.
 */
export interface BestEpochRule {
  /** Whether a larger value is better (Keras' mode; 'auto': accuracy up, loss down). */
  increases: boolean;
  /** An improvement must beat the best by more than this. */
  minDelta: number;
  /** Epochs up to this one are not watched (Keras' start_from_epoch, counted from 1 here). */
  startFromEpoch: number;
  /** An improvement that does not also beat this leaves the wait running. */
  baseline: number | null;
}

export function bestEpochRule(hp: Hyperparameters, monitor: MonitoredMetric): BestEpochRule {
  const es = hp.earlyStopping;
  return {
    increases: monitorIncreases(monitor, es?.mode ?? 'auto'),
    minDelta: es?.minDelta ?? 0,
    startFromEpoch: es?.startFromEpoch ?? 0,
    baseline: es?.baseline ?? null,
  };
}

/** Keras' _is_improvement: `monitor_op(current - min_delta, reference)`, min_delta negated when lower is better. */
function improves(rule: BestEpochRule, current: number, reference: number | null): boolean {
  if (reference === null) return true;
  return rule.increases ? current - rule.minDelta > reference : current + rule.minDelta < reference;
}

/**
 * The best epoch by the monitored metric and the epochs waited since, exactly as Keras'
 * EarlyStopping counts them (an unwatched epoch — no value, or before startFromEpoch — counts for
 * nothing; the wait grows every watched epoch and restarts on an improvement that also beats the
 * baseline): read by early stopping and the best checkpoint.
 */
export class BestEpoch implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #rule: BestEpochRule;

  constructor(loop: LoopContext, rule: BestEpochRule) {
    this.#loop = loop;
    this.#rule = rule;
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const { state, monitor } = this.#loop;
    const current = logs[monitor] ?? null;
    if (current === null || epoch <= this.#rule.startFromEpoch) return;
    state.wait++;
    if (improves(this.#rule, current, state.best)) {
      state.best = current;
      state.bestEpoch = epoch;
      if (this.#rule.baseline === null || improves(this.#rule, current, this.#rule.baseline)) state.wait = 0;
    }
  }
}

/**
 * Keras 3's EarlyStopping: after a watched epoch that did not improve, stop once the wait reached
 * `patience` (never after the first epoch); an improving epoch never stops the run. With
 * restoreBestWeights the best watched epoch's weights are put back whenever training ends
 * (Keras 3 restores at on_train_end, stopped early or not).
 */
export class EarlyStopping implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #spec: EarlyStoppingSpec;

  constructor(loop: LoopContext, spec: EarlyStoppingSpec) {
    this.#loop = loop;
    this.#spec = spec;
  }

  onEpochEnd(epoch: number, logs: EpochLogs): void {
    const { state, monitor } = this.#loop;
    const current = logs[monitor] ?? null;
    if (current === null || epoch <= this.#spec.startFromEpoch || state.bestEpoch === epoch) return;
    if (state.wait >= this.#spec.patience && epoch > 1) this.#loop.stop = 'early_stopped';
  }

  onTrainEnd(): void {
    const { state, checkpoints, model } = this.#loop;
    if (this.#spec.restoreBestWeights && state.bestEpoch !== null) checkpoints.restoreBest(model);
  }
}

/** The test evaluation message: the final one, or (epoch folding) the model as it is after `epoch`. */
export async function emitTestEvaluation(loop: LoopContext, epoch?: number): Promise<void> {
  const { data, model, runId } = loop;
  const evaluation = await evaluateModel(model, data.test, loop.numClasses, { wantDetails: true });
  loop.emit({
    type: 'evaluation',
    runId,
    split: 'test',
    ...(epoch === undefined ? {} : { epoch }),
    loss: evaluation.loss,
    accuracy: evaluation.accuracy,
    count: data.test.count,
    classNames: data.test.classNames,
    confusion: evaluation.confusion!,
    perClass: evaluation.perClass!,
    mostWrong: evaluation.mostWrong!.map((m) => ({ ...m, index: data.testIndices ? data.testIndices[m.index]! : m.index })),
  });
}

/**
 * Epoch folding: a test evaluation right after each of these epochs (before the last, whose
 * evaluation is the final one), so a shorter run of the same sweep is recorded from this one.
 */
export class FoldingEvaluations implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #epochs: ReadonlySet<number>;

  constructor(loop: LoopContext, epochs: readonly number[]) {
    this.#loop = loop;
    this.#epochs = new Set(epochs.filter((e) => e < loop.hyperparameters.epochs));
  }

  /** Main asks again for an evaluation it never recorded (killed in between): the resumed model is exactly the model after that epoch. */
  async onTrainBegin(): Promise<void> {
    const done = this.#loop.state.epochsCompleted;
    if (this.#loop.resumed && this.#epochs.has(done)) await emitTestEvaluation(this.#loop, done);
  }

  /** Before the checkpoints (callback order): a run resumed from this epoch's checkpoint has already sent it. */
  async onEpochEnd(epoch: number): Promise<void> {
    if (this.#epochs.has(epoch)) await emitTestEvaluation(this.#loop, epoch);
  }
}

/** The best checkpoint when the epoch improved the monitored metric, then the last one, every epoch. */
export class Checkpointing implements TrainingCallback {
  readonly #loop: LoopContext;

  constructor(loop: LoopContext) {
    this.#loop = loop;
  }

  async onEpochEnd(epoch: number, logs: EpochLogs): Promise<void> {
    const { runId, state, monitor, model, optimizer, checkpoints, emit } = this.#loop;
    const value = logs[monitor] ?? null;
    for (const kind of state.bestEpoch === epoch ? (['best', 'last'] as const) : (['last'] as const)) {
      const { dir, files } = await checkpoints.save(kind, model, optimizer, state);
      emit({ type: 'checkpoint', runId, kind, epoch, dir, monitor, value, files });
    }
  }
}

/** Ends the run (canceled, resumable) after this many epochs in this process: tests of resume. */
export class StopAfterEpochs implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #epochs: number;
  #trained = 0;

  constructor(loop: LoopContext, epochs: number) {
    this.#loop = loop;
    this.#epochs = epochs;
  }

  onEpochEnd(epoch: number): void {
    this.#trained++;
    if (this.#loop.stop === null && this.#trained >= this.#epochs && epoch < this.#loop.hyperparameters.epochs)
      this.#loop.stop = 'canceled';
  }
}
