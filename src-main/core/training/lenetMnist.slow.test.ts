import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { getPreset } from '../models/presets.ts';
import { forkWorker } from '../workerHost.ts';
import { installMnist } from './mnistFixture.ts';
import { startRun } from './runController.ts';
import { TrainRequest, type TrainingMessage } from './workerProtocol.ts';

let mnist: { datasetsDir: string; cleanup: () => void };
let runDir: { dir: string; cleanup: () => void };
beforeAll(async () => {
  mnist = await installMnist();
  runDir = makeTempDir('kernellab-slow-');
});
afterAll(() => {
  mnist?.cleanup();
  runDir?.cleanup();
});

it(
  'trains LeNet-5 (relu, adam 1e-3, batch 64) for 2 epochs on all 60,000 MNIST images on wasm to ≥ 98.0% test accuracy',
  { timeout: 900_000 },
  async () => {
    const preset = getPreset('lenet5-relu');
    const request = TrainRequest.parse({
      type: 'train',
      runId: 1,
      spec: preset.spec,
      hyperparameters: {
        ...preset.hyperparameters,
        epochs: 2,
        batchSize: 64,
        optimizer: 'adam',
        learningRate: 1e-3,
        validateOn: 'test',
        backend: 'wasm',
      },
      datasetsDir: mnist.datasetsDir,
      dataset: 'mnist',
      runDir: runDir.dir,
    });
    const messages: TrainingMessage[] = [];
    const run = startRun(forkWorker, fileURLToPath(new URL('./worker.ts', import.meta.url)), request, {
      onMessage: (_id, m) => messages.push(m),
    });
    const outcome = await run.done;
    expect(outcome).toEqual({ status: 'completed', error: null, errorText: null, errorIssues: null, epochsCompleted: 2 });
    const begin = messages.find((m) => m.type === 'trainBegin');
    expect(begin?.type === 'trainBegin' && [begin.backend, begin.trainCount, begin.testCount]).toEqual(['wasm', 60_000, 10_000]);
    const evaluation = messages.find((m) => m.type === 'evaluation');
    if (evaluation?.type !== 'evaluation') throw new Error('no evaluation message');
    const epochs = messages.filter((m) => m.type === 'epochEnd');
    console.log(
      `LeNet-5 wasm: ${epochs.map((e) => e.type === 'epochEnd' && `epoch ${e.epoch}: ${e.logs.samples_per_sec!.toFixed(0)} images/s, val_acc ${e.logs.val_accuracy}`).join('; ')}; test accuracy ${evaluation.accuracy}`,
    );
    expect(evaluation.count).toBe(10_000);
    expect(evaluation.accuracy).toBeGreaterThanOrEqual(0.98);
  },
);
