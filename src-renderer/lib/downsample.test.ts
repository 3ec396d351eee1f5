import { describe, expect, it } from 'vitest';
import { downsampleMinMax, type CurvePoint } from './downsample.ts';

function curve(n: number, f: (i: number) => number): CurvePoint[] {
  return Array.from({ length: n }, (_, i) => ({ x: i, y: f(i) }));
}

describe('downsampleMinMax', () => {
  it('returns a short curve unchanged', () => {
    const points = curve(200, (i) => 1 / (i + 1));
    expect(downsampleMinMax(points, 1000, 'min')).toEqual(points);
  });

  it('reduces a long curve to at most the target, keeping first and last', () => {
    const points = curve(100_000, (i) => Math.sin(i / 50) + i / 100_000);
    const out = downsampleMinMax(points, 1000, 'max');
    expect(out.length).toBeLessThanOrEqual(1000);
    expect(out.length).toBeGreaterThan(900);
    expect(out[0]).toEqual(points[0]);
    expect(out.at(-1)).toEqual(points.at(-1));
    for (let i = 1; i < out.length; i++) expect(out[i]!.x).toBeGreaterThan(out[i - 1]!.x);
  });

  it('keeps the best point of a noisy curve whichever way better points', () => {
    const points = curve(50_000, (i) => 0.5 + 0.1 * Math.sin(i * 1.7));
    points[31_337] = { x: 31_337, y: 0.997 };
    points[12_345] = { x: 12_345, y: 0.001 };
    expect(downsampleMinMax(points, 1000, 'max')).toContainEqual({ x: 31_337, y: 0.997 });
    expect(downsampleMinMax(points, 1000, 'min')).toContainEqual({ x: 12_345, y: 0.001 });
  });

  it('keeps each bucket’s spike and dip so the envelope survives', () => {
    const points = curve(10_000, () => 1);
    points[5_000] = { x: 5_000, y: 9 };
    points[7_000] = { x: 7_000, y: -9 };
    const ys = downsampleMinMax(points, 100, 'min').map((p) => p.y);
    expect(ys).toContain(9);
    expect(ys).toContain(-9);
  });

  it('keeps a NaN from a diverged run instead of dropping it', () => {
    const points = curve(10_000, (i) => 2 - i / 10_000);
    points[9_000] = { x: 9_000, y: Number.NaN };
    const out = downsampleMinMax(points, 200, 'min');
    expect(out.some((p) => Number.isNaN(p.y))).toBe(true);
  });

  it('refuses a target too small to keep first, last and best', () => {
    expect(() =>
      downsampleMinMax(
        curve(10, (i) => i),
        3,
        'max',
      ),
    ).toThrow(/at least 4/);
  });
});
