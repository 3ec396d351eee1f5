import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../random.ts';
import { samplePoint, type Dimension, type Point, type Trial } from './space.ts';
import { bestTrial, defaultWeights, TpeSampler } from './tpe.ts';

/** A 2-D quadratic bowl with a categorical offset: the optimum is x = 0.3, y = -0.2, c = 'b' (value 0). */
const space: Dimension[] = [
  { kind: 'float', name: 'x', low: -1, high: 1, log: false },
  { kind: 'float', name: 'y', low: -1, high: 1, log: false },
  { kind: 'categorical', name: 'c', choices: ['a', 'b', 'c', 'd'] },
];
const offsets: Record<string, number> = { a: 0.5, b: 0, c: 0.3, d: 0.8 };
const objective = (p: Point) => ((p.x as number) - 0.3) ** 2 + ((p.y as number) + 0.2) ** 2 + offsets[p.c as string]!;
const nearOptimum = (p: Point) => p.c === 'b' && Math.hypot((p.x as number) - 0.3, (p.y as number) + 0.2) < 0.15;

const complete = (number: number, values: Point, value: number): Trial => ({
  number,
  values,
  state: 'complete',
  value,
  intermediate: new Map(),
});

/** Trials until a point lands near the optimum (budget + 1 when none does). */
function trialsToOptimum(propose: (trials: Trial[]) => Point, budget: number): number {
  const trials: Trial[] = [];
  for (let n = 0; n < budget; n++) {
    const point = propose(trials);
    if (nearOptimum(point)) return n + 1;
    trials.push(complete(n, point, objective(point)));
  }
  return budget + 1;
}

describe('TPE sampler', () => {
  it('finds the optimum of a 2-D quadratic with a categorical axis in fewer trials than random search on at least 8 of 10 seeds', () => {
    const budget = 150;
    let wins = 0;
    const table: string[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      const tpe = new TpeSampler(space, 'minimize', { seed });
      const withTpe = trialsToOptimum((trials) => tpe.propose(trials).point, budget);
      const rng = new SeededRandom(seed);
      const withRandom = trialsToOptimum(() => samplePoint(space, rng), budget);
      if (withTpe < withRandom) wins++;
      table.push(`seed ${seed}: tpe ${withTpe}, random ${withRandom}`);
    }
    expect(wins, table.join('\n')).toBeGreaterThanOrEqual(8);
  });

  it('proposes the same point for the same seed and history, and another for another seed', () => {
    const rng = new SeededRandom(7);
    const history = Array.from({ length: 30 }, (_, n) => {
      const p = samplePoint(space, rng);
      return complete(n, p, objective(p));
    });
    const a = new TpeSampler(space, 'minimize', { seed: 3 }).propose(history);
    const b = new TpeSampler(space, 'minimize', { seed: 3 }).propose(history);
    const c = new TpeSampler(space, 'minimize', { seed: 4 }).propose(history);
    expect(a).toEqual(b);
    expect(a.how).toBe('tpe');
    expect(c.point).not.toEqual(a.point);
  });

  it('draws uniformly for the startup trials, then from l(x)/g(x)', () => {
    const tpe = new TpeSampler(space, 'minimize', { seed: 1, nStartupTrials: 5 });
    const trials: Trial[] = [];
    const hows: string[] = [];
    for (let n = 0; n < 7; n++) {
      const { point, how } = tpe.propose(trials);
      hows.push(how);
      trials.push(complete(n, point, objective(point)));
    }
    expect(hows).toEqual(['startup', 'startup', 'startup', 'startup', 'startup', 'tpe', 'tpe']);
  });

  it('keeps integer and log axes inside their bounds and concentrates a log axis near its optimum', () => {
    const dims: Dimension[] = [
      { kind: 'int', name: 'kernelSize', low: 1, high: 9, log: false },
      { kind: 'float', name: 'learningRate', low: 1e-5, high: 1, log: true },
      { kind: 'int', name: 'filters', low: 4, high: 256, log: true },
    ];
    const f = (p: Point) =>
      (Math.log10(p.learningRate as number) + 3) ** 2 +
      ((p.kernelSize as number) - 5) ** 2 / 10 +
      (Math.log2(p.filters as number) - 5) ** 2 / 10;
    const tpe = new TpeSampler(dims, 'minimize', { seed: 11 });
    const trials: Trial[] = [];
    for (let n = 0; n < 80; n++) {
      const { point } = tpe.propose(trials);
      expect(Number.isInteger(point.kernelSize) && (point.kernelSize as number) >= 1 && (point.kernelSize as number) <= 9).toBe(true);
      expect(Number.isInteger(point.filters) && (point.filters as number) >= 4 && (point.filters as number) <= 256).toBe(true);
      expect(point.learningRate as number).toBeGreaterThanOrEqual(1e-5);
      expect(point.learningRate as number).toBeLessThanOrEqual(1);
      trials.push(complete(n, point, f(point)));
    }
    const lastTwenty = trials.slice(-20).map((t) => Math.log10(t.values.learningRate as number));
    const nearOptimum = lastTwenty.filter((l) => Math.abs(l + 3) < 1).length;
    // Uniform in log space would put 2 of 5 decades (8 of 20) within one decade of 1e-3.
    expect(nearOptimum).toBeGreaterThanOrEqual(14);
    expect(bestTrial(trials, 'minimize')!.value!).toBeLessThan(0.3);
  });

  it('never proposes an infeasible point, and reports the ones it learned', () => {
    const dims: Dimension[] = [
      { kind: 'categorical', name: 'kernelSize', choices: [3, 5, 7, 29] },
      { kind: 'float', name: 'learningRate', low: 1e-4, high: 1e-1, log: true },
    ];
    const feasible = (p: Point) =>
      p.kernelSize === 29 ? { error: 'layers[0]: a 29×29 kernel does not fit a 28×28 input', errorCodes: null } : null;
    const tpe = new TpeSampler(dims, 'maximize', { seed: 5, nStartupTrials: 4 });
    const trials: Trial[] = [];
    const learned: Point[] = [];
    for (let n = 0; n < 40; n++) {
      const proposal = tpe.propose(trials, feasible);
      expect(proposal.point.kernelSize).not.toBe(29);
      for (const bad of proposal.infeasible) {
        expect(bad.error).toContain('does not fit');
        learned.push(bad.point);
        trials.push({ number: trials.length, values: bad.point, state: 'infeasible', value: null, intermediate: new Map() });
      }
      const lr = proposal.point.learningRate as number;
      trials.push(complete(trials.length, proposal.point, -((Math.log10(lr) + 2) ** 2)));
    }
    expect(learned.length).toBeGreaterThan(0);
    expect(learned.every((p) => p.kernelSize === 29)).toBe(true);
    // Learned, not re-tried on every proposal: far fewer rejections than proposals.
    expect(learned.length).toBeLessThan(20);
  });

  it('refuses a space where nothing can run, saying why', () => {
    const tpe = new TpeSampler(space, 'minimize', { seed: 1 });
    expect(() => tpe.propose([], () => ({ error: 'the model is impossible', errorCodes: null }))).toThrow(
      /no feasible point.*the model is impossible/,
    );
  });

  it("weighs old trials down once there are more than 25, as Optuna's default_weights", () => {
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30);
    expect(w[4]).toBeCloseTo(1);
    expect(w.slice(5)).toEqual(new Array(25).fill(1));
  });
});
