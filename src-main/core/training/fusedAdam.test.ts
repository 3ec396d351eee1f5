import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Hyperparameters, optimizerSettings } from '../contract/training.ts';
import { SeededRandom } from '../random.ts';
import { adamUpdateKernel, FusedAdam, fusedAdamMaxSize } from './fusedAdam.ts';
import { makeOptimizer } from './trainer.ts';
import { ensureGradients, registerWasmTrainingKernels } from './wasmKernels.ts';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await ensureGradients();
  expect(await tf.setBackend('wasm')).toBe(true);
});

/** Keras' Adam constants, as a run gets them by default. */
const kerasAdam = optimizerSettings(Hyperparameters.parse({ epochs: 1, optimizer: 'adam', learningRate: 0.01 })) as {
  beta1: number;
  beta2: number;
  epsilon: number;
};

const random = (rng: SeededRandom, n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);

/** Trains two variables with `optimizer` for `steps` steps on a fixed loss; returns their values and the optimizer's weights. */
async function train(optimizer: tf.Optimizer, steps: number) {
  const rng = new SeededRandom(5);
  const a = tf.variable(tf.tensor2d(random(rng, 6 * 7), [6, 7]), true, `a${steps}${optimizer.constructor.name}`);
  const b = tf.variable(tf.tensor1d(random(rng, 7)), true, `b${steps}${optimizer.constructor.name}`);
  // Larger than fusedAdamMaxSize: updated by tfjs' kernels inside FusedAdam.
  const big = tf.variable(tf.tensor1d(random(rng, fusedAdamMaxSize + 100)), true, `c${steps}${optimizer.constructor.name}`);
  const x = tf.tensor2d(random(rng, 5 * 6), [5, 6]);
  const target = tf.tensor2d(random(rng, 5 * 7), [5, 7]);
  for (let i = 0; i < steps; i++)
    optimizer.minimize(
      () => tf.add(tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, a), b), target))), tf.mean(tf.square(tf.sin(big)))) as tf.Scalar,
    );
  const values = [Array.from(await a.data()), Array.from(await b.data()), Array.from(await big.data())];
  const weights = await optimizer.getWeights();
  const slots = await Promise.all(
    weights.map(async (w) => ({ name: w.name.replace(/^[abc]\d+\w+/, ''), values: Array.from(await w.tensor.data()) })),
  );
  tf.dispose([a, b, big, x, target, ...weights.map((w) => w.tensor)]);
  optimizer.dispose();
  return { values, slots };
}

describe('FusedAdam on wasm', () => {
  it("takes tfjs Adam's steps bitwise: weights, moments and iteration count", async () => {
    const c = kerasAdam;
    const probe = new FusedAdam(0.01, c.beta1, c.beta2, c.epsilon);
    const v = tf.variable(tf.tensor1d([1, 2, 3]), true, 'probe');
    const { kernelNames } = await tf.profile(() => {
      probe.minimize(() => tf.sum(tf.square(v)) as tf.Scalar);
    });
    expect(kernelNames).toContain(adamUpdateKernel);
    expect(kernelNames).not.toContain('Sqrt');
    probe.dispose();
    v.dispose();
    const fused = await train(new FusedAdam(0.01, c.beta1, c.beta2, c.epsilon), 25);
    const reference = await train(tf.train.adam(0.01, c.beta1, c.beta2, c.epsilon), 25);
    expect(fused.values).toEqual(reference.values);
    expect(fused.slots).toEqual(reference.slots);
    expect(fused.slots.map((s) => s.name)).toEqual(['iter', '/m', '/m', '/m', '/v', '/v', '/v']);
  });

  it("takes a notebook's own Adam constants as tfjs' Adam does, bitwise (a run's beta1, beta2 and epsilon reach the kernel)", async () => {
    // A GAN notebook's Adam: beta1 0.5, beta2 0.9, epsilon 1e-3 — far enough from the defaults that
    // a constant lost on the way (or rounded differently) changes the weights.
    const hp = Hyperparameters.parse({ epochs: 1, optimizer: 'adam', learningRate: 0.002, beta1: 0.5, beta2: 0.9, epsilon: 1e-3 });
    const optimizer = makeOptimizer(hp);
    expect(optimizer).toBeInstanceOf(FusedAdam);
    const fused = await train(optimizer, 25);
    const reference = await train(tf.train.adam(0.002, 0.5, 0.9, 1e-3), 25);
    expect(fused.values).toEqual(reference.values);
    expect(fused.slots).toEqual(reference.slots);
    const defaults = await train(new FusedAdam(0.002, kerasAdam.beta1, kerasAdam.beta2, kerasAdam.epsilon), 25);
    expect(defaults.values).not.toEqual(fused.values);
  });

  it("is tfjs' Adam on a backend without the kernel (cpu)", async () => {
    await tf.setBackend('cpu');
    try {
      const c = kerasAdam;
      const fused = await train(new FusedAdam(0.01, c.beta1, c.beta2, c.epsilon), 5);
      const reference = await train(tf.train.adam(0.01, c.beta1, c.beta2, c.epsilon), 5);
      expect(fused).toEqual(reference);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
