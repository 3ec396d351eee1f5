import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../random.ts';
import { erfc, logGaussMass, logNdtr, ndtr, ndtri, truncNormLogPdf, truncNormSample } from './truncnorm.ts';

describe('truncated normal', () => {
  it('matches reference values of erfc, Φ, log Φ and Φ⁻¹, far into the tails', () => {
    expect(erfc(0.5)).toBeCloseTo(0.4795001221869535, 15);
    expect(erfc(3) / 2.209049699858544e-5).toBeCloseTo(1, 12);
    expect(erfc(10) / 2.088487583762545e-45).toBeCloseTo(1, 10);
    expect(erfc(-1)).toBeCloseTo(1.842700792949715, 14);
    expect(ndtr(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(logNdtr(-10)).toBeCloseTo(-53.23128515051247, 10);
    // Past where Φ underflows, the asymptotic series: log Φ(-40) = -804.6084420137538.
    expect(logNdtr(-40)).toBeCloseTo(-804.6084420137538, 8);
    expect(ndtri(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(ndtri(1e-10)).toBeCloseTo(-6.361340902404056, 9);
    expect(logGaussMass(-1, 1)).toBeCloseTo(Math.log(0.6826894921370859), 14);
    expect(logGaussMass(5, 6)).toBeCloseTo(Math.log(2.866515718791939e-7 - 9.865876450376946e-10), 10);
  });

  it('samples inside the bounds with the truncated density', () => {
    const rng = new SeededRandom(1);
    const draws = Array.from({ length: 4000 }, () => truncNormSample(rng.next(), 0.2, 0.5, 0, 1));
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThanOrEqual(1);
    const share = draws.filter((x) => x < 0.2).length / draws.length;
    // Mass of [0, 0.2] over [0, 1] for N(0.2, 0.5²): (Φ(0) - Φ(-0.4)) / (Φ(1.6) - Φ(-0.4)) ≈ 0.2832.
    expect(share).toBeCloseTo(0.2832, 1);
    expect(truncNormLogPdf(1.5, 0.2, 0.5, 0, 1)).toBe(-Infinity);
  });
});
