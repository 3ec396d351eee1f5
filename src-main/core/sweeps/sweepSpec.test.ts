import { describe, expect, it } from 'vitest';
import { KernelLabError } from '../errors.ts';
import { expandSweep } from './expand.ts';
import type { SweepSpecInput } from '../contract/index.ts';
import { parseSweepSpec } from './sweepSpec.ts';
import { previewSweep } from './queueing.ts';

const lenet = (extra: Partial<SweepSpecInput> = {}): SweepSpecInput => ({
  base: { preset: 'lenet5-relu', dataset: 'mnist' },
  axes: { kernelSize: [3, 5, 7], epochs: [2, 4, 6, 8] },
  ...extra,
});

function errorOf(fn: () => unknown): KernelLabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KernelLabError);
    return error as KernelLabError;
  }
  throw new Error('expected an error');
}

describe('sweep expansion', () => {
  it('expands a kernel size × epochs grid with folding: one trained run per kernel size', () => {
    const { points, folding } = expandSweep(parseSweepSpec(lenet()));
    expect(points).toHaveLength(12);
    expect(points.map((p) => [p.values.kernelSize, p.values.epochs])).toEqual([
      [3, 2],
      [3, 4],
      [3, 6],
      [3, 8],
      [5, 2],
      [5, 4],
      [5, 6],
      [5, 8],
      [7, 2],
      [7, 4],
      [7, 6],
      [7, 8],
    ]);
    expect(folding.enabled).toBe(true);
    const trained = points.filter((p) => p.role === 'train');
    expect(trained.map((p) => p.epochs)).toEqual([8, 8, 8]);
    expect(trained[0]!.evaluateAtEpochs).toEqual([2, 4, 6]);
    for (const p of points.filter((p) => p.role === 'derived')) {
      const source = points[p.foldedInto!]!;
      expect(source.values.kernelSize).toBe(p.values.kernelSize);
      expect(source.epochs).toBeGreaterThan(p.epochs);
    }
    // Every conv layer got the kernel size.
    const convs = points[8]!.modelSpec!.layers.filter((l) => l.type === 'conv2d');
    expect(convs.map((l) => (l.type === 'conv2d' ? l.kernelSize : 0))).toEqual([7, 7]);
  });

  it('reports an impossible kernel size as that point’s error and keeps the rest', () => {
    // LeNet-5 on 28×28: a 13×13 kernel leaves 16×16, pooled 8×8, and the second 13×13 conv does not fit.
    const { points } = expandSweep(parseSweepSpec(lenet({ axes: { kernelSize: [3, 13] }, fold: false })));
    expect(points.map((p) => p.role)).toEqual(['train', 'impossible']);
    expect(points[1]!.error).toMatch(/layers\[2\] \(conv2d\).*13/);
  });

  it('turns folding off when asked, when epochs is not an axis, and with early stopping', () => {
    expect(expandSweep(parseSweepSpec(lenet({ fold: false }))).points.every((p) => p.role === 'train')).toBe(true);
    expect(expandSweep(parseSweepSpec(lenet({ axes: { kernelSize: [3, 5] } }))).folding.enabled).toBe(false);
    const early = expandSweep(
      parseSweepSpec(lenet({ base: { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters: { earlyStopping: { patience: 1 } } } })),
    );
    expect(early.folding).toEqual({
      enabled: false,
      reason: 'early stopping depends on the total epoch count',
      reasonCode: { code: 'folding_early_stopping', params: {} },
    });
    expect(early.points.every((p) => p.role === 'train')).toBe(true);
  });

  it('gives repeats their own seeds and random search the same points for the same sampler seed', () => {
    const spec = parseSweepSpec({
      base: { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters: { seed: 7 } },
      method: 'random',
      trials: 5,
      repeats: 2,
      axes: { learningRate: { min: 1e-4, max: 1e-1, scale: 'log' }, batchSize: [32, 64, 128], kernelSize: { min: 3, max: 5 } },
    });
    const a = expandSweep(spec).points;
    const b = expandSweep(spec).points;
    expect(a).toHaveLength(10);
    expect(a.map((p) => p.values)).toEqual(b.map((p) => p.values));
    expect(a.map((p) => p.seed).slice(0, 4)).toEqual([7, 8, 7, 8]);
    for (const p of a) {
      expect(p.values.learningRate).toBeGreaterThanOrEqual(1e-4);
      expect(p.values.learningRate).toBeLessThanOrEqual(1e-1);
      expect([3, 4, 5]).toContain(p.values.kernelSize);
    }
    const other = expandSweep({ ...spec, samplerSeed: 1 }).points;
    expect(other.map((p) => p.values)).not.toEqual(a.map((p) => p.values));
  });

  it('follows the dataset: CIFAR-10 points get a 32×32×3 input', () => {
    const { points } = expandSweep(parseSweepSpec(lenet({ axes: { dataset: ['mnist', 'cifar10'] } })));
    expect(points.map((p) => p.modelSpec!.inputShape)).toEqual([
      [28, 28, 1],
      [32, 32, 3],
    ]);
  });

  it('expands log and linear ranges, one layer’s field, pooling and activation', () => {
    const { points } = expandSweep(
      parseSweepSpec({
        base: { preset: 'lenet5-relu', dataset: 'mnist' },
        axes: {
          learningRate: { min: 0.001, max: 0.1, steps: 3, scale: 'log' },
          'layers[0].filters': { min: 4, max: 8, steps: 2 },
          pooling: ['max', { type: 'avg', poolSize: 2 }],
          activation: ['relu', 'tanh'],
        },
      }),
    );
    expect(points).toHaveLength(3 * 2 * 2 * 2);
    expect([...new Set(points.map((p) => p.values.learningRate))]).toEqual([0.001, 0.01, 0.1]);
    expect(points[0]!.modelSpec!.layers[0]).toMatchObject({ type: 'conv2d', filters: 4 });
    expect(points[0]!.modelSpec!.layers[2]).toMatchObject({ type: 'conv2d', filters: 16 });
    expect(points[2]!.modelSpec!.layers[1]!.type).toBe('avgPool2d');
    expect(points[1]!.modelSpec!.layers[5]).toMatchObject({ type: 'dense', activation: 'tanh' });
  });

  it('estimates time from a rough default, labelled so', async () => {
    const { points, estimate } = await previewSweep(
      parseSweepSpec(lenet({ base: { preset: 'lenet5-relu', dataset: 'mnist', subset: { train: 6000 } } })),
      undefined,
      1,
    );
    expect(estimate.source).toBe('rough-default');
    expect(points[3]!.estimatedSeconds).toBeGreaterThan(0);
    expect(points[0]!.estimatedSeconds).toBe(0);
  });
});

