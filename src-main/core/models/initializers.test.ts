import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Initializer, ModelSpec, type InitializerInput } from '../contract/training.ts';
import { deriveSeed } from '../random.ts';
import { buildModel } from './buildModel.ts';
import { computeFans, makeInitializer } from './initializers.ts';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A conv kernel of 5×5, 32 → 64 channels: fan_in 800, fan_out 1600 (Keras' fans). */
const conv = [5, 5, 32, 64];
/** A dense kernel 1024 → 512. */
const dense = [1024, 512];

function draw(init: InitializerInput, shape: number[], seed = 1234): Float32Array {
  const t = makeInitializer(Initializer.parse(init), shape, seed).apply(shape, 'float32');
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/** Sample mean and deviation, and the largest distance from the distribution's own mean `center`. */
function moments(values: Float32Array, center: number): { mean: number; stddev: number; maxFromCenter: number } {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let squares = 0;
  let farthest = 0;
  for (const v of values) {
    squares += (v - mean) ** 2;
    farthest = Math.max(farthest, Math.abs(v - center));
  }
  return { mean, stddev: Math.sqrt(squares / values.length), maxFromCenter: farthest };
}

// Keras' formulas written out by hand: variance scale / fan, a uniform on ±√(3·variance), a
// truncated normal redrawn beyond ±2σ. Over 51,200 (conv) and 524,288 (dense) values the sample
// deviation is within 2% of the true one and the mean within 4 standard errors.
const cases: { init: InitializerInput; shape: number[]; mean: number; stddev: number; bound?: number }[] = [
  { init: 'glorot_uniform', shape: conv, mean: 0, stddev: Math.sqrt(2 / 2400), bound: Math.sqrt(6 / 2400) },
  { init: 'glorot_normal', shape: conv, mean: 0, stddev: Math.sqrt(2 / 2400), bound: (2 * Math.sqrt(2 / 2400)) / 0.87962566103423978 },
  { init: 'he_uniform', shape: conv, mean: 0, stddev: Math.sqrt(2 / 800), bound: Math.sqrt(6 / 800) },
  { init: 'he_normal', shape: conv, mean: 0, stddev: Math.sqrt(2 / 800), bound: (2 * Math.sqrt(2 / 800)) / 0.87962566103423978 },
  { init: 'lecun_uniform', shape: dense, mean: 0, stddev: Math.sqrt(1 / 1024), bound: Math.sqrt(3 / 1024) },
  { init: 'lecun_normal', shape: dense, mean: 0, stddev: Math.sqrt(1 / 1024), bound: (2 * Math.sqrt(1 / 1024)) / 0.87962566103423978 },
  { init: 'he_normal', shape: dense, mean: 0, stddev: Math.sqrt(2 / 1024) },
  { init: 'glorot_uniform', shape: dense, mean: 0, stddev: Math.sqrt(2 / 1536), bound: Math.sqrt(6 / 1536) },
  {
    init: { type: 'variance_scaling', scale: 3, mode: 'fan_out', distribution: 'untruncated_normal' },
    shape: conv,
    mean: 0,
    stddev: Math.sqrt(3 / 1600),
  },
  {
    init: { type: 'variance_scaling', scale: 0.5, mode: 'fan_avg', distribution: 'uniform' },
    shape: dense,
    mean: 0,
    stddev: Math.sqrt(0.5 / 768),
  },
  { init: { type: 'random_normal', mean: 0.5, stddev: 0.2 }, shape: dense, mean: 0.5, stddev: 0.2 },
  { init: 'random_normal', shape: dense, mean: 0, stddev: 0.05 },
  // The TF-1 MNIST tutorial's weights: values beyond ±0.2 are redrawn, so their deviation is 0.088.
  { init: { type: 'truncated_normal', stddev: 0.1 }, shape: conv, mean: 0, stddev: 0.1 * 0.87962566103423978, bound: 0.2 },
  { init: { type: 'truncated_normal', mean: -1, stddev: 0.01 }, shape: dense, mean: -1, stddev: 0.01 * 0.87962566103423978, bound: 0.02 },
  { init: { type: 'random_uniform', minval: -0.1, maxval: 0.3 }, shape: dense, mean: 0.1, stddev: 0.4 / Math.sqrt(12), bound: 0.2 },
];

describe("initialisers draw Keras' distributions", () => {
  for (const c of cases) {
    it(`${JSON.stringify(c.init)} over [${c.shape.join(', ')}]: mean ${c.mean.toFixed(3)}, stddev ${c.stddev.toFixed(4)}`, () => {
      const values = draw(c.init, c.shape);
      const m = moments(values, c.mean);
      expect(Math.abs(m.mean - c.mean)).toBeLessThan((4 * c.stddev) / Math.sqrt(values.length));
      expect(m.stddev / c.stddev).toBeGreaterThan(0.98);
      expect(m.stddev / c.stddev).toBeLessThan(1.02);
      if (c.bound !== undefined) expect(m.maxFromCenter).toBeLessThanOrEqual(c.bound * (1 + 1e-6));
    });
  }

  it('zeros, ones and constant fill the tensor with their value', () => {
    expect(new Set(draw('zeros', [64]))).toEqual(new Set([0]));
    expect(new Set(draw('ones', [3, 3, 2, 4]))).toEqual(new Set([1]));
    expect(new Set(draw({ type: 'constant', value: 0.1 }, [1024]))).toEqual(new Set([Math.fround(0.1)]));
  });

  it("computes Keras' fans for dense, conv and bias shapes", () => {
    expect(computeFans([1024, 512])).toEqual({ fanIn: 1024, fanOut: 512 });
    expect(computeFans([5, 5, 32, 64])).toEqual({ fanIn: 800, fanOut: 1600 });
    expect(computeFans([64])).toEqual({ fanIn: 64, fanOut: 64 });
  });

  it('is seeded: the same seed draws the same weights, another seed others; seed 0 (unseeded in tfjs) is refused', () => {
    expect(draw('he_normal', conv, 7)).toEqual(draw('he_normal', conv, 7));
    expect(draw('he_normal', conv, 7)).not.toEqual(draw('he_normal', conv, 8));
    expect(() => draw('he_normal', conv, 0)).toThrow(/seed 0/);
  });

  it('draws exactly the glorot_uniform weights every model had before initialisers could be chosen', () => {
    const spec = ModelSpec.parse({
      inputShape: [28, 28, 1],
      numClasses: 10,
      layers: [{ type: 'conv2d', filters: 6, kernelSize: 5 }, { type: 'flatten' }, { type: 'dense', units: 12 }],
    });
    const model = buildModel(spec, 42);
    try {
      const shapes = [
        [5, 5, 1, 6],
        [24 * 24 * 6, 12],
        [12, 10],
      ];
      const kernels = model.layers.filter((l) => l.getWeights().length > 0).map((l) => l.getWeights()[0]!.dataSync());
      const layerIndex = [0, 2, 3];
      kernels.forEach((kernel, i) => {
        const before = tfl.initializers.glorotUniform({ seed: deriveSeed(42, `layer ${layerIndex[i]} kernel`) }).apply(shapes[i]!);
        expect(Array.from(kernel)).toEqual(Array.from(before.dataSync()));
        before.dispose();
      });
    } finally {
      model.dispose();
    }
  });

  it("gives each layer's kernel and bias the initialiser its spec names, and no bias when useBias is off", () => {
    const spec = ModelSpec.parse({
      inputShape: [8, 8, 1],
      numClasses: 3,
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, kernelInitializer: 'zeros', biasInitializer: { type: 'constant', value: 0.1 } },
        { type: 'flatten' },
        { type: 'dense', units: 5, useBias: false, kernelInitializer: 'ones' },
      ],
      output: { biasInitializer: 'ones' },
    });
    const model = buildModel(spec, 3);
    try {
      const [conv, , denseLayer, output] = model.layers;
      const [convKernel, convBias] = conv!.getWeights().map((w) => Array.from(w.dataSync()));
      expect(new Set(convKernel)).toEqual(new Set([0]));
      expect(new Set(convBias)).toEqual(new Set([Math.fround(0.1)]));
      expect(denseLayer!.getWeights()).toHaveLength(1);
      expect(new Set(denseLayer!.getWeights()[0]!.dataSync())).toEqual(new Set([1]));
      expect(Array.from(output!.getWeights()[1]!.dataSync())).toEqual([1, 1, 1]);
    } finally {
      model.dispose();
    }
  });
});
