import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import type { BackendName } from '../contract/app.ts';
import { Hyperparameters, ModelSpec, type HyperparametersInput } from '../contract/training.ts';
import { installMnist } from './mnistFixture.ts';
import { nodeEnvironment } from './nodeEnvironment.ts';
import { makeOptimizer, train, type TrainerOptions } from './trainer.ts';
import type { TrainingData } from './trainingData.ts';
import { prepareData } from './trainingData.ts';
import { registerWasmTrainingKernels } from './wasmKernels.ts';
import type { TrainingMessage, TrainStatus } from './workerProtocol.ts';

// A small net that still has every stateful piece: conv, BatchNorm moving stats, dropout masks.
const spec = ModelSpec.parse({
  name: 'tiny',
  inputShape: [28, 28, 1],
  numClasses: 10,
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 },
    { type: 'batchNorm' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 16 },
    { type: 'dropout', rate: 0.3 },
  ],
});

let mnist: { datasetsDir: string; cleanup: () => void };
let data: TrainingData;
const temps: (() => void)[] = [];

beforeAll(async () => {
  registerWasmTrainingKernels();
  mnist = await installMnist();
  data = await prepareData({
    datasetsDir: mnist.datasetsDir,
    dataset: 'mnist',
    subset: { trainPerClass: 24, testPerClass: 10 },
    hyperparameters: Hyperparameters.parse({ epochs: 1, learningRate: 0.01, validationSplit: 0.25, seed: 5 }),
  });
});
afterAll(() => {
  mnist?.cleanup();
  for (const cleanup of temps) cleanup();
});

interface Outcome {
  status: TrainStatus;
  messages: TrainingMessage[];
  runDir: string;
}

async function run(
  backend: BackendName,
  hp: HyperparametersInput,
  extra: {
    runDir?: string;
    resume?: boolean;
    stopAfterEpochs?: number;
    cancelAfterBatches?: number;
    batchEndIntervalMs?: number;
    callbacks?: TrainerOptions['callbacks'];
  } = {},
): Promise<Outcome> {
  expect(await tf.setBackend(backend)).toBe(true);
  let runDir = extra.runDir;
  if (!runDir) {
    const temp = makeTempDir('kernellab-run-');
    temps.push(temp.cleanup);
    runDir = temp.dir;
  }
  const messages: TrainingMessage[] = [];
  let batches = 0;
  const status = await train({
    runId: 1,
    spec,
    hyperparameters: Hyperparameters.parse({ batchSize: 32, ...hp }),
    data,
    environment: nodeEnvironment(runDir),
    resume: extra.resume ?? false,
    stopAfterEpochs: extra.stopAfterEpochs,
    backend,
    device: 'test',
    emit: (m) => messages.push(structuredClone(m)),
    isCanceled: () => ++batches >= (extra.cancelAfterBatches ?? Infinity),
    batchEndIntervalMs: extra.batchEndIntervalMs ?? 0,
    callbacks: extra.callbacks,
  });
  return { status, messages, runDir };
}

const epochLogs = (o: Outcome) =>
  o.messages.flatMap((m) =>
    m.type === 'epochEnd'
      ? [{ epoch: m.epoch, loss: m.logs.loss, accuracy: m.logs.accuracy, val_loss: m.logs.val_loss, val_accuracy: m.logs.val_accuracy }]
      : [],
  );
const evaluation = (o: Outcome) => {
  const e = o.messages.find((m) => m.type === 'evaluation');
  if (!e || e.type !== 'evaluation') throw new Error('no evaluation');
  return { loss: e.loss, accuracy: e.accuracy, confusion: e.confusion, mistakes: e.mostWrong };
};

it("passes Keras' optimizer constants, never the epsilon a backend's float precision would choose", async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
  const backend = tf.backend();
  const original = backend.epsilon.bind(backend);
  // A float16 backend (webgl on some GPUs) answers 1e-4; the tensorflow, wasm and cpu backends 1e-7.
  backend.epsilon = () => 1e-4;
  try {
    for (const optimizer of ['adam', 'rmsprop'] as const) {
      const made = makeOptimizer(Hyperparameters.parse({ epochs: 1, optimizer, learningRate: 0.01 }));
      expect(made.getConfig()).toMatchObject({ epsilon: 1e-7 });
      made.dispose();
    }
    const adam = makeOptimizer(Hyperparameters.parse({ epochs: 1, optimizer: 'adam', learningRate: 0.01 }));
    expect(adam.getConfig()).toMatchObject({ beta1: 0.9, beta2: 0.999 });
    adam.dispose();
  } finally {
    backend.epsilon = original;
  }
});

