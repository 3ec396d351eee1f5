import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunDetail } from '../../src-main/core/contract/runs.ts';
import { emit } from '../test/servedBridge.ts';
import { ApiError } from './api.ts';
import { RunDetailState } from './runDetail.svelte.ts';

// The served home holds 24 recorded runs (rendererGlobalSetup.ts): completed, 6 epochs of loss,
// accuracy, val_loss and val_accuracy, each started 60 s before it ended, with epochs=10 as a param.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function opened(id: number): Promise<RunDetailState> {
  const run = new RunDetailState();
  cleanups.push(run.open(id));
  await vi.waitFor(() => {
    expect(run.detail?.id).toBe(id);
    expect(Object.keys(run.series)).toHaveLength(4);
  });
  return run;
}

const point = (epoch: number, value: number) => ({ step: epoch, epoch, wallMs: 1000 * epoch, value });
const progress = (runId: number, batch: number) => ({
  runId,
  epoch: 7,
  epochs: 10,
  batch,
  batchesPerEpoch: 4,
  loss: 0.5,
  accuracy: 0.8,
  samplesPerSec: 900,
});

describe('RunDetailState', () => {
  it('loads the run, its curves and its pace', async () => {
    const run = await opened(3);
    expect(run.loadError).toBeUndefined();
    expect(run.series.loss).toHaveLength(6);
    expect(run.charts.main.map((g) => g.title)).toEqual(['loss', 'accuracy']);
    expect(run.charts.system).toEqual([]);
    expect(run.params.map(([k]) => k)).toEqual(['epochs', 'kernelSize', 'learningRate', 'optimizer.name', 'p4']);
    expect(run.totalEpochs).toBe(10);
    expect(run.elapsed).toBe(60_000);
    // The last stored epoch is 5; a completed run has no ETA.
    expect(run.pace).toEqual({ epochsDone: 5, perEpoch: 12_000, eta: null, elapsed: 60_000 });
    expect(run.batch).toBeNull();
    expect(run.summaryRows.map((r) => [r.type, r.detail])).toEqual([
      ['conv2d', 'filters=16 kernelSize=3'],
      ['flatten', ''],
      ['dense', 'units=10'],
      ['output', 'units=—'],
    ]);
  });

  it('says why a run cannot be opened', async () => {
    const run = new RunDetailState();
    cleanups.push(run.open(9999));
    await vi.waitFor(() => expect(run.loadError).toBeInstanceOf(ApiError));
    expect((run.loadError as ApiError).code).toBe('not_found');
    expect(run.detail).toBeUndefined();
  });

  it("adds live points of this run to its curves, and only this run's", async () => {
    const run = await opened(4);
    emit({ name: 'metrics.appended', payload: { runId: 5, points: [{ key: 'loss', ...point(6, 0.1) }] } });
    expect(run.series.loss).toHaveLength(6);
    emit({
      name: 'metrics.appended',
      payload: {
        runId: 4,
        points: [
          { key: 'loss', ...point(6, 0.1) },
          { key: 'gpu_bytes', ...point(6, 2 ** 21) },
        ],
      },
    });
    expect(run.series.loss).toHaveLength(7);
    expect(run.series.loss!.at(-1)!.value).toBe(0.1);
    expect(run.pace?.epochsDone).toBe(6);
    // A metric the summary does not know is drawn under System, scaled to MiB.
    expect(run.charts.system.map((g) => g.keys)).toEqual([['gpu_bytes']]);
    expect(run.chartSeries('gpu_bytes', ['gpu_bytes'])[0]!.points).toEqual([{ x: 6, y: 2 }]);
  });

  it('draws live batches under the epoch curves, on the epoch axis only', async () => {
    const run = await opened(5);
    emit({ name: 'run.progress', payload: progress(6, 1) });
    emit({ name: 'run.progress', payload: progress(5, 2) });
    expect(run.liveBatches.loss).toEqual([{ x: 6.5, y: 0.5 }]);
    const lines = run.chartSeries('loss', ['loss', 'val_loss']);
    expect(lines.map((l) => [l.label, l.dashed])).toEqual([
      ['loss', false],
      ['val_loss', true],
      ['loss (batches, live)', false],
    ]);
    run.xAxis = 'time';
    expect(run.chartSeries('loss', ['loss', 'val_loss']).map((l) => l.label)).toEqual(['loss', 'val_loss']);
  });

  it('shows loss and accuracy charts from live batches before the first epoch is stored', () => {
    const run = new RunDetailState();
    run.id = 8;
    expect(run.shownGroups).toEqual([]);
    run.addBatch(progress(8, 1));
    expect(run.shownGroups.map((g) => g.title)).toEqual(['loss', 'accuracy']);
  });

  it('stops following the run once closed', async () => {
    const run = new RunDetailState();
    const close = run.open(6);
    await vi.waitFor(() => expect(run.series.loss).toHaveLength(6));
    close();
    emit({ name: 'metrics.appended', payload: { runId: 6, points: [{ key: 'loss', ...point(6, 0.1) }] } });
    expect(run.series.loss).toHaveLength(6);
  });

  it('reads the evaluation shown as a confusion matrix, each true class as shares of its row', () => {
    const run = new RunDetailState();
    const evaluation = (split: string, confusion: number[][]) => ({
      split,
      loss: 0.3,
      accuracy: 0.75,
      confusion,
      perClass: [
        { label: 'cat', precision: 1, recall: 1, f1: 1, support: 4 },
        { label: 'dog', precision: 1, recall: 1, f1: 1, support: 0 },
      ],
      mostWrong: [],
      createdAt: 0,
    });
    run.detail = {
      evaluations: [
        evaluation('test', [
          [3, 1],
          [0, 0],
        ]),
        evaluation('val', [
          [0, 2],
          [2, 0],
        ]),
      ],
    } as unknown as RunDetail;
    expect(run.classLabels).toEqual(['cat', 'dog']);
    expect(run.confusionCells.map((c) => [c.row, c.col, c.value, c.text])).toEqual([
      [0, 0, 0.75, '3'],
      [0, 1, 0.25, '1'],
      [1, 0, 0, '0'],
      [1, 1, 0, '0'],
    ]);
    expect(run.confusionCells[1]!.detail).toBe('25.0% of true cat');
    run.evalIndex = 1;
    expect(run.evaluation?.split).toBe('val');
    expect(run.confusionCells[1]!.value).toBe(1);
  });

  it("shows the core's refusal of an action and keeps the run as it was", async () => {
    const run = await opened(7);
    // A recorded run whose spec no longer builds has no model to export.
    const exporting = run.exportModel();
    expect(run.exportingModel).toBe(true);
    await exporting;
    expect(run.exportingModel).toBe(false);
    expect(run.actionError).toBeInstanceOf(ApiError);
    expect((run.actionError as ApiError).message).toBe('run 7 has no valid model spec to run');
    expect(run.detail?.status).toBe('completed');
    // The next action clears the last one's error.
    await run.control('runs.cancel');
    expect(run.actionError).toBeUndefined();
  });
});