describe('bad sweep specs are refused naming the field, nothing expanded', () => {
  const cases: [string, unknown, RegExp][] = [
    ['unknown axis', lenet({ axes: { kernelSise: [3] } }), /axes\.kernelSise: unknown axis/],
    ['empty axis', lenet({ axes: { kernelSize: [] } }), /axes\.kernelSize: an axis needs at least one value/],
    [
      'min > max',
      lenet({ axes: { learningRate: { min: 1, max: 0.1, steps: 3 } } }),
      /axes\.learningRate\.min: min \(1\) is greater than max/,
    ],
    ['non-numeric value', lenet({ axes: { kernelSize: [3, 'five'] } as never }), /axes\.kernelSize\[1\]: "five" is not an integer/],
    ['range without steps in a grid', lenet({ axes: { learningRate: { min: 0.1, max: 1 } } }), /axes\.learningRate\.steps/],
    [
      'log range from 0',
      lenet({ axes: { learningRate: { min: 0, max: 1, steps: 2, scale: 'log' } } }),
      /axes\.learningRate\.min: a log scale needs min > 0/,
    ],
    ['unknown dataset', { base: { preset: 'lenet5-relu', dataset: 'imagenet' } }, /base\.dataset/],
    [
      'preset and model',
      { base: { preset: 'lenet5-relu', model: {}, dataset: 'mnist' } },
      /base\.preset: give exactly one of preset or model/,
    ],
    [
      'unknown hyperparameter',
      { base: { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters: { lr: 1 } } },
      /base\.hyperparameters\.lr: unknown/,
    ],
    ['random without trials', lenet({ method: 'random' }), /trials: random search needs a trial count/],
    [
      'a layer field that does not exist',
      lenet({ axes: { 'layers[1].filters': [4] } }),
      /layers\[1\] is a maxPool2d layer, which has no filters/,
    ],
    ['dropout on a model without dropout', lenet({ axes: { dropout: [0.2] } }), /axes\.dropout: the model has no dropout layer/],
    ['unknown field', { ...lenet(), folds: true }, /Unrecognized key/],
  ];
  for (const [name, input, message] of cases) {
    it(name, () => {
      const error = errorOf(() => expandSweep(parseSweepSpec(input)));
      expect(error.code).toBe('invalid_input');
      expect(error.message).toMatch(message);
    });
  }

  it('refuses a grid over 10,000 runs without yes, and expands it with yes', () => {
    const big = lenet({
      axes: { kernelSize: [3, 5], learningRate: { min: 1e-4, max: 1e-2, steps: 100 }, batchSize: { min: 16, max: 115, steps: 100 } },
    });
    const error = errorOf(() => expandSweep(parseSweepSpec(big)));
    expect(error.message).toMatch(/20,000 runs .*yes: true/);
    expect(error.toBody()).toMatchObject({
      code: 'invalid_input',
      confirm: 'Queue all 20,000 runs of this sweep? That is more than 10,000.',
    });
    expect(expandSweep(parseSweepSpec({ ...big, yes: true, fold: false })).points).toHaveLength(20_000);
  });
});
