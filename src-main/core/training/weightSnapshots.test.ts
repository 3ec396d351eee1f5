import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { Hyperparameters, ModelSpec, type HyperparametersInput } from '../contract/training.ts';
import { readConvKernel } from '../inspect/layerWeights.ts';
import { recordedWeights } from '../inspect/recordedWeights.ts';
import type { LoopContext } from './callbacks.ts';
import { readCheckpointState } from './checkpointIO.ts';
import { installMnist } from './mnistFixture.ts';
import { nodeEnvironment } from './nodeEnvironment.ts';
import { train } from './trainer.ts';
import { prepareData, type TrainingData } from './trainingData.ts';
import { registerWasmTrainingKernels } from './wasmKernels.ts';
import { snapshotCapacity, snapshotEpochs } from './weightSnapshots.ts';
import type { TrainingMessage } from './workerProtocol.ts';

describe('which epochs keep their weights', () => {
  it('keeps every epoch while they all fit', () => {
    expect(snapshotEpochs(5, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(snapshotEpochs(5, 400)).toEqual([1, 2, 3, 4, 5]);
  });

  it('keeps none without room for one, the first alone with room for one', () => {
    expect(snapshotEpochs(50, 0)).toEqual([]);
    expect(snapshotEpochs(50, 1)).toEqual([1]);
  });

  it('spreads the epochs evenly from the first to the final one beyond the limit', () => {
    expect(snapshotEpochs(50, 2)).toEqual([1, 50]);
    expect(snapshotEpochs(50, 5)).toEqual([1, 13, 26, 38, 50]);
    expect(snapshotEpochs(10, 4)).toEqual([1, 4, 7, 10]);
  });

  it('never keeps more than fit, never twice the same epoch, and always the first and the final one', () => {
    for (let epochs = 1; epochs <= 120; epochs++)
      for (let capacity = 0; capacity <= epochs + 2; capacity++) {
        const kept = snapshotEpochs(epochs, capacity);
        expect(kept.length).toBe(Math.min(epochs, capacity));
        expect(new Set(kept).size).toBe(kept.length);
        expect([...kept].sort((a, b) => a - b)).toEqual(kept);
        if (kept.length >= 1) expect(kept[0]).toBe(1);
        if (kept.length >= 2) {
          expect(kept.at(-1)).toBe(epochs);
          // Evenly spaced: gaps differ by at most one epoch.
          const gaps = kept.slice(1).map((e, i) => e - kept[i]!);
          expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
        }
      }
  });

  it('counts how many snapshots fit in the limit', () => {
    expect(snapshotCapacity(8 * 1024 * 1024, 245_000)).toBe(34);
    expect(snapshotCapacity(1000, 1001)).toBe(0);
    expect(snapshotCapacity(0, 10)).toBe(0);
  });
});

// A small LeNet-like net: two convs, so the filters of either can be read back.
const spec = ModelSpec.parse({
  name: 'tiny-lenet',
  inputShape: [28, 28, 1],
  numClasses: 10,
  layers: [
    { type: 'conv2d', filters: 4, kernelSize: 5 },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 6, kernelSize: 3 },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 16 },
  ],
});

