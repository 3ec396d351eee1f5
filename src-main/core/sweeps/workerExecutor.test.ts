import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { RunStore } from '../db/RunStore.ts';
import type { RunStore as Store } from '../db/RunStore.ts';
import { checkpointBackfill } from './workerExecutor.ts';
import { tinyModel } from './sweepFixture.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  temp = makeTempDir('kernellab-executor-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(() => {
  store.close();
  temp.cleanup();
});

/** What a resumed execution reports before its worker starts, recorded as the scheduler records it. */
function backfillFromCheckpoint(target: Store, runId: number, runDir: string): number {
  const recorded = Math.max(0, ...(target.metricSeries(runId, { keys: ['loss'] }).series.loss ?? []).map((p) => p.epoch));
  let points = 0;
  for (const event of checkpointBackfill(runDir, recorded)) {
    if (event.type !== 'epoch') throw new Error(`unexpected ${event.type}`);
    const values = Object.entries(event.values).filter((e): e is [string, number] => e[1] !== null);
    target.logBatch(values.map(([key, value]) => ({ runId, key, step: event.epoch, epoch: event.epoch, value })));
    points += values.length;
  }
  return points;
}

it('records the epochs a killed main never wrote from the checkpoint it resumes from', () => {
  const run = store.createRun({
    name: 'r',
    modelSpec: tinyModel,
    dataset: 'mnist',
    backend: 'wasm',
    seed: 1,
    hyperparameters: { epochs: 4 },
  });
  store.logBatch([{ runId: run.id, key: 'loss', step: 1, epoch: 1, value: 2 }]);
  const runDir = join(temp.dir, 'run');
  mkdirSync(join(runDir, 'checkpoints', 'last'), { recursive: true });
  const history = [1, 2, 3].map((epoch) => ({ epoch, loss: 3 - epoch / 2, accuracy: epoch / 10, val_loss: null, val_accuracy: epoch / 5 }));
  writeFileSync(
    join(runDir, 'checkpoints', 'last', 'state.json'),
    JSON.stringify({ epochsCompleted: 3, globalStep: 30, history, best: 0.6, bestEpoch: 3, wait: 0 }),
  );

  expect(backfillFromCheckpoint(store, run.id, runDir)).toBe(6);
  const series = store.metricSeries(run.id).series;
  expect(series.loss!.map((p) => [p.epoch, p.value])).toEqual([
    [1, 2],
    [2, 2],
    [3, 1.5],
  ]);
  expect(series.val_accuracy!.map((p) => p.epoch)).toEqual([2, 3]);
  expect(series.val_loss).toBeUndefined();
  // Nothing left to fill: a second call writes nothing.
  expect(backfillFromCheckpoint(store, run.id, runDir)).toBe(0);
});
