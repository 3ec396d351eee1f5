import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../contract/app.ts';
import { epochOrder, type RawSplit } from '../datasets/index.ts';
import { buildModel } from '../models/buildModel.ts';
import { dropoutClock } from '../models/customLayers.ts';
import { optimizerSettings, type Hyperparameters, type ModelSpec, type MonitoredMetric } from '../contract/training.ts';
import { loadCheckpoint, loadCheckpointWeights, saveCheckpoint } from './checkpointIO.ts';
import { evaluateModel } from './evaluate.ts';
import { batchTensors } from './batches.ts';
import { FusedAdam } from './fusedAdam.ts';
import { PendingSteps, trainStep } from './trainStep.ts';
import { ensureGradients } from './wasmKernels.ts';
import type { RunRuntime, TrainingMessage, TrainStatus } from './workerProtocol.ts';

export interface TrainingData {
  train: RawSplit;
  /** Null when validationSplit is 0; the test split itself when validateOn is 'test'. */
  validation: RawSplit | null;
  test: RawSplit;
  /** Index of each test example in the full test split (a subset keeps its original numbering). */
  testIndices: ArrayLike<number> | null;
}

export interface TrainerOptions {
  runId: string;
  spec: ModelSpec;
  hyperparameters: Hyperparameters;
  data: TrainingData;
  runDir: string;
  resume: boolean;
  stopAfterEpochs?: number | undefined;
  /** Epoch folding: evaluate on test after each of these epochs too (see TrainRequest). */
  evaluateAtEpochs?: readonly number[] | undefined;
  backend: BackendName;
  device: string;
  /** Threads, engine versions, GPU and fallbacks, recorded in the run's environment. */
  runtime?: RunRuntime | undefined;
  emit: (message: TrainingMessage) => void;
  isCanceled: () => boolean;
  /** Minimum milliseconds between batchEnd messages (~4 per second by default). */
  batchEndIntervalMs?: number;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss: number | null;
  val_accuracy: number | null;
}

