import { describe, expect, it } from 'vitest';
import { fitLabel, thinTicks } from './parallelAxes.ts';

const ticks = (n: number) => Array.from({ length: n }, (_, i) => ({ at: n > 1 ? i / (n - 1) : 0.5, text: `v${i}` }));

describe('parallel coordinates ticks', () => {
  it('keeps every tick that fits, and thins the rest so labels never overlap, first and last kept', () => {
    expect(thinTicks(ticks(5), 200)).toHaveLength(5);
    const thinned = thinTicks(ticks(40), 200);
    expect(thinned[0]!.text).toBe('v0');
    expect(thinned.at(-1)!.text).toBe('v39');
    for (let i = 1; i < thinned.length; i++) expect((thinned[i]!.at - thinned[i - 1]!.at) * 200).toBeGreaterThanOrEqual(14);
  });

  it('shortens a label that would run into the next axis', () => {
    const measure = (s: string) => s.length * 7;
    expect(fitLabel('0.0005', 100, measure)).toBe('0.0005');
    expect(fitLabel('{"type":"max","poolSize":3}', 70, measure)).toBe('{"type":"…');
    expect(measure(fitLabel('a very long categorical value', 50, measure))).toBeLessThanOrEqual(50);
  });
});
