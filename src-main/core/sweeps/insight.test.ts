/**
 * What a sweep's page and `kernellab sweep importance` read (sweeps.importance): the search record
 * beside the importance — runs pruned with their epoch, rung and reason, points queued next, the
 * best value so far as runs ended (a pruned run never sets it) — from a real SQLite store.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { leaseOf, RunStore } from '../db/RunStore.ts';
import type { SweepRunInfo } from './folding.ts';
import { requireSweep, sweepImportance } from './insight.ts';
import { queueSweep } from './queueing.ts';
import { tinySweep } from './sweepFixture.ts';
import { parseSweepSpec } from './sweepSpec.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  temp = makeTempDir('kernellab-insight-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(() => {
  store.close();
  temp.cleanup();
});

/** Claims the next queued run and records val_accuracy at its epochs. */
function trainNext(values: number[]): number {
  const run = store.claimNextRunnable(store.owner, 60_000)!;
  store.logBatch(values.map((value, i) => ({ runId: run.id, key: 'val_accuracy', step: i + 1, epoch: i + 1, value })));
  return run.id;
}

describe('sweep importance: the search record', () => {
  it('lists pruned runs with epoch, rung and reason, queued points as next, and a best so far no pruned run sets', async () => {
    const spec = parseSweepSpec(
      tinySweep({
        axes: { learningRate: [0.001, 0.01, 0.1, 1, 3, 10] },
        fold: false,
        pruner: { type: 'asha', minEpochs: 1, reductionFactor: 3 },
      }),
    );
    const { sweepId } = await queueSweep(store, spec);
    const sweep = () => requireSweep(store, sweepId);
    const lr = (runId: number) => (store.getRun(runId)!.environment.sweep as SweepRunInfo).values.learningRate;

    const first = trainNext([0.5, 0.6]);
    store.transition(first, 'completed');
    expect(sweepImportance(store, sweep())).toMatchObject({
      trials: 1,
      note: 'importance needs at least 3 completed runs with val_accuracy; this sweep has 1',
      pruned: [],
    });

    // The second run is stopped at rung 0 while its accuracy there (0.9) is the highest seen:
    // its value is not the configuration's, so the best so far stays the first run's.
    const pruned = trainNext([0.9]);
    store.finishRun(leaseOf(store.getRun(pruned)!), 'pruned', 'ASHA rung 0 (epoch 1): test', { epoch: 1, rung: 0 });
    for (const value of [0.7, 0.55]) store.transition(trainNext([value - 0.1, value]), 'completed');

    const result = sweepImportance(store, sweep());
    expect(result).toMatchObject({ metric: 'val_accuracy', direction: 'maximize', trials: 3, note: null });
    expect(result.pruned).toEqual([
      { runId: pruned, values: { learningRate: lr(pruned) }, epoch: 1, rung: 0, reason: 'ASHA rung 0 (epoch 1): test' },
    ]);
    expect(result.bestSoFar.map((b) => [b.value, b.best])).toEqual([
      [0.6, 0.6],
      [0.9, 0.6],
      [0.7, 0.7],
      [0.55, 0.7],
    ]);
    // The two runs not started yet are the points proposed next.
    const queued = store.runsOfSweep(sweepId).filter((r) => r.status === 'queued');
    expect(queued).toHaveLength(2);
    expect(result.proposed).toEqual(queued.map((r) => ({ runId: r.id, values: { learningRate: lr(r.id) } })));
    // The marginal effect of the learning rate counts the completed runs only, one per value.
    expect(result.marginals[0]!.bins.map((b) => b.count)).toEqual([1, 1, 1]);

    // Another run ending is seen at once, not served from the cache.
    store.transition(trainNext([0.8, 0.95]), 'completed');
    const after = sweepImportance(store, sweep());
    expect(after.trials).toBe(4);
    expect(after.bestSoFar.at(-1)).toMatchObject({ value: 0.95, best: 0.95 });
    expect(after.proposed).toHaveLength(1);
  });

  it('explains a metric from another direction when asked (val_loss is minimised)', async () => {
    const spec = parseSweepSpec(tinySweep({ axes: { learningRate: [0.001, 0.01, 0.1] }, fold: false }));
    const { sweepId } = await queueSweep(store, spec);
    for (const loss of [0.4, 0.2, 0.3]) {
      const run = store.claimNextRunnable(store.owner, 60_000)!;
      store.logBatch([{ runId: run.id, key: 'val_loss', step: 1, epoch: 1, value: loss }]);
      store.transition(run.id, 'completed');
    }
    const result = sweepImportance(store, requireSweep(store, sweepId), 'val_loss');
    expect(result).toMatchObject({ metric: 'val_loss', direction: 'minimize', trials: 3 });
    expect(result.bestSoFar.map((b) => b.best)).toEqual([0.4, 0.2, 0.2]);
  });
});
