import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../random.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { batchNormTraining, batchNormTrainingKernel } from '../models/batchNormTraining.ts';
import { buildModel } from '../models/buildModel.ts';
import { makeOptimizer } from './trainer.ts';
import { trainStep } from './trainStep.ts';
import { ensureGradients, registerWasmTrainingKernels } from './wasmKernels.ts';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await ensureGradients();
  expect(await tf.setBackend('wasm')).toBe(true);
});

function randomArray(rng: SeededRandom, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() * 2 - 1;
  return out;
}

/** dL/dW of sum(conv2d(x, w) · dy) on one backend, via autodiff as training uses it. */
async function filterGradient(
  backend: string,
  x: Float32Array,
  xShape: [number, number, number, number],
  w: Float32Array,
  wShape: [number, number, number, number],
  dy: Float32Array,
  strides: number,
  pad: 'same' | 'valid',
): Promise<{ values: Float32Array; shape: number[] }> {
  await tf.setBackend(backend);
  const result = tf.tidy(() => {
    const xt = tf.tensor4d(x, xShape);
    const wt = tf.tensor4d(w, wShape);
    const g = tf.grad((wv: tf.Tensor) => {
      const y = tf.conv2d(xt, wv as tf.Tensor4D, strides, pad);
      return tf.sum(tf.mul(y, tf.tensor(dy, y.shape)));
    })(wt);
    return g;
  });
  const values = (await result.data()) as Float32Array;
  const shape = result.shape;
  result.dispose();
  return { values, shape };
}