describe.each(['cpu', 'wasm'] as const)('training on %s', (backend) => {
  const hp: HyperparametersInput = { epochs: 3, learningRate: 3e-3, optimizer: 'adam', validationSplit: 0.25, seed: 5, backend };

  it('gives identical metrics for the same spec and seed, different ones for another seed, and leaks nothing', async () => {
    const a = await run(backend, hp);
    const b = await run(backend, hp);
    const c = await run(backend, { ...hp, seed: 6 });
    expect(a.status).toBe('completed');
    expect(epochLogs(a)).toHaveLength(3);
    expect(epochLogs(b)).toEqual(epochLogs(a));
    expect(evaluation(b)).toEqual(evaluation(a));
    expect(epochLogs(c)[2]!.loss).not.toBe(epochLogs(a)[2]!.loss);
    const tensors = a.messages.flatMap((m) => (m.type === 'epochEnd' ? [m.logs.num_tensors] : []));
    expect(tensors[2]).toBe(tensors[1]);
  });

  it('resumes from the last checkpoint to the same final state as an uninterrupted run', async () => {
    for (const optimizer of ['adam', 'momentum'] as const) {
      const whole = await run(backend, { ...hp, optimizer });
      const first = await run(backend, { ...hp, optimizer }, { stopAfterEpochs: 1 });
      expect(first.status).toBe('canceled');
      expect(epochLogs(first)).toHaveLength(1);
      const rest = await run(backend, { ...hp, optimizer }, { runDir: first.runDir, resume: true });
      expect(rest.status).toBe('completed');
      const begin = rest.messages[0]!;
      expect(begin.type === 'trainBegin' && begin.startEpoch).toBe(2);
      expect([...epochLogs(first), ...epochLogs(rest)]).toEqual(epochLogs(whole));
      expect(evaluation(rest)).toEqual(evaluation(whole));
    }
  });

  it('stops as diverged at the epoch and batch where the loss stops being finite', async () => {
    const o = await run(backend, { ...hp, optimizer: 'sgd', learningRate: 1e30 });
    expect(o.status).toBe('diverged');
    const end = o.messages.at(-1)!;
    expect(end.type).toBe('trainEnd');
    if (end.type !== 'trainEnd') return;
    expect(end.divergedAt).not.toBeNull();
    expect(end.divergedAt!.epoch).toBe(1);
    expect(end.divergedAt!.batch).toBeGreaterThanOrEqual(2);
    expect(o.messages.filter((m) => m.type === 'evaluation')).toHaveLength(0);
  });

  it('finds the same diverged batch when the step numbers are read only at the end of the epoch', async () => {
    const config = { ...hp, optimizer: 'sgd' as const, learningRate: 1e30 };
    const every = await run(backend, config);
    const deferred = await run(backend, config, { batchEndIntervalMs: 3_600_000 });
    const at = (o: Outcome) => {
      const end = o.messages.at(-1)!;
      return end.type === 'trainEnd' ? end.divergedAt : null;
    };
    expect(deferred.status).toBe('diverged');
    expect(at(deferred)).toEqual(at(every));
    expect(deferred.messages.filter((m) => m.type === 'batchEnd')).toHaveLength(0);
  });

  it('reads the step numbers back from the backend only when a message needs them', async () => {
    const reads = vi.spyOn(tf.Tensor.prototype, 'data');
    try {
      const config = { ...hp, epochs: 1, validationSplit: 0 };
      await run(backend, config);
      const everyStep = reads.mock.calls.length;
      reads.mockClear();
      const o = await run(backend, config, { batchEndIntervalMs: 3_600_000 });
      const batches = (o.messages[0] as Extract<TrainingMessage, { type: 'trainBegin' }>).batchesPerEpoch;
      expect(batches).toBeGreaterThan(5);
      // Every step read its numbers before; now one read at the end of the epoch (the test evaluation reads the rest).
      expect(everyStep - reads.mock.calls.length).toBe(batches - 1);
      expect(o.messages.filter((m) => m.type === 'batchEnd')).toHaveLength(1);
    } finally {
      reads.mockRestore();
    }
  });

  it('cancels after the batch in progress', async () => {
    const o = await run(backend, hp, { cancelAfterBatches: 2 });
    expect(o.status).toBe('canceled');
    const batches = o.messages.filter((m) => m.type === 'batchEnd');
    expect(batches.map((m) => m.type === 'batchEnd' && m.batch)).toEqual([1, 2]);
    expect(o.messages.filter((m) => m.type === 'epochEnd')).toHaveLength(0);
  });
});

