import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { presets } from '../models/presets.ts';
import { installMnist } from './mnistFixture.ts';
import { nodeEnvironment } from './nodeEnvironment.ts';
import { train } from './trainer.ts';
import { prepareData } from './trainingData.ts';
import { registerWasmTrainingKernels } from './wasmKernels.ts';
import type { TrainingMessage } from './workerProtocol.ts';

let mnist: { datasetsDir: string; cleanup: () => void };
beforeAll(async () => {
  mnist = await installMnist();
  expect(await tf.setBackend('wasm')).toBe(true);
  registerWasmTrainingKernels();
});
afterAll(() => mnist?.cleanup());

// Images per class: enough steps for one short epoch to move every preset off chance (10%), few
// enough for the quick loop (AlexNet-28 costs ~30× LeNet-5 per image).
const perClass: Record<string, number> = { 'alexnet-28': 100, 'fashion-bn-dropout': 60 };
const batchSize: Record<string, number> = { 'alexnet-28': 16 };

describe('every preset, one short epoch on real MNIST on wasm', () => {
  for (const preset of presets) {
    it(`${preset.id} beats chance`, async () => {
      // LeNet-5 (swish) is specified for 32×32×3 CIFAR-10; the same layers run here on 28×28×1 MNIST.
      const spec = ModelSpec.parse({ ...preset.spec, inputShape: [28, 28, 1] });
      const hyperparameters = Hyperparameters.parse({
        ...preset.hyperparameters,
        epochs: 1,
        batchSize: batchSize[preset.id] ?? 32,
        validationSplit: 0,
        seed: 3,
      });
      const data = await prepareData({
        datasetsDir: mnist.datasetsDir,
        dataset: 'mnist',
        subset: { trainPerClass: perClass[preset.id] ?? 100, testPerClass: 30 },
        hyperparameters,
      });
      const runDir = makeTempDir('kernellab-preset-');
      const messages: TrainingMessage[] = [];
      try {
        const status = await train({
          runId: 1,
          spec,
          hyperparameters,
          data,
          environment: nodeEnvironment(runDir.dir),
          resume: false,
          backend: 'wasm',
          device: 'test',
          emit: (m) => messages.push(m),
          isCanceled: () => false,
        });
        expect(status).toBe('completed');
      } finally {
        runDir.cleanup();
      }
      const evaluation = messages.find((m) => m.type === 'evaluation');
      if (evaluation?.type !== 'evaluation') throw new Error('no evaluation');
      expect(evaluation.count).toBe(300);
      expect(evaluation.accuracy).toBeGreaterThan(0.2);
    });
  }
});
