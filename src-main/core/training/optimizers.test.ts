import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Hyperparameters, type HyperparametersInput } from '../contract/training.ts';
import { makeOptimizer } from './trainer.ts';
import { ensureGradients, registerWasmTrainingKernels } from './wasmKernels.ts';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await ensureGradients();
});

/** tfjs variable names must be unique. */
let variables = 0;

/**
 * Applies the same gradient `steps` times to a variable and returns its values. The loss is
 * Σ g·w, so the gradient is exactly `g` at every step: the update is the optimizer's arithmetic alone.
 */
async function stepWith(
  backend: 'cpu' | 'wasm',
  hp: Partial<HyperparametersInput>,
  start: number[],
  gradient: number[],
  steps: number,
): Promise<number[]> {
  expect(await tf.setBackend(backend)).toBe(true);
  const optimizer = makeOptimizer(Hyperparameters.parse({ epochs: 1, learningRate: 0.01, ...hp }));
  const w = tf.variable(tf.tensor1d(start), true, `w${++variables}`);
  const g = tf.tensor1d(gradient);
  for (let i = 0; i < steps; i++) optimizer.minimize(() => tf.sum(tf.mul(g, w)) as tf.Scalar, false, [w]);
  const values = Array.from(w.dataSync());
  tf.dispose([w, g]);
  optimizer.dispose();
  return values;
}

/** tfjs computes in float32: five decimals. */
const close = (actual: number[], expected: number[], digits = 5) => actual.forEach((a, i) => expect(a).toBeCloseTo(expected[i]!, digits));

describe('optimizer constants reach tfjs', () => {
  // One Adam step from zero moments: m̂ = g and v̂ = g², so w ← w − lr · g / (|g| + ε). With
  // |g| = 1e-7 the step is lr · 1e-7 / 2e-7 = lr / 2 at Keras' ε = 1e-7 and lr · 1e-7 / 1.1e-7 at
  // TF-1's ε = 1e-8; with g = 0.5, ε does not show.
  const start = [0.5, -0.3, 2];
  const gradient = [1e-7, -1e-7, 0.5];
  const lr = 0.1;
  const adamStep = (epsilon: number) => start.map((w, i) => w - (lr * gradient[i]!) / (Math.abs(gradient[i]!) + epsilon));

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`an Adam step with epsilon 1e-8 is not one with 1e-7, each as computed by hand (${backend}${backend === 'wasm' ? ', fused Adam' : ''})`, async () => {
      const keras = await stepWith(backend, { optimizer: 'adam', learningRate: lr }, start, gradient, 1);
      const tf1 = await stepWith(backend, { optimizer: 'adam', learningRate: lr, epsilon: 1e-8 }, start, gradient, 1);
      close(keras, adamStep(1e-7));
      close(tf1, adamStep(1e-8));
      expect(keras[0]).toBeCloseTo(0.45, 5);
      expect(tf1[0]).toBeCloseTo(0.5 - 0.1 / 1.1, 5);
    });
  }

  it("Adam's beta1 and beta2 shape the second step", async () => {
    // Step 2 with a constant gradient: m̂ = g and v̂ = g² whatever the betas, unless a beta is 0 —
    // so test the moments after a changed gradient instead: w after steps with g then 2g.
    expect(await tf.setBackend('cpu')).toBe(true);
    const run = async (beta1: number, beta2: number) => {
      const optimizer = makeOptimizer(Hyperparameters.parse({ epochs: 1, optimizer: 'adam', learningRate: 1, beta1, beta2 }));
      const w = tf.variable(tf.scalar(0), true, `adam${++variables}`);
      for (const g of [1, 3]) optimizer.minimize(() => tf.mul(g, w) as tf.Scalar, false, [w]);
      const value = w.dataSync()[0]!;
      tf.dispose(w);
      optimizer.dispose();
      return value;
    };
    const byHand = (b1: number, b2: number) => {
      // Step 1: m̂ = 1, v̂ = 1 → −1/(1+ε). Step 2: m = b1(1−b1)·1 + (1−b1)·3, v = b2(1−b2) + (1−b2)·9.
      const m = (1 - b1) * b1 + (1 - b1) * 3;
      const v = (1 - b2) * b2 + (1 - b2) * 9;
      return -1 / (1 + 1e-7) - m / (1 - b1 ** 2) / (Math.sqrt(v / (1 - b2 ** 2)) + 1e-7);
    };
    expect(await run(0.9, 0.999)).toBeCloseTo(byHand(0.9, 0.999), 4);
    expect(await run(0.5, 0.9)).toBeCloseTo(byHand(0.5, 0.9), 4);
    expect(byHand(0.5, 0.9)).not.toBeCloseTo(byHand(0.9, 0.999), 2);
  });

  it("RMSprop's rho, momentum and centered, two steps by hand", async () => {
    const rho = 0.8;
    const momentum = 0.5;
    const lr = 0.01;
    const g = 2;
    // Keras 3's RMSprop (tfjs computes the same): ms ← ρ·ms + (1−ρ)g², mg ← ρ·mg + (1−ρ)g,
    // increment = lr·g / √(ms − mg² + ε) (centered) or √(ms + ε), moment ← momentum·moment + increment.
    const byHand = (centered: boolean, mom: number) => {
      let ms = 0;
      let mg = 0;
      let moment = 0;
      let w = 1;
      for (let step = 0; step < 2; step++) {
        ms = rho * ms + (1 - rho) * g * g;
        mg = rho * mg + (1 - rho) * g;
        moment = mom * moment + (lr * g) / Math.sqrt((centered ? ms - mg * mg : ms) + 1e-7);
        w -= moment;
      }
      return w;
    };
    for (const centered of [false, true]) {
      const [w] = await stepWith('cpu', { optimizer: 'rmsprop', learningRate: lr, rho, momentum, centered }, [1], [g], 2);
      expect(w).toBeCloseTo(byHand(centered, momentum), 5);
    }
    // Unset, RMSprop's momentum is Keras' 0 — not the momentum optimizer's 0.9.
    const [plain] = await stepWith('cpu', { optimizer: 'rmsprop', learningRate: lr, rho }, [1], [g], 2);
    expect(plain).toBeCloseTo(byHand(false, 0), 5);
    expect(byHand(false, 0)).not.toBeCloseTo(byHand(false, momentum), 3);
  });

  it('SGD momentum and nesterov, two steps by hand', async () => {
    // tfjs: accumulation ← momentum·accumulation + g; w ← w − lr·accumulation, or with Nesterov
    // w ← w − lr·(g + momentum·accumulation).
    const [plain] = await stepWith('cpu', { optimizer: 'momentum', learningRate: 0.1, momentum: 0.5 }, [1], [2], 2);
    expect(plain).toBeCloseTo(1 - 0.1 * 2 - 0.1 * (0.5 * 2 + 2), 6);
    const [nesterov] = await stepWith('cpu', { optimizer: 'momentum', learningRate: 0.1, momentum: 0.5, nesterov: true }, [1], [2], 2);
    expect(nesterov).toBeCloseTo(1 - 0.1 * (2 + 0.5 * 2) - 0.1 * (2 + 0.5 * 3), 6);
    // Unset, the momentum optimizer's momentum is 0.9.
    const [unset] = await stepWith('cpu', { optimizer: 'momentum', learningRate: 0.1 }, [1], [2], 2);
    expect(unset).toBeCloseTo(1 - 0.1 * 2 - 0.1 * (0.9 * 2 + 2), 6);
  });
});
