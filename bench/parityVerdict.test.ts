import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { cases, gapVerdict, keptRows, parityJobs, stepsOf } from './parity.bench.ts';

// The parity group judges KernelLab against Keras on the mean of several seeds: a gap beyond the
// goal is called missed only when it is also beyond the noise those seeds leave in the mean gap.
describe('parity gap verdict', () => {
  it('met within the goal, whatever the spread', () => {
    expect(gapVerdict([97.9, 97.5, 97.7], [97.6, 97.8, 97.5], 0.3)).toMatchObject({ verdict: 'met' });
  });

  it('within noise when the seeds scatter more than the gap, missed when they do not', () => {
    // Gap 5, noise 2·√(15²/3 + 2²/3) ≈ 17.5 points.
    expect(gapVerdict([40, 70, 55], [60, 62, 58], 0.3)).toMatchObject({ points: 5, verdict: 'within noise' });
    // Gap 18.2, noise 2·√(11.4²/3 + 1.3²/3) ≈ 13.2 points.
    const verdict = gapVerdict([37.9, 52.2, 60.4], [67.5, 67.7, 69.9], 0.3)!;
    expect(verdict.points).toBeCloseTo(18.2, 1);
    expect(verdict.noise).toBeCloseTo(13.24, 1);
    expect(verdict.verdict).toBe('missed');
  });

  it('missed when the gap is beyond both, and one seed a side has no noise estimate to hide behind', () => {
    expect(gapVerdict([92.3, 92.4, 92.2], [92.8, 92.7, 92.9], 0.3)).toMatchObject({ verdict: 'missed' });
    expect(gapVerdict([97.89], [97.44], 0.3)).toMatchObject({ verdict: 'missed', noise: 0 });
    expect(gapVerdict([], [97.44], 0.3)).toBeNull();
  });
});

// A network with BatchNormalization is evaluated with moving averages (momentum 0.99) that start at
// mean 0 and variance 1; a short run leaves 0.99^steps of that start in them and test accuracy then
// follows the initial weights. Fashion-MNIST's row must train long enough, on enough seeds.
describe('parity workloads', () => {
  const full = cases(false);

  it('trains the batch-norm network at least 500 steps on at least 6 seeds a side', () => {
    const fashion = full.find((c) => c.preset === 'fashion-keras-tutorial')!;
    expect(stepsOf(fashion)).toBeGreaterThanOrEqual(500);
    expect(0.99 ** stepsOf(fashion)).toBeLessThan(0.01);
    expect(fashion.seeds.length).toBeGreaterThanOrEqual(6);
    expect(new Set(fashion.seeds).size).toBe(fashion.seeds.length);
  });

  it('counts a partial last batch as a step, and quick runs take 2 seeds', () => {
    expect(stepsOf({ trainImages: 10000, batchSize: 128, epochs: 3 })).toBe(237);
    expect(stepsOf({ trainImages: 32000, batchSize: 128, epochs: 3 })).toBe(750);
    expect(cases(true).every((c) => c.seeds.length === 2)).toBe(true);
    expect(full.every((c) => c.seeds.length >= 3)).toBe(true);
  });
});

describe('KERNELLAB_BENCH_PARITY_JOBS', () => {
  it('defaults to one seed at a time and takes 1 to 6', () => {
    expect(parityJobs(undefined)).toBe(1);
    expect(parityJobs('')).toBe(1);
    expect(parityJobs('6')).toBe(6);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['0', '7', '2.5', 'two', '-1']) {
      expect(() => parityJobs(bad)).toThrow(`KERNELLAB_BENCH_PARITY_JOBS must be a whole number from 1 to 6, not "${bad}"`);
    }
  });
});

// KERNELLAB_BENCH_MODELS=fashion-keras-tutorial keeps the other compared networks' last rows; the
// "not compared" alexnet-28 row is written by every run and must not be kept as well (it was: the
// record then listed it twice).
describe('rows kept under KERNELLAB_BENCH_MODELS', () => {
  it('keeps the other compared presets once, marked with when they were measured', () => {
    const temp = makeTempDir('kernellab-parity-kept-');
    try {
      const latest = join(temp.dir, 'latest.json');
      const row = (name: string, note?: string) => ({ name, value: 0.97, unit: 'fraction', ...(note ? { note } : {}) });
      const rows = [
        row('parity: lenet5-relu mnist (batch 64) gap'),
        row('parity: fashion-keras-tutorial fashion-mnist (batch 128) gap'),
        row('parity: lenet5-cifar10-keras cifar-10 (batch 64) gap', 'kept from the run of 2026-11-29 10:00 UTC'),
        { name: 'parity: alexnet-28', value: null, unit: 'fraction', note: 'not compared' },
      ];
      const other = { bench: 'store', measuredAt: '2026-11-30T21:00:00.000Z', rows: [row('parity: lenet5-relu from another bench')] };
      writeFileSync(latest, JSON.stringify({ benches: [other, { bench: 'parity', measuredAt: '2026-11-30T22:27:31.000Z', rows }] }));
      const compared = new Set(cases(false).map((c) => c.preset));
      const kept = keptRows(latest, ['fashion-keras-tutorial'], compared);
      expect(kept.map((r) => r.name)).toEqual([
        'parity: lenet5-relu mnist (batch 64) gap',
        'parity: lenet5-cifar10-keras cifar-10 (batch 64) gap',
      ]);
      expect(kept[0]?.note).toBe('kept from the run of 2026-11-30 22:27 UTC');
      expect(kept[1]?.note).toBe('kept from the run of 2026-11-29 10:00 UTC');
      expect(keptRows(join(temp.dir, 'absent.json'), ['lenet5-relu'], compared)).toEqual([]);
    } finally {
      temp.cleanup();
    }
  });
});
