import { describe, expect, it } from 'vitest';
import { deriveSeed, SeededRandom } from './random.ts';

describe('SeededRandom', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.nextUint32()
      )(new SeededRandom(42)),
    );
    const b = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.nextUint32()
      )(new SeededRandom(42)),
    );
    const c = Array.from(
      { length: 5 },
      (
        (r) => () =>
          r.nextUint32()
      )(new SeededRandom(43)),
    );
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('draws uniformly enough that every bucket is hit about equally', () => {
    const r = new SeededRandom(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[r.int(10)]!++;
    for (const count of counts) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it('permutes without losing or duplicating an index', () => {
    const p = new SeededRandom(1).permutation(1000);
    expect(new Set(p).size).toBe(1000);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p.slice(0, 10)]).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('deriveSeed', () => {
  it('never returns 0 (tfjs reads seed 0 as unseeded) and separates purposes', () => {
    expect(deriveSeed(0, 'init')).not.toBe(0);
    expect(deriveSeed(1, 'init')).not.toBe(deriveSeed(1, 'dropout'));
    expect(deriveSeed(1, 'init')).toBe(deriveSeed(1, 'init'));
  });
});
