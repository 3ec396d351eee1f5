import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
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

const script = join(import.meta.dirname, '..', '..', '..', 'bench', 'reference', 'keras_round_trip.py');
const temp = makeTempDir('kernellab-export-keras-');
let mnist: Awaited<ReturnType<typeof installMnist>>;

/** What the converter's Keras model predicts for the images, or why Python cannot say here. */
function kerasRoundTrip(folder: string, images: string, shape: number[]): { probabilities: number[] } | { absent: string } {
  const result = spawnSync('python3', [script, folder, images, ...shape.map(String)], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  if (result.error) return { absent: `python3 cannot run here (${result.error.message})` };
  if (result.status !== 0) throw new Error(`keras_round_trip.py failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { probabilities: number[] } | { absent: string };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  mnist = await installMnist();
});
afterAll(() => {
  temp.cleanup();
  mnist?.cleanup();
});

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
  ],
});

describe('an exported model through tensorflowjs_converter into Keras', () => {
  for (const spec of [getPreset('lenet5-relu').spec, withBatchNorm]) {
    it(`gives the probabilities tfjs gives on 100 MNIST test images, within 1e-5 (${spec.name})`, async (context) => {
      const model = buildModel(spec, 21);
      // Off their initial values, as training leaves them (BatchNorm's moving statistics too).
      model.weights.forEach((w, i) => {
        const positive = w.originalName.endsWith('moving_variance') || w.originalName.endsWith('gamma');
        tf.tidy(() => {
          w.write(tf.add(w.read(), tf.randomUniform(w.shape as number[], positive ? 0.1 : -0.2, positive ? 0.9 : 0.2, 'float32', 31 + i)));
        });
      });
      const folder = join(temp.dir, spec.name);
      await saveCheckpoint(join(folder, 'checkpoint'), model, tf.train.sgd(0.1), freshState());
      const exported = await exportCheckpoint(join(folder, 'checkpoint'), spec);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'model.json'), exported.modelJson);
      writeFileSync(join(folder, 'weights.bin'), exported.weights);

      const test = await loadSplit(mnist.datasetsDir, 'mnist', 'test');
      const x = tf.div(tf.tensor4d(test.images.subarray(0, 100 * 784), [100, 28, 28, 1], 'float32'), 255);
      const pixels = x.dataSync() as Float32Array;
      writeFileSync(join(folder, 'images.bin'), new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength));
      const want = (model.predict(x) as tf.Tensor).dataSync();
      x.dispose();
      model.dispose();

      const keras = kerasRoundTrip(folder, join(folder, 'images.bin'), [100, 28, 28, 1]);
      if ('absent' in keras) {
        console.warn(`Keras round trip skipped: ${keras.absent}`);
        context.skip();
        return;
      }
      expect(keras.probabilities).toHaveLength(1000);
      const worst = Math.max(...keras.probabilities.map((p, i) => Math.abs(p - want[i]!)));
      console.info(`${spec.name}: max |Keras − tfjs| probability over 100 images = ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  }
});