describe('early stopping and evaluation', () => {
  it('stops like Keras once patience runs out and restores the best weights', async () => {
    // minDelta larger than any change: only epoch 1 counts as an improvement.
    const o = await run('wasm', {
      epochs: 6,
      learningRate: 1e-3,
      validationSplit: 0.25,
      seed: 5,
      earlyStopping: { monitor: 'val_loss', patience: 2, minDelta: 100, restoreBestWeights: true },
    });
    expect(o.status).toBe('early_stopped');
    expect(epochLogs(o)).toHaveLength(3);
    const end = o.messages.at(-1)!;
    expect(end.type === 'trainEnd' && end.bestEpoch).toBe(1);
    const best = o.messages.filter((m) => m.type === 'checkpoint' && m.kind === 'best');
    expect(best).toHaveLength(1);
    // The evaluation runs on the restored epoch-1 weights: its test loss is the one a fresh 1-epoch run reaches.
    const oneEpoch = await run('wasm', { epochs: 1, learningRate: 1e-3, validationSplit: 0.25, seed: 5 });
    expect(evaluation(o).loss).toBe(evaluation(oneEpoch).loss);
  });

  it('restores the best weights at the end of training even without a stop (Keras 3)', async () => {
    const hp = { epochs: 2, learningRate: 1e-3, validationSplit: 0.25, seed: 5 };
    // Epoch 2 never counts as an improvement and patience outlasts the run: it completes, then restores epoch 1.
    const o = await run('wasm', { ...hp, earlyStopping: { monitor: 'val_loss', patience: 5, minDelta: 100, restoreBestWeights: true } });
    expect(o.status).toBe('completed');
    const oneEpoch = await run('wasm', { ...hp, epochs: 1 });
    expect(evaluation(o).loss).toBe(evaluation(oneEpoch).loss);
  });

  it('trains in the stored order with shuffle off, a fresh seeded order every epoch with it on', async () => {
    const hp = { epochs: 2, learningRate: 3e-3, validationSplit: 0.25, seed: 5 };
    const stored = await run('wasm', { ...hp, shuffle: false });
    expect(await run('wasm', { ...hp, shuffle: false }).then(epochLogs)).toEqual(epochLogs(stored));
    expect(epochLogs(await run('wasm', hp))[0]!.loss).not.toBe(epochLogs(stored)[0]!.loss);
  });

  it('moves the learning rate by its schedule at every step and logs the rate of the epoch’s last step', async () => {
    const lrSchedule = { type: 'exponential', decaySteps: 4, decayRate: 0.5 } as const;
    const o = await run('wasm', { epochs: 2, learningRate: 1e-2, validationSplit: 0.25, seed: 5, lrSchedule });
    const batches = (o.messages[0] as Extract<TrainingMessage, { type: 'trainBegin' }>).batchesPerEpoch;
    const rates = o.messages.flatMap((m) => (m.type === 'epochEnd' ? [m.logs.learning_rate] : []));
    // Step n (from 0) trains with 1e-2 · 0.5^(n/4): epoch e's last step is n = e·batches − 1.
    expect(rates[0]).toBeCloseTo(1e-2 * 0.5 ** ((batches - 1) / 4), 12);
    expect(rates[1]).toBeCloseTo(1e-2 * 0.5 ** ((2 * batches - 1) / 4), 12);
    const constant = await run('wasm', { epochs: 2, learningRate: 1e-2, validationSplit: 0.25, seed: 5 });
    expect(epochLogs(o)[1]!.loss).not.toBe(epochLogs(constant)[1]!.loss);
  });

  it('resumes ReduceLROnPlateau where it was: the reduced rate and its wait come back from the checkpoint', async () => {
    // minDelta larger than any change: every epoch after the first is a plateau, so with patience 1 the rate halves each epoch.
    const hp = {
      epochs: 3,
      learningRate: 1e-2,
      validationSplit: 0.25,
      seed: 5,
      lrSchedule: { type: 'plateau', patience: 1, factor: 0.5, minDelta: 100 },
    } as const;
    const whole = await run('wasm', hp);
    const rates = whole.messages.flatMap((m) => (m.type === 'epochEnd' ? [m.logs.learning_rate] : []));
    expect(rates).toEqual([Math.fround(1e-2), Math.fround(1e-2), Math.fround(Math.fround(1e-2) * 0.5)]);
    const first = await run('wasm', hp, { stopAfterEpochs: 2 });
    const rest = await run('wasm', hp, { runDir: first.runDir, resume: true });
    const logs = (o: Outcome) =>
      o.messages.flatMap((m) =>
        m.type === 'epochEnd'
          ? [{ ...m.logs, epoch_seconds: 0, epoch_cpu_seconds: 0, samples_per_sec: 0, rss_bytes: 0, num_tensors: 0 }]
          : [],
      );
    expect([...logs(first), ...logs(rest)]).toEqual(logs(whole));
    expect(evaluation(rest)).toEqual(evaluation(whole));
  });

  it('reports a consistent confusion matrix, per-class report and confident mistakes', async () => {
    const o = await run('wasm', { epochs: 2, learningRate: 3e-3, validationSplit: 0.25, seed: 5 });
    const e = o.messages.find((m) => m.type === 'evaluation');
    if (!e || e.type !== 'evaluation') throw new Error('no evaluation');
    expect(e.count).toBe(100);
    const total = e.confusion.flat().reduce((a, b) => a + b, 0);
    expect(total).toBe(100);
    const diagonal = e.confusion.reduce((a, row, i) => a + row[i]!, 0);
    expect(e.accuracy).toBeCloseTo(diagonal / 100, 10);
    expect(e.perClass.map((c) => c.support)).toEqual(new Array(10).fill(10));
    for (const c of e.perClass) expect(c.recall).toBeCloseTo(e.confusion[e.perClass.indexOf(c)]![e.perClass.indexOf(c)]! / 10, 10);
    expect(e.mostWrong.length).toBe(Math.min(24, 100 - diagonal));
    for (let i = 1; i < e.mostWrong.length; i++) expect(e.mostWrong[i]!.confidence).toBeLessThanOrEqual(e.mostWrong[i - 1]!.confidence);
    for (const m of e.mostWrong) expect(m.predicted).not.toBe(m.label);
  });
});

