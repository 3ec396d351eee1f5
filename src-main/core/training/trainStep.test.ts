import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelSpec, type ModelSpecInput } from '../contract/training.ts';
import { buildModel } from '../models/buildModel.ts';
import { crossEntropy } from './batches.ts';
import { evaluateModel } from './evaluate.ts';
import { trainStep } from './trainStep.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const batch = () => {
  const x = tf.tidy(() => tf.div(tf.reshape(tf.range(0, 2 * 4 * 4, 1, 'float32'), [2, 4, 4, 1]), 32));
  const labels = tf.tensor1d([1, 2], 'int32');
  return { x, labels, y: tf.oneHot(labels, 3) };
};

/** The loss of one step, and Σw² / Σ|w| of the kernels, read before the step changes them. */
function lossOfOneStep(spec: ModelSpecInput) {
  const model = buildModel(ModelSpec.parse(spec), 9);
  const b = batch();
  const crossEntropyBefore = tf.tidy(() => crossEntropy(model.apply(b.x, { training: true }) as tf.Tensor, b.y).dataSync()[0]!);
  const kernels = model.layers.filter((l) => l.getWeights().length > 0).map((l) => Array.from(l.getWeights()[0]!.dataSync()));
  const squares = kernels.map((k) => k.reduce((a, w) => a + w * w, 0));
  const absolutes = kernels.map((k) => k.reduce((a, w) => a + Math.abs(w), 0));
  const optimizer = tf.train.sgd(0.1);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const stats = trainStep({ model, optimizer, vars }, b);
  const [loss] = stats.dataSync();
  tf.dispose([stats, b.x, b.y, b.labels]);
  optimizer.dispose();
  model.dispose();
  return { loss: loss!, crossEntropy: crossEntropyBefore, squares, absolutes };
}

const spec = (regularized: boolean): ModelSpecInput => ({
  inputShape: [4, 4, 1],
  numClasses: 3,
  layers: [
    { type: 'conv2d', filters: 2, kernelSize: 3, ...(regularized ? { kernelRegularizer: { l2: 0.01 } } : {}) },
    { type: 'flatten' },
    { type: 'dense', units: 5 },
  ],
  ...(regularized ? { output: { kernelRegularizer: { l1: 0.001, l2: 0 } } } : {}),
});

describe('regularisers', () => {
  it("add l1·Σ|w| + l2·Σw² of their kernels to the loss a step trains on and reports, as Keras' loss does", () => {
    const plain = lossOfOneStep(spec(false));
    expect(plain.loss).toBeCloseTo(plain.crossEntropy, 5);
    const regularized = lossOfOneStep(spec(true));
    const [convSquares, , outputAbs] = [regularized.squares[0]!, regularized.squares[1]!, regularized.absolutes[2]!];
    expect(regularized.loss).toBeCloseTo(regularized.crossEntropy + 0.01 * convSquares + 0.001 * outputAbs, 5);
    expect(0.01 * convSquares + 0.001 * outputAbs).toBeGreaterThan(1e-3);
  });

  it('add the same penalty to an evaluation loss', async () => {
    const model = buildModel(ModelSpec.parse(spec(true)), 9);
    const plain = buildModel(ModelSpec.parse(spec(false)), 9);
    try {
      const split = {
        images: Uint8Array.from({ length: 3 * 16 }, (_, i) => (i * 37) % 256),
        labels: Uint8Array.from([0, 1, 2]),
        count: 3,
        height: 4,
        width: 4,
        channels: 1,
        classNames: ['a', 'b', 'c'],
      };
      const kernels = model.layers.filter((l) => l.getWeights().length > 0).map((l) => Array.from(l.getWeights()[0]!.dataSync()));
      const penalty = 0.01 * kernels[0]!.reduce((a, w) => a + w * w, 0) + 0.001 * kernels[2]!.reduce((a, w) => a + Math.abs(w), 0);
      const withPenalty = (await evaluateModel(model, split, 3, { wantDetails: false })).loss;
      const without = (await evaluateModel(plain, split, 3, { wantDetails: false })).loss;
      // Same seed, same weights: the two losses differ by the penalty alone.
      expect(withPenalty - without).toBeCloseTo(penalty, 5);
    } finally {
      model.dispose();
      plain.dispose();
    }
  });
});
