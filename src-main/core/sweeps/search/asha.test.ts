import { describe, expect, it } from 'vitest';
import { AshaPruner, isPromotable, rungAt, rungEpochs } from './asha.ts';
import { MedianPruner, median } from './medianStopping.ts';
import type { Trial } from './space.ts';

const trial = (number: number, values: Record<number, number>, state: Trial['state'] = 'running'): Trial => ({
  number,
  values: {},
  state,
  value: null,
  intermediate: new Map(Object.entries(values).map(([e, v]) => [Number(e), v])),
});

describe('ASHA', () => {
  it('puts rungs at r·η^(s+k)', () => {
    expect(rungEpochs(10, { minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 })).toEqual([1, 3, 9]);
    expect(rungEpochs(20, { minEpochs: 2, reductionFactor: 2, minEarlyStoppingRate: 1 })).toEqual([4, 8, 16]);
    expect(rungAt(3, { minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 })).toBe(1);
    expect(rungAt(4, { minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 })).toBeNull();
  });

  it('promotes and stops runs as the hand-worked rung table says (r = 1, η = 3, maximise)', () => {
    // Runs reach the rungs in this order. Worked by hand from "top ⌊n/η⌋ of the n seen so far,
    // or the best when n < η":
    //   rung 0 (epoch 1): 0.50 alone → on; 0.40 (2 seen, best 0.50) → stop; 0.60 (3 seen, keep 1:
    //   0.60) → on; 0.55 (4, keep 1: 0.60) → stop; 0.45 (5, keep 1) → stop; 0.58 (6 seen, keep 2:
    //   0.60, 0.58) → on.
    //   rung 1 (epoch 3): run 0 0.70 alone → on; run 2 0.65 (2 seen, best 0.70) → stop;
    //   run 5 0.72 (3 seen, keep 1: 0.72) → on.
    const pruner = new AshaPruner({ minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 });
    const table: [run: number, epoch: number, value: number, pruned: boolean, rung: number | null][] = [
      [0, 1, 0.5, false, null],
      [1, 1, 0.4, true, 0],
      [2, 1, 0.6, false, null],
      [3, 1, 0.55, true, 0],
      [4, 1, 0.45, true, 0],
      [5, 1, 0.58, false, null],
      [0, 2, 0.65, false, null], // epoch 2 is no rung
      [0, 3, 0.7, false, null],
      [2, 3, 0.65, true, 1],
      [5, 3, 0.72, false, null],
    ];
    const runs = new Map<number, Trial>();
    for (const [run, epoch, value, pruned, rung] of table) {
      const t = runs.get(run) ?? trial(run, {});
      (t.intermediate as Map<number, number>).set(epoch, value);
      runs.set(run, t);
      const decision = pruner.decide(t, epoch, [...runs.values()], 'maximize', 'val_accuracy');
      expect(decision.prune, `run ${run} at epoch ${epoch}`).toBe(pruned);
      if (decision.prune) {
        expect(decision.rung).toBe(rung);
        expect(decision.reason).toContain(`rung ${rung} (epoch ${epoch})`);
        if (pruned) t.state = 'pruned';
      }
    }
  });

  it('minimises a loss the other way round, and stops a NaN at once', () => {
    expect(isPromotable(0.2, [0.2, 0.3, 0.4], 3, 'minimize')).toBe(true);
    expect(isPromotable(0.3, [0.2, 0.3, 0.4], 3, 'minimize')).toBe(false);
    const pruner = new AshaPruner({ minEpochs: 1, reductionFactor: 2, minEarlyStoppingRate: 0 });
    const decision = pruner.decide(trial(0, { 1: Number.NaN }), 1, [], 'minimize', 'val_loss');
    expect(decision).toMatchObject({ prune: true, rung: 0 });
  });
});

describe('median stopping', () => {
  const pruner = new MedianPruner({ startupTrials: 3, warmupEpochs: 1, intervalEpochs: 1 });
  const completed = [
    trial(0, { 1: 0.5, 2: 0.6, 3: 0.7 }, 'complete'),
    trial(1, { 1: 0.4, 2: 0.5, 3: 0.6 }, 'complete'),
    trial(2, { 1: 0.6, 2: 0.8, 3: 0.9 }, 'complete'),
  ];

  it('stops a run whose best so far is below the median of completed runs at the same epoch', () => {
    expect(median([0.6, 0.5, 0.8])).toBe(0.6);
    const slow = trial(3, { 1: 0.3, 2: 0.55 });
    const decision = pruner.decide(slow, 2, [...completed, slow], 'maximize', 'val_accuracy');
    expect(decision).toMatchObject({ prune: true, epoch: 2, rung: null });
    expect(decision.prune && decision.reason).toContain('median 0.6000 of 3 completed runs at epoch 2');
    const fine = trial(4, { 1: 0.3, 2: 0.61 });
    expect(pruner.decide(fine, 2, [...completed, fine], 'maximize', 'val_accuracy').prune).toBe(false);
  });

  it('waits for its startup runs and its warm-up epochs', () => {
    const slow = trial(3, { 1: 0.1, 2: 0.1 });
    expect(pruner.decide(slow, 1, [...completed, slow], 'maximize', 'val_accuracy').prune).toBe(false);
    expect(pruner.decide(slow, 2, [completed[0]!, completed[1]!, slow], 'maximize', 'val_accuracy').prune).toBe(false);
  });
});
