import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cliPath } from '../../test/servedKernellab.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { leaseOf, RunStore } from '../db/RunStore.ts';
import type { RunStore as Store } from '../db/RunStore.ts';
import { forkWorker } from '../workerHost.ts';
import { settle, type RunEvent } from './execution.ts';
import { checkpointBackfill, createWorkerExecutor } from './workerExecutor.ts';
import { dataDirWithMnist, tinyModel, tinySweep } from './sweepFixture.ts';

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

describe('a run whose checkpoint cannot be written, with a real worker', () => {
  let home: { dir: string; cleanup: () => void };
  beforeAll(async () => (home = await dataDirWithMnist('kernellab-executor-checkpoint-')));
  afterAll(() => home?.cleanup());

  it('ends interrupted with the reason coded, so kernellab runs show says it in Korean and the English as it was', async () => {
    const database = join(home.dir, 'kernellab.db');
    const runsDir = join(home.dir, 'runs');
    const target = RunStore.open(database);
    let id: number;
    let checkpoints: string;
    try {
      const base = tinySweep({}).base;
      const run = target.createRun({
        name: 'tiny',
        modelSpec: tinyModel,
        dataset: 'mnist',
        backend: 'wasm',
        seed: 3,
        hyperparameters: base.hyperparameters!,
        environment: { subset: { trainPerClass: 20, testPerClass: 5 } },
      });
      id = run.id;
      // A file where the run's checkpoints folder should be: every checkpoint write fails (ENOTDIR), even for root.
      checkpoints = join(runsDir, run.uuid, 'checkpoints');
      mkdirSync(join(runsDir, run.uuid), { recursive: true });
      writeFileSync(checkpoints, 'in the way');
      const lease = leaseOf(target.claimNextRunnable('here:1')!);
      const executor = createWorkerExecutor({
        launchWorker: forkWorker,
        workerEntry: fileURLToPath(new URL('../training/worker.ts', import.meta.url)),
        datasetsDir: join(home.dir, 'datasets'),
        runsDir,
        watchdogMs: 60_000,
      });
      const job = { run, lease, resume: false, recordedEpochs: 0, evaluateAtEpochs: [], threads: 1, snapshotLimitBytes: 0 };
      const outcome = await executor.start(job, () => {}).outcome;
      expect(outcome).toMatchObject({ kind: 'interrupted', errorText: { code: 'training_checkpoint_write_failed' } });
      settle(target, lease, outcome);
    } finally {
      target.close();
    }
    // The worker's pid in the temporary folder's name varies from run to run.
    const show = (...lang: string[]) =>
      spawnSync(process.execPath, [cliPath, '--home', home.dir, ...lang, 'runs', 'show', String(id)], { encoding: 'utf8' })
        .stdout.split('\n')[0]!
        .replace(/\.tmp-\d+'/, ".tmp-PID'");
    const dir = join(checkpoints, 'best');
    const node = `ENOTDIR: not a directory, unlink '${dir}.tmp-PID'`;
    expect(show()).toBe(`run ${id} tiny: interrupted (Could not write the checkpoint ${dir}: ${node}. Resume the run once that is fixed.)`);
    // Node's own words stay quoted as they are; the sentence around them is Korean.
    expect(show('--lang', 'ko')).toBe(
      `실행 ${id} tiny: 중단됨 (체크포인트 ${dir}을(를) 쓰지 못했습니다: ${node}. 이 문제를 고친 뒤 실행을 재개하세요.)`,
    );
  }, 120_000);
});

describe('a folding evaluation main never read, with a real worker', () => {
  let home: { dir: string; cleanup: () => void };
  beforeAll(async () => (home = await dataDirWithMnist('kernellab-executor-folding-')));
  afterAll(() => home?.cleanup());

  it('is taken again when the checkpoint is already past its epoch, as it was the first time', async () => {
    const target = RunStore.open(join(home.dir, 'kernellab.db'));
    try {
      const base = tinySweep({}).base;
      const run = target.createRun({
        name: 'tiny',
        modelSpec: tinyModel,
        dataset: 'mnist',
        backend: 'wasm',
        seed: 3,
        hyperparameters: { ...base.hyperparameters!, epochs: 6 },
        environment: { subset: { trainPerClass: 20, testPerClass: 5 } },
      });
      const lease = leaseOf(target.claimNextRunnable('here:1')!);
      const executor = createWorkerExecutor({
        launchWorker: forkWorker,
        workerEntry: fileURLToPath(new URL('../training/worker.ts', import.meta.url)),
        datasetsDir: join(home.dir, 'datasets'),
        runsDir: join(home.dir, 'runs'),
        watchdogMs: 60_000,
      });
      const job = { run, lease, resume: false, recordedEpochs: 0, evaluateAtEpochs: [2], threads: 1, snapshotLimitBytes: 0 };

      // The worker runs ahead of a busy main: it sent epoch 2's evaluation and saved epoch 3's
      // checkpoint, and main was killed before it read that evaluation (it had read epoch 2's metrics).
      const sent: RunEvent[] = [];
      const first = executor.start(job, (event) => {
        sent.push(event);
        if (event.type === 'checkpoint' && event.checkpoint.kind === 'last' && event.checkpoint.epoch === 3) first.stop('interrupt');
      });
      expect((await first.outcome).kind).toBe('interrupted');
      const unread = sent.find((e) => e.type === 'evaluation' && e.epoch === 2);
      expect(unread).toBeDefined();
      const lastSaved = Math.max(
        ...sent.flatMap((e) => (e.type === 'checkpoint' && e.checkpoint.kind === 'last' ? [e.checkpoint.epoch] : [])),
      );
      expect(lastSaved).toBeGreaterThanOrEqual(3);
      expect(lastSaved).toBeLessThan(6);

      // Resumed with that evaluation still missing: the run must send it again, the same.
      const again: RunEvent[] = [];
      const second = executor.start({ ...job, resume: true, recordedEpochs: 2 }, (event) => again.push(event));
      expect((await second.outcome).kind).toBe('completed');
      expect(again.filter((e) => e.type === 'evaluation' && e.epoch === 2)).toEqual([unread]);
      expect(again.filter((e) => e.type === 'evaluation' && e.epoch === null)).toHaveLength(1);
    } finally {
      target.close();
    }
  }, 180_000);
});
