import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../random.ts';
import { fanovaImportance, type ImportanceFeature } from './importance.ts';
import { marginalEffect } from './marginal.ts';

const features: ImportanceFeature[] = [
  { name: 'learningRate', kind: 'numeric', low: 1e-4, high: 1e-1, log: true },
  { name: 'kernelSize', kind: 'numeric', low: 3, high: 7, log: false },
  { name: 'optimizer', kind: 'categorical', choices: 3 },
  { name: 'seed', kind: 'numeric', low: 0, high: 100, log: false },
];

/** Accuracy dominated by the learning rate (a peak at 1e-2 in log space), a little by the kernel and optimizer, not at all by the seed. */
function synthetic(n: number, seed: number): { rows: number[][]; target: number[] } {
  const rng = new SeededRandom(seed);
  const rows: number[][] = [];
  const target: number[] = [];
  for (let i = 0; i < n; i++) {
    const lr = Math.exp(Math.log(1e-4) + rng.next() * Math.log(1e3));
    const kernel = 3 + 2 * rng.int(3);
    const optimizer = rng.int(3);
    rows.push([lr, kernel, optimizer, rng.int(101)]);
    target.push(0.9 - 0.08 * (Math.log10(lr) + 2) ** 2 - 0.01 * (kernel - 3) + [0, 0.02, 0.01][optimizer]! + 0.005 * (rng.next() - 0.5));
  }
  return { rows, target };
}

describe('fANOVA importance', () => {
  it('ranks the dominating axis first and the axis with no effect last', () => {
    const { rows, target } = synthetic(150, 1);
    const result = fanovaImportance({ features, rows, target, seed: 1, trees: 24 });
    expect(result.map((r) => r.name)[0]).toBe('learningRate');
    expect(result[0]!.importance).toBeGreaterThan(0.6);
    expect(result.at(-1)!.name).toBe('seed');
    expect(result.reduce((a, r) => a + r.importance, 0)).toBeCloseTo(1);
    // Seeded: the same input gives the same numbers.
    expect(fanovaImportance({ features, rows, target, seed: 1, trees: 24 })).toEqual(result);
  });

  it('fits subsampled tree groups when there are more trials than one tree takes, with the same ranking', () => {
    const { rows, target } = synthetic(400, 2);
    const result = fanovaImportance({ features, rows, target, seed: 2, trees: 16, maxTreeSamples: 128 });
    expect(result[0]!.name).toBe('learningRate');
    expect(result.at(-1)!.name).toBe('seed');
  });

  it('gives every axis 0 when the metric never varies or there is one trial', () => {
    const { rows } = synthetic(10, 3);
    expect(fanovaImportance({ features, rows, target: rows.map(() => 0.5), seed: 1 }).every((r) => r.importance === 0)).toBe(true);
    expect(fanovaImportance({ features, rows: rows.slice(0, 1), target: [0.5], seed: 1 }).every((r) => r.importance === 0)).toBe(true);
  });
});

describe('marginal effect', () => {
  it('gives one bin per listed value with mean and spread, in value order', () => {
    const effect = marginalEffect({
      axis: 'kernelSize',
      log: false,
      observations: [
        { value: 5, metric: 0.8, runId: 1 },
        { value: 3, metric: 0.9, runId: 2 },
        { value: 3, metric: 0.7, runId: 3 },
        { value: 7, metric: 0.6, runId: 4 },
      ],
    });
    expect(effect.numeric).toBe(true);
    expect(effect.bins.map((b) => [b.value, b.count, Number(b.mean.toFixed(3))])).toEqual([
      [3, 2, 0.8],
      [5, 1, 0.8],
      [7, 1, 0.6],
    ]);
    expect(effect.bins[0]!.std).toBeCloseTo(Math.SQRT2 * 0.1);
    expect(effect.points).toHaveLength(4);
  });

  it('bins a log range in log space', () => {
    const observations = Array.from({ length: 40 }, (_, i) => ({ value: 10 ** (-4 + (3 * i) / 39), metric: i / 40, runId: i }));
    const effect = marginalEffect({ axis: 'learningRate', log: true, maxBins: 3, observations });
    expect(effect.bins).toHaveLength(3);
    expect(effect.bins[0]!.low).toBeCloseTo(1e-4);
    expect(effect.bins[0]!.high).toBeCloseTo(1e-3);
    expect(effect.bins.map((b) => b.count).reduce((a, b) => a + b, 0)).toBe(40);
  });
});