describe('callbacks', () => {
  it('tells a callback of its own every step of the run, with the logs sent to main, and lets it end the run after an epoch', async () => {
    const heard: string[] = [];
    const logs: Record<string, number | null>[] = [];
    const o = await run(
      'wasm',
      { epochs: 3, learningRate: 3e-3, validationSplit: 0.25, seed: 5 },
      {
        callbacks: (loop) => [
          {
            onTrainBegin: () => void heard.push(`begin ${loop.state.epochsCompleted}`),
            onEpochBegin: (epoch) => void heard.push(`epoch ${epoch}`),
            onBatchEnd: (epoch, batch) => void heard.push(`batch ${epoch}.${batch}`),
            onEpochEnd: (epoch, epochLogs) => {
              heard.push(`end ${epoch}`);
              logs.push(epochLogs);
              // A pruner's decision: stop here, as early stopping does.
              if (epoch === 2) loop.stop = 'early_stopped';
            },
            onTrainEnd: () => void heard.push('train end'),
          },
        ],
      },
    );
    expect(o.status).toBe('early_stopped');
    const batches = (o.messages[0] as Extract<TrainingMessage, { type: 'trainBegin' }>).batchesPerEpoch;
    const epoch = (e: number) => [`epoch ${e}`, ...Array.from({ length: batches }, (_, i) => `batch ${e}.${i + 1}`), `end ${e}`];
    expect(heard).toEqual(['begin 0', ...epoch(1), ...epoch(2), 'train end']);
    // The epochEnd messages carry exactly these logs, under the names the store records.
    const sent = o.messages.flatMap((m) => (m.type === 'epochEnd' ? [m.logs] : []));
    expect(sent).toEqual(logs);
    expect(Object.keys(sent[0]!).sort()).toEqual(
      [
        'accuracy',
        'epoch_cpu_seconds',
        'epoch_seconds',
        'loss',
        'num_tensors',
        'rss_bytes',
        'samples_per_sec',
        'val_accuracy',
        'val_loss',
      ].sort(),
    );
    const end = o.messages.at(-1)!;
    expect(end.type === 'trainEnd' && end.epochsCompleted).toBe(2);
  });
});
