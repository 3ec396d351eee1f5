import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { ModelSpec } from '../contract/training.ts';
import { loadSplit } from '../datasets/index.ts';
import { buildModel } from '../models/buildModel.ts';
import { getPreset } from '../models/presets.ts';
import { saveCheckpoint } from '../training/checkpointIO.ts';
import { freshState } from '../training/checkpointState.ts';
import { installMnist } from '../training/mnistFixture.ts';
import { exportCheckpoint } from './exportModel.ts';

const temp = makeTempDir('kernellab-export-');
let mnist: Awaited<ReturnType<typeof installMnist>>;
beforeAll(async () => {
  await tf.setBackend('cpu');
  mnist = await installMnist();
});
afterAll(() => {
  temp.cleanup();
  mnist?.cleanup();
});

/** Weights as if trained: every weight (BatchNorm's moving statistics too) moved off its initial value, seeded. */
function perturb(model: tfl.LayersModel, seed: number): void {
  model.weights.forEach((w, i) => {
    const positive = w.originalName.endsWith('moving_variance') || w.originalName.endsWith('gamma');
    tf.tidy(() => {
      w.write(tf.add(w.read(), tf.randomUniform(w.shape as number[], positive ? 0.1 : -0.2, positive ? 0.9 : 0.2, 'float32', seed + i)));
    });
  });
}

// Dropout and BatchNorm are KernelLab's own layers in training: the export must name stock ones.
const withBatchNorm = ModelSpec.parse({
  name: 'bn_dropout',
  inputShape: [28, 28, 1],
  numClasses: 10,
  layers: [
    { type: 'conv2d', filters: 6, kernelSize: 5, padding: 'same' },
    { type: 'batchNorm' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'dropout', rate: 0.3 },
    { type: 'conv2d', filters: 8, kernelSize: 3, activation: 'selu', useBias: false },
    { type: 'flatten' },
    { type: 'dense', units: 32, activation: 'tanh' },
    { type: 'dropout', rate: 0.5 },
  ],
});

describe("a run's checkpoint exported as a TF.js Layers model", () => {
  for (const spec of [getPreset('lenet5-relu').spec, withBatchNorm]) {
    it(`loads back in tfjs from stock layer classes with the same predictions on 100 MNIST test images (${spec.name})`, async () => {
      const trained = buildModel(spec, 5);
      perturb(trained, 17);
      const dir = join(temp.dir, spec.name);
      await saveCheckpoint(dir, trained, tf.train.sgd(0.1), freshState());
      const exported = await exportCheckpoint(dir, spec);

      const modelJson = JSON.parse(exported.modelJson) as {
        format: string;
        modelTopology: unknown;
        weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      };
      expect(modelJson.format).toBe('layers-model');
      expect(modelJson.weightsManifest[0]!.paths).toEqual(['weights.bin']);
      const classes = JSON.stringify(modelJson.modelTopology).match(/"class_name":"[A-Za-z0-9]+"/g) ?? [];
      expect(classes.filter((c) => c.includes('KernelLab'))).toEqual([]);

      const loaded = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology as tf.io.ModelJSON['modelTopology'],
          weightSpecs: modelJson.weightsManifest[0]!.weights,
          weightData: exported.weights.buffer.slice(exported.weights.byteOffset, exported.weights.byteOffset + exported.weights.byteLength),
        }),
      );
      const test = await loadSplit(mnist.datasetsDir, 'mnist', 'test');
      const x = tf.div(tf.tensor4d(test.images.subarray(0, 100 * 784), [100, 28, 28, 1], 'float32'), 255);
      try {
        const want = (trained.predict(x) as tf.Tensor).dataSync();
        const got = (loaded.predict(x) as tf.Tensor).dataSync();
        expect(got.length).toBe(1000);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        expect(worst).toBeLessThanOrEqual(1e-6);
        // Not a model that answers the same for everything.
        expect(
          new Set(
            Array.from({ length: 100 }, (_, i) => want.slice(i * 10, i * 10 + 10).indexOf(Math.max(...want.slice(i * 10, i * 10 + 10)))),
          ).size,
        ).toBeGreaterThan(1);
      } finally {
        x.dispose();
        trained.dispose();
        loaded.dispose();
      }
    });
  }

  it('refuses a model with local response normalisation (AlexNet-28), saying why', async () => {
    const spec = getPreset('alexnet-28').spec;
    await expect(exportCheckpoint(join(temp.dir, 'nowhere'), spec)).rejects.toThrow(
      /\(lrn\): local response normalisation has no Keras layer/,
    );
  });
});