describe('a real short run', () => {
  let mnist: { datasetsDir: string; cleanup: () => void };
  let data: TrainingData;
  const temps: (() => void)[] = [];

  beforeAll(async () => {
    registerWasmTrainingKernels();
    mnist = await installMnist();
    data = await prepareData({
      datasetsDir: mnist.datasetsDir,
      dataset: 'mnist',
      subset: { trainPerClass: 10, testPerClass: 4 },
      hyperparameters: Hyperparameters.parse({ epochs: 1, learningRate: 0.01, validationSplit: 0.25, seed: 3 }),
    });
    expect(await tf.setBackend('wasm')).toBe(true);
  });
  afterAll(() => {
    mnist?.cleanup();
    for (const cleanup of temps) cleanup();
  });

  /** Trains, and copies conv layer 0 and 2's kernels as tfjs holds them at the end of every epoch. */
  async function trainRun(
    hp: Partial<HyperparametersInput>,
    options: { runDir?: string; snapshotLimitBytes?: number; stopAfterEpochs?: number; resume?: boolean } = {},
  ) {
    let runDir = options.runDir;
    if (!runDir) {
      const temp = makeTempDir('kernellab-snapshots-');
      temps.push(temp.cleanup);
      runDir = temp.dir;
    }
    const held = new Map<number, Float32Array[]>();
    const messages: TrainingMessage[] = [];
    const status = await train({
      runId: 1,
      spec,
      hyperparameters: Hyperparameters.parse({ batchSize: 32, learningRate: 0.01, optimizer: 'adam', seed: 3, ...hp }),
      data,
      environment: nodeEnvironment(runDir),
      resume: options.resume ?? false,
      stopAfterEpochs: options.stopAfterEpochs,
      snapshotLimitBytes: options.snapshotLimitBytes,
      backend: 'wasm',
      device: 'test',
      emit: (m) => messages.push(structuredClone(m)),
      isCanceled: () => false,
      batchEndIntervalMs: 1000,
      callbacks: (loop: LoopContext) => [
        {
          onEpochEnd: (epoch: number) => {
            const kernels = loop.model.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.getWeights()[0]!);
            held.set(
              epoch,
              kernels.map((k) => k.dataSync() as Float32Array),
            );
          },
        },
      ],
    });
    const checkpoints = join(runDir, 'checkpoints');
    const snapshots = readdirSync(checkpoints)
      .flatMap((name) => (/^epoch-\d+$/.test(name) ? [Number(name.slice(6))] : []))
      .sort((a, b) => a - b);
    return { status, held, messages, runDir, checkpoints, snapshots };
  }

  // Room for three and a half: model.json names the layers as tfjs numbered them in this process, a few bytes more in a later run.
  let measured: number | undefined;
  const oneSnapshotBytes = async () => {
    measured ??= await (async () => {
      const probe = await trainRun({ epochs: 1 });
      const first = probe.messages.find((m) => m.type === 'checkpoint' && m.kind === 'epoch');
      if (first?.type !== 'checkpoint') throw new Error('no snapshot was sent');
      return first.files.reduce((sum, f) => sum + f.bytes, 0);
    })();
    return measured;
  };

  it("keeps every epoch's weights under the default limit, and the filters read at epoch k are the weights tfjs held after epoch k", async () => {
    const run = await trainRun({ epochs: 4 });
    expect(run.status).toBe('completed');
    expect(run.snapshots).toEqual([1, 2, 3, 4]);
    // Only the model: nothing resumes from a snapshot.
    expect(readdirSync(join(run.checkpoints, 'epoch-2')).sort()).toEqual(['model.json', 'weights.bin']);
    for (const epoch of [1, 2, 3, 4]) {
      const [conv1, conv2] = run.held.get(epoch)!;
      const dir = join(run.checkpoints, `epoch-${epoch}`);
      expect(Array.from((await readConvKernel(dir, spec, 0)).values)).toEqual(Array.from(conv1!));
      expect(Array.from((await readConvKernel(dir, spec, 2)).values)).toEqual(Array.from(conv2!));
    }
    // The weights really moved between epochs: the slider shows four different pictures.
    expect(Array.from(run.held.get(1)![0]!)).not.toEqual(Array.from(run.held.get(4)![0]!));
    // Each was told to main as an epoch checkpoint, ahead of the epoch's last checkpoint.
    const order = run.messages.flatMap((m) => (m.type === 'checkpoint' ? [`${m.kind} ${m.epoch}`] : []));
    expect(order.filter((o) => o.startsWith('epoch'))).toEqual(['epoch 1', 'epoch 2', 'epoch 3', 'epoch 4']);
    expect(order.indexOf('epoch 3')).toBeLessThan(order.indexOf('last 3'));
    // The inspect view's stops: one per epoch.
    const best = readCheckpointState(join(run.checkpoints, 'best')).bestEpoch!;
    expect(recordedWeights([], run.runDir, run.checkpoints).map((w) => `${w.epoch} ${w.kind}`)).toEqual(
      [1, 2, 3, 4].map((e) => `${e} ${e === best ? 'best' : e === 4 ? 'last' : 'epoch'}`),
    );
    expect(readCheckpointState(join(run.checkpoints, 'last')).snapshotLimitBytes).toBe(8 * 1024 * 1024);
  });

  it('beyond the limit keeps evenly spaced epochs within it, and the best and last checkpoints besides', async () => {
    const each = await oneSnapshotBytes();
    const run = await trainRun({ epochs: 5 }, { snapshotLimitBytes: Math.floor(3.5 * each) });
    expect(run.status).toBe('completed');
    expect(run.snapshots).toEqual([1, 3, 5]);
    const onDisk = run.snapshots
      .flatMap((e) => readdirSync(join(run.checkpoints, `epoch-${e}`)).map((f) => join(run.checkpoints, `epoch-${e}`, f)))
      .reduce((sum, path) => sum + statSync(path).size, 0);
    expect(onDisk).toBeLessThanOrEqual(Math.floor(3.5 * each));
    const best = readCheckpointState(join(run.checkpoints, 'best')).bestEpoch!;
    const stops = recordedWeights([], run.runDir, run.checkpoints).map((w) => w.epoch);
    expect(stops).toEqual([...new Set([1, 3, 5, best])].sort((a, b) => a - b));
  });

  it('keeps none with a limit of 0: the best and last checkpoints only', async () => {
    const run = await trainRun({ epochs: 2 }, { snapshotLimitBytes: 0 });
    expect(run.snapshots).toEqual([]);
    expect(run.messages.some((m) => m.type === 'checkpoint' && m.kind === 'epoch')).toBe(false);
  });

  it('a resumed run keeps the limit and the plan it started with, and the weights of each epoch stay those of that epoch', async () => {
    const limit = Math.floor(3.5 * (await oneSnapshotBytes()));
    const first = await trainRun({ epochs: 5 }, { snapshotLimitBytes: limit, stopAfterEpochs: 2 });
    expect(first.status).toBe('canceled');
    expect(first.snapshots).toEqual([1]);
    // Resumed with a far larger limit set since: the run goes on with its own.
    const resumed = await trainRun({ epochs: 5 }, { runDir: first.runDir, resume: true, snapshotLimitBytes: 1024 * 1024 * 1024 });
    expect(resumed.status).toBe('completed');
    expect(resumed.snapshots).toEqual([1, 3, 5]);
    for (const epoch of [3, 5]) {
      const dir = join(resumed.checkpoints, `epoch-${epoch}`);
      expect(Array.from((await readConvKernel(dir, spec, 0)).values)).toEqual(Array.from(resumed.held.get(epoch)![0]!));
    }
    const [conv1] = first.held.get(1)!;
    expect(Array.from((await readConvKernel(join(resumed.checkpoints, 'epoch-1'), spec, 0)).values)).toEqual(Array.from(conv1!));
  });
});
