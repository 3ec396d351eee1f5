import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { StartRunInput } from '../contract/runs.ts';
import { queueSingleRun, queueSweep } from '../sweeps/queueing.ts';
import { tinySweep } from '../sweeps/sweepFixture.ts';
import { parseSweepSpec } from '../sweeps/sweepSpec.ts';
import { RunStore } from './RunStore.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  temp = makeTempDir('kernellab-columns-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(() => {
  store.close();
  temp.cleanup();
});

describe('the columns a runs table shows by default', () => {
  it('are the params a sweep varied (one column per way of splitting the runs), then the main metric', async () => {
    const { sweepId, runIds } = await queueSweep(
      store,
      parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5], epochs: [1, 2] }, fold: false, repeats: 2 })),
    );
    for (const id of runIds) store.logBatch([{ runId: id, key: 'val_accuracy', step: 1, epoch: 1, value: 0.5 }]);
    const columns = store.tableColumns({ sweepId });
    expect(columns.runs).toBe(8);
    // layers.0.kernelSize restates kernelSize; seed varies only as the repeats do, so it comes last.
    expect(columns.varying).toEqual(['kernelSize', 'epochs', 'seed']);
    expect(columns.params).toContain('layers.0.kernelSize');
    expect(columns.main).toBe('val_accuracy');
  });

  it('show a subset that differs, for runs started by hand', async () => {
    const start = (subset?: object) =>
      queueSingleRun(
        store,
        StartRunInput.parse({ run: { preset: 'lenet5-relu', dataset: 'mnist', ...(subset && { subset }) }, set: { epochs: 1 } }),
      );
    start();
    start({ train: 3000, test: 500 });
    // Two settings that change together are two facts, each its own column.
    expect(store.tableColumns().varying).toEqual(['trainImages', 'testImages']);
    expect(store.tableColumns().main).toBeNull();
  });

  it('follow the filter: one run has nothing that varies', async () => {
    const { runIds } = await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5] } })));
    expect(store.tableColumns({ params: [{ key: 'kernelSize', op: 'eq', value: 3 }] })).toMatchObject({ runs: 1, varying: [] });
    expect(store.tableColumns({ status: ['queued'] }).varying).toEqual(['kernelSize']);
    expect(runIds).toHaveLength(2);
  });
});

describe("a sweep's best run", () => {
  it('is the best value of its main metric (validation accuracy), by that metric’s direction; none before any', async () => {
    const { sweepId, runIds } = await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5, 7] } })));
    expect(store.getSweep(sweepId)!.best).toBeNull();
    [0.91, 0.95, 0.93].forEach((value, i) =>
      store.logBatch([
        { runId: runIds[i]!, key: 'val_accuracy', step: 1, epoch: 1, value },
        { runId: runIds[i]!, key: 'loss', step: 1, epoch: 1, value: 1 - value },
      ]),
    );
    expect(store.getSweep(sweepId)!.best).toEqual({ metric: 'val_accuracy', value: 0.95, runId: runIds[1] });
    expect(store.listSweeps()[0]!.best?.runId).toBe(runIds[1]);
  });
});
