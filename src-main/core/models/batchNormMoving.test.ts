/**
 * Issue 20: the Fashion-MNIST tutorial network's test accuracy was far below Keras' in the parity
 * bench, and batch norm's moving averages were the suspect. These pin what inference relies on, on
 * the path training really takes (wasm's fused kernels, through trainStep): after K steps the
 * moving averages are Keras' exponential average of the batch statistics —
 * m ← m·momentum + μ·(1 − momentum), with the biased batch variance — from mean 0 and variance 1,
 * and inference normalises with them. (They were; the parity gap was the seeds': see BENCHMARKS.md.)
 */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrainingKernel } from './batchNormTraining.ts';
import { BatchNorm } from './customLayers.ts';
import { trainStep } from '../training/trainStep.ts';
import { ensureGradients, registerWasmTrainingKernels } from '../training/wasmKernels.ts';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await ensureGradients();
  expect(await tf.setBackend('wasm')).toBe(true);
});

describe("BatchNorm's moving averages on the training path", () => {
  it("follow Keras' exponential average of the batch mean and biased variance, and inference uses them", async () => {
    expect(tf.getKernel(batchNormTrainingKernel, 'wasm')).toBeDefined();
    const momentum = 0.99;
    const epsilon = 1e-3;
    const model = tfl.sequential();
    model.add(tfl.layers.dense({ inputShape: [3], units: 4, kernelInitializer: tfl.initializers.glorotUniform({ seed: 5 }) }));
    const norm = new BatchNorm({ momentum, epsilon });
    model.add(norm);
    model.add(tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 6 }) }));
    // Learning rate 0: the weights stay, so every step sees the same batch statistics.
    const optimizer = tf.train.sgd(0);
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const x = tf.tensor2d([
      [1, 2, 3],
      [-1, 0.5, 2],
      [4, -2, 0],
      [0.5, 0.5, -3],
      [2, 1, 1],
    ]);
    const labels = tf.tensor1d([0, 1, 1, 0, 1], 'int32');
    const y = tf.oneHot(labels, 2);
    const steps = 40;
    for (let i = 0; i < steps; i++) trainStep({ model, optimizer, vars }, { x, y, labels }).dispose();

    const hidden = model.layers[0]!.apply(x) as tf.Tensor2D;
    const { mean, variance } = tf.moments(hidden, 0);
    const batchMean = Array.from(await mean.data());
    const batchVariance = Array.from(await variance.data());
    const kept = momentum ** steps;
    const [movingMean, movingVariance] = norm.getWeights().slice(2);
    const expectedMean = batchMean.map((m) => (1 - kept) * m);
    const expectedVariance = batchVariance.map((v) => kept + (1 - kept) * v);
    Array.from(await movingMean!.data()).forEach((v, i) => expect(v).toBeCloseTo(expectedMean[i]!, 5));
    Array.from(await movingVariance!.data()).forEach((v, i) => expect(v).toBeCloseTo(expectedVariance[i]!, 5));

    // Inference: (x − moving mean)/√(moving variance + ε)·γ + β, with γ = 1, β = 0 at lr 0.
    const inferred = Array.from(await (norm.apply(hidden, { training: false }) as tf.Tensor).data());
    const hiddenValues = Array.from(await hidden.data());
    hiddenValues.forEach((h, k) => {
      const c = k % 4;
      expect(inferred[k]).toBeCloseTo((h - expectedMean[c]!) / Math.sqrt(expectedVariance[c]! + epsilon), 4);
    });
    tf.dispose([x, labels, y, hidden, mean, variance]);
    optimizer.dispose();
    model.dispose();
  });
});