describe('wasm training kernels', () => {
  const cases: { strides: number; pad: 'same' | 'valid'; inC: number; outC: number; size: number; k: number }[] = [];
  for (const strides of [1, 2, 3, 4]) {
    for (const pad of ['same', 'valid'] as const) {
      cases.push({ strides, pad, inC: 1, outC: 6, size: 28, k: 5 });
      // A 3×3 first layer to more channels than filter rows: dy transposed, im2col packed.
      cases.push({ strides, pad, inC: 1, outC: 32, size: 15, k: 3 });
      cases.push({ strides, pad, inC: 3, outC: 16, size: 13, k: 3 });
      cases.push({ strides, pad, inC: 64, outC: 64, size: 9, k: 3 });
    }
  }
  cases.push({ strides: 1, pad: 'valid', inC: 6, outC: 16, size: 12, k: 5 });
  cases.push({ strides: 2, pad: 'same', inC: 32, outC: 1, size: 10, k: 4 });

  for (const c of cases) {
    it(`matches cpu for stride ${c.strides}, ${c.pad}, ${c.inC}→${c.outC} channels, ${c.k}×${c.k} on ${c.size}×${c.size}`, async () => {
      const rng = new SeededRandom(c.strides * 1000 + c.inC * 10 + c.outC);
      const batch = 4;
      const xShape: [number, number, number, number] = [batch, c.size, c.size, c.inC];
      const wShape: [number, number, number, number] = [c.k, c.k, c.inC, c.outC];
      const out = c.pad === 'same' ? Math.ceil(c.size / c.strides) : Math.floor((c.size - c.k) / c.strides) + 1;
      const x = randomArray(
        rng,
        xShape.reduce((a, b) => a * b),
      );
      const w = randomArray(
        rng,
        wShape.reduce((a, b) => a * b),
      );
      const dy = randomArray(rng, batch * out * out * c.outC);
      const cpu = await filterGradient('cpu', x, xShape, w, wShape, dy, c.strides, c.pad);
      const wasm = await filterGradient('wasm', x, xShape, w, wShape, dy, c.strides, c.pad);
      expect(wasm.shape).toEqual(cpu.shape);
      let maxAbs = 0;
      let maxDiff = 0;
      for (let i = 0; i < cpu.values.length; i++) {
        maxAbs = Math.max(maxAbs, Math.abs(cpu.values[i]!));
        maxDiff = Math.max(maxDiff, Math.abs(cpu.values[i]! - wasm.values[i]!));
      }
      expect(maxAbs).toBeGreaterThan(0);
      // float32 sums of up to a few thousand products: agree to ~1e-5 relative to the largest entry.
      expect(maxDiff / maxAbs).toBeLessThan(1e-4);
    });
  }

  /** Gradient of sum(f(x, w) · r) with respect to x and w on one backend, for a forward op f. */
  async function gradients(
    backend: string,
    f: (x: tf.Tensor, w: tf.Tensor) => tf.Tensor,
    xs: tf.TensorLike,
    xShape: number[],
    ws: tf.TensorLike,
    wShape: number[],
  ) {
    await tf.setBackend(backend);
    const out = tf.tidy(() => {
      const x = tf.tensor(xs, xShape);
      const w = tf.tensor(ws, wShape);
      const yShape = f(x, w).shape;
      const r = tf.tensor(
        randomArray(
          new SeededRandom(99),
          yShape.reduce((a, b) => a * b, 1),
        ),
        yShape,
      );
      return tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), r)))([x, w]);
    });
    const values = await Promise.all(out.map((t) => t.data()));
    tf.dispose(out);
    return values.map((v) => Array.from(v as Float32Array));
  }
  function expectClose(a: number[], b: number[]): void {
    expect(a.length).toBe(b.length);
    const scale = a.reduce((m, v) => Math.max(m, Math.abs(v)), 1e-6);
    const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
    expect(diff / scale).toBeLessThan(1e-4);
  }

  // Strides 1–4, both paddings, 1–64 channels, odd and non-square sizes and filters: every shape
  // presets and sweeps produce goes through one of the two forms of each gradient.
  for (const pad of ['same', 'valid'] as const) {
    for (const strides of [1, 2, 3, 4]) {
      for (const [inC, outC, size, kh, kw] of [
        [6, 16, 12, 5, 4],
        [1, 8, 13, 3, 3],
        [2, 24, 11, 3, 2],
        [3, 5, 9, 2, 5],
        [64, 32, 7, 3, 3],
      ] as const) {
        if (pad === 'valid' && (size - Math.max(kh, kw)) / strides < 0) continue;
        it(`input and filter gradients match cpu for stride ${strides}, ${pad}, ${inC}→${outC} channels, ${kh}×${kw} on ${size}×${size + 1}`, async () => {
          const rng = new SeededRandom(strides * 100 + inC + (pad === 'same' ? 10 : 20));
          const xShape: number[] = [3, size, size + 1, inC];
          const wShape: number[] = [kh, kw, inC, outC];
          const x = randomArray(
            rng,
            xShape.reduce((a, b) => a * b),
          );
          const w = randomArray(
            rng,
            wShape.reduce((a, b) => a * b),
          );
          const f = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad);
          const cpu = await gradients('cpu', f, x, xShape, w, wShape);
          const wasm = await gradients('wasm', f, x, xShape, w, wShape);
          expectClose(cpu[0]!, wasm[0]!);
          expectClose(cpu[1]!, wasm[1]!);
        });
      }
    }
  }

  it('dense-layer gradients (transposed BatchMatMul) match cpu', async () => {
    const rng = new SeededRandom(4);
    const x = randomArray(rng, 64 * 256);
    const w = randomArray(rng, 256 * 120);
    const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
    const cpu = await gradients('cpu', f, x, [64, 256], w, [256, 120]);
    const wasm = await gradients('wasm', f, x, [64, 256], w, [256, 120]);
    expectClose(cpu[0]!, wasm[0]!);
    expectClose(cpu[1]!, wasm[1]!);
    // Wide weights and a small batch: each product is computed transposed, (Bᵀ·Aᵀ)ᵀ.
    const xs = randomArray(rng, 8 * 512);
    const ws = randomArray(rng, 512 * 256);
    const cpuWide = await gradients('cpu', f, xs, [8, 512], ws, [512, 256]);
    const wasmWide = await gradients('wasm', f, xs, [8, 512], ws, [512, 256]);
    expectClose(cpuWide[0]!, wasmWide[0]!);
    expectClose(cpuWide[1]!, wasmWide[1]!);
    await tf.setBackend('wasm');
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(xs, [8, 512]), tf.tensor2d(ws, [512, 256])));
    await tf.setBackend('cpu');
    const reference = tf.tidy(() => tf.matMul(tf.tensor2d(xs, [8, 512]), tf.tensor2d(ws, [512, 256])));
    expectClose(Array.from(await reference.data()), Array.from(await product.data()));
    tf.dispose([product, reference]);
    await tf.setBackend('wasm');
    const t = tf.tidy(() => tf.matMul(tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 3, 2]), tf.tensor3d([1, 0, 0, 1, 1, 1], [1, 3, 2]), true, false));
    expect(Array.from(await t.data())).toEqual([1 + 5, 3 + 5, 2 + 6, 4 + 6]);
    t.dispose();
  });

  for (const c of [
    { pool: 2, strides: 2, pad: 'valid' as const },
    { pool: 3, strides: 2, pad: 'same' as const },
    { pool: 3, strides: 1, pad: 'valid' as const },
  ]) {
    it(`MaxPoolGrad matches cpu for ${c.pool}×${c.pool} stride ${c.strides} ${c.pad}, ties included`, async () => {
      const rng = new SeededRandom(c.pool * 7 + c.strides);
      // Rounded values make equal maxima inside windows common, as relu zeros do in real nets.
      const x = Array.from(randomArray(rng, 2 * 9 * 10 * 3), (v) => Math.max(0, Math.round(v * 3)));
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.mul(tf.maxPool(a as tf.Tensor4D, c.pool, c.strides, c.pad), b);
      const cpu = await gradients('cpu', f, x, [2, 9, 10, 3], [1], [1]);
      const wasm = await gradients('wasm', f, x, [2, 9, 10, 3], [1], [1]);
      // Overlapping windows add several dy into one pixel: cpu sums in float64, the kernel in float32.
      expectClose(cpu[0]!, wasm[0]!);
      // Ties go to the first maximum of a window on both: the same pixels receive gradient.
      expect(wasm[0]!.map((v) => v !== 0)).toEqual(cpu[0]!.map((v) => v !== 0));
    });
  }

  it('Identity shares the buffer instead of copying it, and the copy outlives the original', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const before = tf.memory();
    const y = tf.clone(x);
    // tfjs' own kernel allocated a second buffer here.
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
    y.dispose();
  });

  it('a cast to the same type shares the buffer; a cast to another type still converts', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor1d([1.5, -2, 0, 3]);
    const before = tf.memory();
    const same = tf.cast(x, 'float32');
    // tfjs' own kernel allocated a second buffer here.
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    const ints = tf.cast(x, 'int32');
    expect(ints.dtype).toBe('int32');
    expect(Array.from(await ints.data())).toEqual([1, -2, 0, 3]);
    x.dispose();
    expect(Array.from(await same.data())).toEqual([1.5, -2, 0, 3]);
    tf.dispose([same, ints]);
  });

  for (const c of [
    { shape: [4, 5, 6, 7], axis: [0, 1, 2], keepDims: false },
    { shape: [4, 5, 6, 7], axis: [2, 0, 1], keepDims: true },
    { shape: [33, 10], axis: [0], keepDims: false },
    { shape: [3, 4, 5], axis: [0, 1], keepDims: false },
    // Not a leading prefix: tfjs' own kernel.
    { shape: [4, 5, 6], axis: [1], keepDims: false },
    { shape: [4, 5, 6], axis: [0, 2], keepDims: true },
    { shape: [4, 5, 6], axis: [0, 1, 2], keepDims: false },
  ]) {
    it(`Sum over axes ${JSON.stringify(c.axis)} of ${JSON.stringify(c.shape)}${c.keepDims ? ', keepDims' : ''} matches cpu`, async () => {
      const values = randomArray(
        new SeededRandom(c.shape.length * 31 + c.axis.length),
        c.shape.reduce((a, b) => a * b),
      );
      const on = async (backend: string) => {
        await tf.setBackend(backend);
        const t = tf.tidy(() => tf.sum(tf.tensor(values, c.shape), c.axis, c.keepDims));
        const out = { shape: t.shape, values: Array.from(await t.data()) };
        t.dispose();
        return out;
      };
      const cpu = await on('cpu');
      const wasm = await on('wasm');
      expect(wasm.shape).toEqual(cpu.shape);
      expectClose(cpu.values, wasm.values);
    });
  }

  describe('batch norm in training mode (fused kernels) matches the composed ops on cpu', () => {
    for (const shape of [
      [6, 5, 4, 3],
      [16, 10],
      [2, 3, 3, 64],
    ]) {
      it(`forward, batch statistics and gradients for ${JSON.stringify(shape)}`, async () => {
        const rng = new SeededRandom(shape.reduce((a, b) => a * b));
        const channels = shape.at(-1)!;
        // An offset mean and a spread like a conv layer's output, where cancellation would show.
        const x = Array.from(
          randomArray(
            rng,
            shape.reduce((a, b) => a * b),
          ),
          (v) => 3 + 2 * v,
        );
        const gamma = Array.from(randomArray(rng, channels), (v) => 1 + 0.5 * v);
        const beta = randomArray(rng, channels);
        const r = randomArray(rng, x.length);
        const on = async (backend: string) => {
          await tf.setBackend(backend);
          const outs = tf.tidy(() => {
            const xt = tf.tensor(x, shape);
            const g = tf.tensor1d(gamma);
            const b = tf.tensor1d(beta);
            const { y, mean, variance } = batchNormTraining(xt, g, b, 1e-3);
            const grads = tf.grads((a: tf.Tensor, ga: tf.Tensor, be: tf.Tensor) =>
              tf.sum(tf.mul(batchNormTraining(a, ga as tf.Tensor1D, be as tf.Tensor1D, 1e-3).y, tf.tensor(r, shape))),
            )([xt, g, b]);
            return [y, mean, variance, ...grads];
          });
          const values = await Promise.all(outs.map((t) => t.data()));
          tf.dispose(outs);
          return values.map((v) => Array.from(v as Float32Array));
        };
        // cpu has no fused kernel: it computes tfjs' composed ops, the reference.
        expect(tf.getKernel(batchNormTrainingKernel, 'cpu')).toBeUndefined();
        expect(tf.getKernel(batchNormTrainingKernel, 'wasm')).toBeDefined();
        const cpu = await on('cpu');
        const wasm = await on('wasm');
        for (let i = 0; i < cpu.length; i++) expectClose(cpu[i]!, wasm[i]!);
      });
    }
  });

  it('leaks no tensors and no backend memory over 100 training steps', async () => {
    await tf.setBackend('wasm');
    const rng = new SeededRandom(3);
    const w = tf.variable(tf.tensor4d(randomArray(rng, 5 * 5 * 1 * 6), [5, 5, 1, 6]));
    const x = tf.tensor4d(randomArray(rng, 8 * 28 * 28), [8, 28, 28, 1]);
    const optimizer = tf.train.sgd(0.001);
    const step = () => optimizer.minimize(() => tf.mean(tf.square(tf.conv2d(x, w, 2, 'same'))), false, [w]);
    step();
    const before = tf.memory();
    for (let i = 0; i < 100; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
    optimizer.dispose();
    w.dispose();
    x.dispose();
  });

  it('leaks no tensors and no backend memory over 100 steps of a network using every kernel here', async () => {
    await tf.setBackend('wasm');
    const spec = ModelSpec.parse({
      name: 'every_kernel',
      inputShape: [12, 12, 3],
      numClasses: 4,
      layers: [
        { type: 'conv2d', filters: 8, kernelSize: 3, strides: 2, padding: 'same' },
        { type: 'batchNorm' },
        { type: 'conv2d', filters: 8, kernelSize: 3, padding: 'same' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 16 },
        { type: 'batchNorm' },
        { type: 'dropout', rate: 0.2 },
      ],
    });
    const model = buildModel(spec, 7);
    const optimizer = makeOptimizer(Hyperparameters.parse({ epochs: 1, optimizer: 'adam', learningRate: 1e-3 }));
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const rng = new SeededRandom(11);
    const x = tf.tensor4d(randomArray(rng, 8 * 12 * 12 * 3), [8, 12, 12, 3]);
    const labels = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
    const y = tf.oneHot(labels, 4);
    const step = () => tf.dispose(trainStep({ model, optimizer, vars }, { x, y, labels }));
    step();
    const before = tf.memory();
    for (let i = 0; i < 100; i++) step();
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numDataBuffers).toBe(before.numDataBuffers);
    expect(after.numBytes).toBe(before.numBytes);
    tf.dispose([x, y, labels]);
    optimizer.dispose();
    model.dispose();
  });
});
