import { describe, expect, it } from 'vitest';
import { channelStats, epochOrder, gather, oneHot, stratifiedSplit, subsetPerClass, toFloat } from './prepare.ts';

// 550 labels: class c appears 10*(c+1) times (10, 20, …, 100).
const labels = Uint8Array.from(Array.from({ length: 10 }, (_, c) => Array.from({ length: 10 * (c + 1) }, () => c)).flat());
const countOf = (idx: Uint32Array) => {
  const counts = new Array(10).fill(0);
  for (const i of idx) counts[labels[i]!]++;
  return counts;
};

describe('preparation', () => {
  it('splits each class by the fraction, deterministically by seed', () => {
    const a = stratifiedSplit(labels, 0.2, 7);
    expect(countOf(a.validation)).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect(a.train.length + a.validation.length).toBe(labels.length);
    expect(new Set([...a.train, ...a.validation]).size).toBe(labels.length);
    expect(stratifiedSplit(labels, 0.2, 7)).toEqual(a);
    expect(stratifiedSplit(labels, 0.2, 8).validation).not.toEqual(a.validation);
    expect(() => stratifiedSplit(labels, 1.5, 1)).toThrow(/validation fraction 1.5/);
  });

  it('takes N per class, deterministically', () => {
    const s = subsetPerClass(labels, 15, 3);
    expect(countOf(s)).toEqual([10, 15, 15, 15, 15, 15, 15, 15, 15, 15]);
    expect(subsetPerClass(labels, 15, 3)).toEqual(s);
    expect(subsetPerClass(labels, 15, 4)).not.toEqual(s);
  });

  it('gives a seeded permutation per epoch', () => {
    const e0 = epochOrder(1000, 42, 0);
    expect(Array.from(e0).sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(epochOrder(1000, 42, 0)).toEqual(e0);
    expect(epochOrder(1000, 42, 1)).not.toEqual(e0);
    expect(epochOrder(1000, 43, 0)).not.toEqual(e0);
  });

  it('scales min-max and standardizes with training stats', () => {
    const train = Uint8Array.from([0, 255, 0, 255, 100, 200, 100, 200]); // 4 pixels × 2 channels: channel 0 is 0, 0, 100, 100
    expect(Array.from(toFloat(train, 'minmax', { channels: 2 }).data)).toEqual(Array.from(train, (v) => Math.fround(v / 255)));
    const stats = channelStats(train, 2);
    expect(stats.mean[0]).toBeCloseTo(200 / 4 / 255, 10);
    expect(stats.mean[1]).toBeCloseTo(910 / 4 / 255, 10);
    const { data, stats: used } = toFloat(train, 'standardize', { channels: 2 });
    expect(used).toEqual(stats);
    let mean0 = 0;
    for (let i = 0; i < 8; i += 2) mean0 += data[i]! / 4;
    expect(mean0).toBeCloseTo(0, 5);
    // Test data uses the training stats: a test pixel equal to the training mean maps to 0.
    const test = toFloat(Uint8Array.from([Math.round(stats.mean[0]! * 255), 0]), 'standardize', { channels: 2, stats });
    expect(Math.abs(test.data[0]!)).toBeLessThan(0.01);
    expect(() => toFloat(train, 'standardize', { channels: 3, stats })).toThrow(/2 channels; the images have 3/);
  });

  it('one-hot encodes and gathers', () => {
    expect(Array.from(oneHot(Uint8Array.from([2, 0]), 3))).toEqual([0, 0, 1, 1, 0, 0]);
    expect(() => oneHot(Uint8Array.from([3]), 3)).toThrow(/label 3 at 0 is outside 0..2/);
    const split = {
      images: Uint8Array.from([1, 2, 3, 4, 5, 6]),
      labels: Uint8Array.from([7, 8, 9]),
      count: 3,
      height: 1,
      width: 2,
      channels: 1,
      classNames: [],
    };
    expect(gather(split, [2, 0])).toMatchObject({ images: Uint8Array.from([5, 6, 1, 2]), labels: Uint8Array.from([9, 7]), count: 2 });
  });
});