/** Everything the loop needs besides weights and optimizer slots to continue exactly. */
interface LoopState {
  epochsCompleted: number;
  globalStep: number;
  history: EpochLog[];
  best: number | null;
  bestEpoch: number | null;
  wait: number;
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

/** Whether a larger value of the metric is better. */
function higherIsBetter(metric: MonitoredMetric): boolean {
  return metric === 'accuracy' || metric === 'val_accuracy';
}

function monitorValue(log: EpochLog, monitor: MonitoredMetric): number | null {
  return log[monitor];
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The training loop of one run: own seeded batching (epochOrder), a fresh dropout mask per step,
 * Keras-like early stopping, last/best checkpoints, and the test evaluation at the end. It runs
 * inside the worker process; main sees it only through the emitted messages.
 */
export async function train(options: TrainerOptions): Promise<TrainStatus> {
  const { runId, spec, hyperparameters: hp, data, emit } = options;
  await ensureGradients();
  const started = performance.now();
  const numClasses = spec.numClasses;
  const model = buildModel(spec, hp.seed);
  const optimizer = makeOptimizer(hp);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const checkpointsDir = join(options.runDir, 'checkpoints');
  const earlyStopping = hp.earlyStopping;
  const hasValidation = data.validation !== null && data.validation.count > 0;
  let monitor: MonitoredMetric = earlyStopping?.monitor ?? hp.checkpointMonitor;
  // Without validation data a val_* monitor would never move; watch its training counterpart.
  if (!hasValidation && monitor.startsWith('val_')) monitor = monitor.slice(4) as MonitoredMetric;
  const minDelta = earlyStopping?.minDelta ?? 0;
  const improves = (current: number, best: number | null) =>
    best === null || (higherIsBetter(monitor) ? current - minDelta > best : current + minDelta < best);

  let state: LoopState = { epochsCompleted: 0, globalStep: 0, history: [], best: null, bestEpoch: null, wait: 0 };
  const finish = (status: TrainStatus, divergedAt: { epoch: number; batch: number } | null = null): TrainStatus => {
    emit({
      type: 'trainEnd',
      runId,
      status,
      epochsCompleted: state.epochsCompleted,
      bestEpoch: state.bestEpoch,
      divergedAt,
      seconds: (performance.now() - started) / 1000,
    });
    return status;
  };

  /** The test evaluation: the final one, or (epoch folding) the model as it is after `epoch`. */
  const emitTestEvaluation = (epoch?: number): void => {
    const evaluation = evaluateModel(model, data.test, numClasses, { wantDetails: true });
    emit({
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
      confidentMistakes: evaluation.confidentMistakes!.map((m) => ({
        ...m,
        index: data.testIndices ? data.testIndices[m.index]! : m.index,
      })),
    });
  };

  const pending = new PendingSteps();
  try {
    if (options.resume) state = (await loadCheckpoint(join(checkpointsDir, 'last'), model, optimizer)) as LoopState;
    // Epoch folding: main asks again for an evaluation it never recorded (killed in between); the
    // resumed model is exactly the model after that epoch.
    if (options.resume && options.evaluateAtEpochs?.includes(state.epochsCompleted) && state.epochsCompleted < hp.epochs)
      emitTestEvaluation(state.epochsCompleted);
    const batchSize = hp.batchSize;
    const trainCount = data.train.count;
    const batchesPerEpoch = Math.ceil(trainCount / batchSize);
    emit({
      type: 'trainBegin',
      runId,
      backend: options.backend,
      device: options.device,
      totalParams: model.countParams(),
      trainCount,
      validationCount: data.validation?.count ?? 0,
      testCount: data.test.count,
      epochs: hp.epochs,
      batchesPerEpoch,
      startEpoch: state.epochsCompleted + 1,
      ...(options.runtime ? { runtime: options.runtime } : {}),
    });
    const interval = options.batchEndIntervalMs ?? 250;
    let epochsThisProcess = 0;
    let stopped = false;

    for (let epoch = state.epochsCompleted + 1; epoch <= hp.epochs && !stopped; epoch++) {
      const epochStart = performance.now();
      // CPU time of this process over the epoch's training (every thread: TensorFlow's pool too).
      const cpuStart = process.cpuUsage();
      const order = epochOrder(trainCount, hp.seed, epoch);
      let lossSum = 0;
      let correctSum = 0;
      let seen = 0;
      let lastBatchEnd = performance.now();
      for (let batch = 1; batch <= batchesPerEpoch; batch++) {
        const start = (batch - 1) * batchSize;
        const end = Math.min(start + batchSize, trainCount);
        dropoutClock.step = state.globalStep;
        const tensors = batchTensors(data.train, order, start, end, numClasses);
        pending.add(trainStep({ model, optimizer, vars }, tensors), batch, end - start);
        tf.dispose([tensors.x, tensors.y, tensors.labels]);
        state.globalStep++;
        const now = performance.now();
        // The step's numbers are read only when a message needs them (see PendingSteps).
        if (now - lastBatchEnd >= interval || batch === batchesPerEpoch) {
          for (const step of pending.read()) {
            if (!step.finite) return finish('diverged', { epoch, batch: step.batch });
            lossSum += step.loss * step.size;
            correctSum += step.correct;
            seen += step.size;
          }
          lastBatchEnd = now;
          emit({
            type: 'batchEnd',
            runId,
            epoch,
            batch,
            batchesPerEpoch,
            loss: lossSum / seen,
            accuracy: correctSum / seen,
            samplesPerSec: seen / ((now - epochStart) / 1000),
          });
        }
        await yieldToEventLoop();
        if (options.isCanceled()) return finish('canceled');
      }
      const trainSeconds = (performance.now() - epochStart) / 1000;
      const cpu = process.cpuUsage(cpuStart);
      const val = hasValidation ? evaluateModel(model, data.validation!, numClasses, { wantDetails: false }) : null;
      const log: EpochLog = {
        epoch,
        loss: lossSum / seen,
        accuracy: correctSum / seen,
        val_loss: val?.loss ?? null,
        val_accuracy: val?.accuracy ?? null,
      };
      state.history.push(log);
      state.epochsCompleted = epoch;
      emit({
        type: 'epochEnd',
        runId,
        ...log,
        seconds: (performance.now() - epochStart) / 1000,
        samplesPerSec: seen / trainSeconds,
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        rssBytes: process.memoryUsage().rss,
        numTensors: tf.memory().numTensors,
      });

      const current = monitorValue(log, monitor);
      let improved = false;
      if (current !== null && improves(current, state.best)) {
        state.best = current;
        state.bestEpoch = epoch;
        state.wait = 0;
        improved = true;
      } else {
        state.wait++;
      }
      // Keras: stop once `patience` epochs passed without improvement (never after the first epoch).
      if (earlyStopping && state.wait >= earlyStopping.patience && epoch > 1) stopped = true;

      // Before the checkpoints: a run resumed from this epoch's checkpoint has already sent it.
      if (options.evaluateAtEpochs?.includes(epoch) && epoch < hp.epochs) emitTestEvaluation(epoch);
      if (improved) {
        const dir = join(checkpointsDir, 'best');
        const files = await saveCheckpoint(dir, model, optimizer, state);
        emit({ type: 'checkpoint', runId, kind: 'best', epoch, dir, monitor, value: current, files });
      }
      const lastDir = join(checkpointsDir, 'last');
      const files = await saveCheckpoint(lastDir, model, optimizer, state);
      emit({ type: 'checkpoint', runId, kind: 'last', epoch, dir: lastDir, monitor, value: current, files });

      epochsThisProcess++;
      if (!stopped && options.stopAfterEpochs !== undefined && epochsThisProcess >= options.stopAfterEpochs && epoch < hp.epochs) {
        return finish('canceled');
      }
      if (options.isCanceled()) return finish('canceled');
    }

    if (stopped && earlyStopping?.restoreBestWeights && state.bestEpoch !== null) {
      loadCheckpointWeights(join(checkpointsDir, 'best'), model);
    }
    emitTestEvaluation();
    return finish(stopped ? 'early_stopped' : 'completed');
  } finally {
    pending.dispose();
    optimizer.dispose();
    model.dispose();
  }
}
