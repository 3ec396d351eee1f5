import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { RunStore } from '../db/RunStore.ts';
import { EventBus } from '../events.ts';
import { openRaw } from '../../test/rawSqlite.ts';
import { queueSingleRun, queueSweep } from './queueing.ts';
import { pausedError, type Executor, type RunJob, type RunOutcome, type StopMode } from './execution.ts';
import { Scheduler } from './scheduler.ts';
import { intermediateSplit } from './folding.ts';
import { tinySweep } from './sweepFixture.ts';
import { parseSweepSpec } from './sweepSpec.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
let scheduler: Scheduler | undefined;

beforeEach(() => {
  temp = makeTempDir('kernellab-scheduler-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(async () => {
  await scheduler?.close();
  scheduler = undefined;
  store.close();
  temp.cleanup();
});

/**
 * An executor whose "training" is a real child process that lives `ms` milliseconds; the run
 * completes when it exits on its own. Stopping kills it; the scheduler then records the outcome.
 */
/**
 * Each run sleeps in a child process for `ms` (read when the run starts). A test that stops runs
 * itself gives them a sleep far longer than it can take (`untilStopped`), so a slow machine never
 * lets a run end on its own before the test stops it.
 */
function sleeperExecutor(ms: number | (() => number), jobs: RunJob[], live: { now: number; max: number }): Executor {
  return {
    start: (job) => {
      const sleepMs = typeof ms === 'number' ? ms : ms();
      jobs.push(job);
      live.now++;
      live.max = Math.max(live.max, live.now);
      const child = spawn(process.execPath, ['-e', `setTimeout(() => {}, ${sleepMs})`], { stdio: 'ignore' });
      let stopped: StopMode | null = null;
      const outcome = new Promise<RunOutcome>((resolve) => {
        child.once('exit', () => {
          live.now--;
          if (stopped === 'interrupt') resolve({ kind: 'interrupted', error: pausedError });
          else if (stopped === 'cancel') resolve({ kind: 'canceled' });
          else if (stopped === 'abandon') resolve({ kind: 'failed', error: 'abandoned' });
          else resolve({ kind: 'completed' });
        });
      });
      return {
        outcome,
        stop: (mode) => {
          stopped = mode;
          child.kill('SIGKILL');
        },
      };
    },
  };
}

/** Longer than any test waits: a run given it ends only when the test stops it. */
const untilStopped = 10 * 60_000;

function sweep(kernels: number[], extra: object = {}) {
  return queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: kernels }, ...extra })));
}

async function until(what: string, fn: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const statusOf = (id: number) => store.getRun(id)!.status;

/** A folded sweep whose source run trained to the end, as a worker would have reported it. */
async function finishedSource(): Promise<{ sweepId: number; sourceId: number }> {
  const started = await sweep([3], { axes: { kernelSize: [3], epochs: [1, 2] } });
  expect(started).toMatchObject({ queued: 1, derived: 1 });
  const sourceId = started.runIds[0]!;
  expect(store.claimNextRunnable(store.owner, 60_000)!.id).toBe(sourceId);
  store.logBatch([1, 2].map((epoch) => ({ runId: sourceId, key: 'loss', step: epoch, epoch, value: 1 / epoch })));
  const evaluation = (accuracy: number) => ({ loss: 1 - accuracy, accuracy, confusion: [[1]], perClass: [] });
  store.addEvaluation(sourceId, { split: intermediateSplit(1), ...evaluation(0.5) });
  store.addEvaluation(sourceId, { split: 'test', ...evaluation(0.75) });
  store.transition(sourceId, 'completed');
  return { sweepId: started.sweepId, sourceId };
}

describe('scheduler', () => {
  it('runs at most `workers` at once, and takes a new limit while running', async () => {
    const started = await sweep([1, 2, 3, 4, 5, 6]);
    const jobs: RunJob[] = [];
    const live = { now: 0, max: 0 };
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: sleeperExecutor(1500, jobs, live),
      concurrency: { wasm: 2 },
      pollMs: 50,
      // The sleepers use no CPU: allow more of them than this machine has cores.
      maxWorkers: 8,
    });
    scheduler.start();
    await until('two running', () => live.now === 2);
    scheduler.setConcurrency(3);
    await until('three running', () => live.now === 3);
    await until('all done', () => started.runIds.every((id) => statusOf(id) === 'completed'));
    expect(live.max).toBe(3);
    expect(jobs.map((j) => j.run.id).sort((a, b) => a - b)).toEqual(started.runIds);
    expect(store.getSweep(started.sweepId)!.status).toBe('completed');
    expect(scheduler.progress(started.sweepId)).toMatchObject({ planned: 6, done: 6, completed: 6, text: 'run 6 of 6, done' });
  });

  it('starts a reprioritised run first', async () => {
    const started = await sweep([1, 2, 3]);
    const last = started.runIds[2]!;
    const jobs: RunJob[] = [];
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: sleeperExecutor(50, jobs, { now: 0, max: 0 }),
      concurrency: { wasm: 1 },
    });
    expect(scheduler.reprioritize({ runId: last }, 10)).toBe(1);
    scheduler.start();
    await until('all done', () => started.runIds.every((id) => statusOf(id) === 'completed'));
    expect(jobs[0]!.run.id).toBe(last);
  });

  it('pauses a sweep (running runs interrupted, queued ones wait) and resumes it from checkpoints', async () => {
    const started = await sweep([1, 2, 3, 4]);
    const jobs: RunJob[] = [];
    const live = { now: 0, max: 0 };
    let sleepMs = untilStopped;
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: sleeperExecutor(() => sleepMs, jobs, live),
      concurrency: { wasm: 2 },
      pollMs: 50,
    });
    scheduler.start();
    await until('two running', () => live.now === 2);
    const running = started.runIds.filter((id) => statusOf(id) === 'running');
    expect(scheduler.pauseSweep(started.sweepId)).toEqual({ interrupted: 2 });
    sleepMs = 50;
    await until('paused', () => live.now === 0);
    for (const id of running) expect(statusOf(id)).toBe('interrupted');
    // A free worker looks for work (what every poll does) and finds none: the paused sweep's
    // queued runs wait. Idle means nothing running and nothing this process could claim.
    scheduler.pump();
    await scheduler.whenIdle();
    expect(jobs).toHaveLength(2);
    expect(started.runIds.filter((id) => statusOf(id) === 'queued')).toHaveLength(2);

    expect(scheduler.resumeSweeps(started.sweepId)).toEqual({ sweepIds: [started.sweepId], requeued: 2 });
    await until('all done', () => started.runIds.every((id) => statusOf(id) === 'completed'));
    const resumedJobs = jobs.filter((j) => running.includes(j.run.id));
    expect(resumedJobs.map((j) => j.resume)).toEqual([false, false, true, true]);
    expect(jobs).toHaveLength(6);
  });

  it('a sweep paused while it is queued in the background stays paused once queued, trains nothing, and resumes', async () => {
    const jobs: RunJob[] = [];
    const live = { now: 0, max: 0 };
    const events = new EventBus();
    const seen: string[] = [];
    events.subscribe((event) => {
      if (event.name === 'sweep.progress') seen.push(event.payload.status);
    });
    scheduler = new Scheduler({ store, events, executor: sleeperExecutor(100, jobs, live), concurrency: { wasm: 2 }, pollMs: 50 });
    scheduler.start();
    // 2,000 runs: several turns to write, so the answer comes while the rest is still being queued.
    const spec = parseSweepSpec(tinySweep({ axes: { learningRate: { min: 0.0001, max: 0.01, steps: 1000 } }, repeats: 2, yes: true }));
    const started = await queueSweep(store, spec, { background: scheduler.queueing, onProgress: scheduler.queueing.progressReporter() });
    expect(started.queueing).toBe(true);
    expect(store.sweepStatus(started.sweepId)).toBe('pending');
    expect(scheduler.pauseSweep(started.sweepId)).toEqual({ interrupted: 0 });
    await until('queueing over', () => !scheduler!.queueing.sweepIds.includes(started.sweepId));
    expect(store.getSweep(started.sweepId)).toMatchObject({ status: 'paused', runCounts: { queued: 2000 } });
    expect(scheduler.progress(started.sweepId)).toMatchObject({ status: 'paused', queued: 2000, queueing: null });
    expect(seen.at(-1)).toBe('paused');
    // Polls come and go: nothing of the paused sweep is claimed.
    await new Promise((r) => setTimeout(r, 300));
    await scheduler.whenIdle();
    expect(jobs).toHaveLength(0);
    expect(store.hasClaimableRun()).toBe(false);

    expect(scheduler.resumeSweeps(started.sweepId).sweepIds).toEqual([started.sweepId]);
    expect(store.sweepStatus(started.sweepId)).toBe('running');
    await until('runs training', () => jobs.length >= 2);
    await scheduler.cancelSweep(started.sweepId);
  });

  it('an idle server looks for sweeps left half-queued on start, then once a lease period, not on every tick', async () => {
    const heads = vi.spyOn(store, 'sweepHeads');
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: sleeperExecutor(100, [], { now: 0, max: 0 }),
      pollMs: 20,
      leaseMs: 60_000,
    });
    scheduler.start();
    const ticks = () => heads.mock.calls.filter(([statuses]) => statuses.length === 1 && statuses[0] === 'running').length;
    await until('ten ticks', () => ticks() >= 10);
    expect(heads.mock.calls.filter(([statuses]) => statuses.includes('paused'))).toHaveLength(1);
  });

  it('pauses one running run and resumes it from its checkpoint', async () => {
    const started = await sweep([1]);
    const id = started.runIds[0]!;
    const jobs: RunJob[] = [];
    const live = { now: 0, max: 0 };
    let sleepMs = untilStopped;
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: sleeperExecutor(() => sleepMs, jobs, live),
      concurrency: { wasm: 1 },
    });
    scheduler.start();
    await until('running', () => live.now === 1);
    expect(scheduler.interruptRun(id)).toBe(true);
    sleepMs = 50;
    await until('interrupted', () => statusOf(id) === 'interrupted');
    expect(scheduler.interruptRun(id)).toBe(false);
    expect(scheduler.resumeRun(id)).toBe(true);
    await until('completed', () => statusOf(id) === 'completed');
    expect(jobs.map((j) => j.resume)).toEqual([false, true]);
  });

  it('cancels a sweep: queued and running runs end canceled, nothing else starts', async () => {
    const started = await sweep([1, 2, 3]);
    const live = { now: 0, max: 0 };
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: sleeperExecutor(untilStopped, [], live),
      concurrency: { wasm: 1 },
      pollMs: 50,
    });
    scheduler.start();
    await until('one running', () => live.now === 1);
    expect(await scheduler.cancelSweep(started.sweepId)).toEqual({ canceled: 3 });
    await until('stopped', () => live.now === 0);
    await until('canceled', () => started.runIds.every((id) => statusOf(id) === 'canceled'));
    expect(store.getSweep(started.sweepId)!.status).toBe('canceled');
  });

  it('records a derived run left half-written by a crash again from its source, never trains it', async () => {
    const { sweepId, sourceId } = await finishedSource();
    // The process died while recording the source's derived run, which recovery marked interrupted.
    const source = store.getRun(sourceId)!;
    const half = store.createRun({
      name: 'half-written',
      sweepId: sweepId,
      derivedFromRunId: sourceId,
      derivedEpochs: 1,
      status: 'running',
      modelSpec: source.modelSpec,
      dataset: source.dataset,
      backend: source.backend,
      seed: source.seed,
      hyperparameters: { ...source.hyperparameters, epochs: 1 },
    });
    store.transition(half.id, 'interrupted');

    const jobs: RunJob[] = [];
    scheduler = new Scheduler({ store, events: new EventBus(), executor: sleeperExecutor(50, jobs, { now: 0, max: 0 }), pollMs: 50 });
    expect(scheduler.resumeSweeps(sweepId)).toEqual({ sweepIds: [sweepId], requeued: 0 });
    scheduler.start();
    // start() claims at once whatever is runnable; idle means it found nothing to train.
    await scheduler.whenIdle();
    expect(jobs).toHaveLength(0);
    const derived = store.listRuns({ sweepId: sweepId }).rows.filter((r) => r.id !== sourceId);
    expect(derived).toHaveLength(1);
    const detail = store.runDetail(derived[0]!.id);
    expect(detail).toMatchObject({ status: 'completed', derivedFromRunId: sourceId, derivedEpochs: 1 });
    expect(detail.evaluations.find((e) => e.split === 'test')!.accuracy).toBe(0.5);
    expect(detail.summary.find((m) => m.key === 'loss')).toMatchObject({ count: 1, last: 1 });
    expect(store.getSweep(sweepId)!.status).toBe('completed');
  });

  it('on start, records the derived runs of a source that completed just before a crash', async () => {
    const { sweepId, sourceId } = await finishedSource();
    expect(store.listRuns({ sweepId }).total).toBe(1);
    scheduler = new Scheduler({ store, events: new EventBus(), executor: sleeperExecutor(50, [], { now: 0, max: 0 }) });
    scheduler.start();
    const runs = store.listRuns({ sweepId }).rows;
    expect(runs).toHaveLength(2);
    expect(store.runDetail(runs.find((r) => r.id !== sourceId)!.id)).toMatchObject({ status: 'completed', derivedEpochs: 1 });
    expect(store.getSweep(sweepId)!.status).toBe('completed');
  });

  it('gives each queued run to exactly one of two processes claiming at once', async () => {
    await sweep(
      Array.from({ length: 20 }, (_, i) => i + 1),
      { repeats: 10 },
    );
    expect(store.listRuns({ status: ['queued'] }).total).toBe(200);
    const fixture = fileURLToPath(new URL('./claimFixture.ts', import.meta.url));
    const goFile = join(temp.dir, 'go');
    const children = [
      ['a:1', 'b:1'],
      ['b:1', 'a:1'],
    ].map(([owner, peer]) => spawn(process.execPath, [fixture, join(temp.dir, 'kernellab.db'), owner!, goFile, peer!]));
    const outputs = children.map((child) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      return new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
    });
    await Promise.all(children.map((child) => new Promise<void>((resolve) => child.stderr.once('data', () => resolve()))));
    writeFileSync(goFile, '');
    const [a, b] = await Promise.all(outputs);
    const idsA = JSON.parse(a!) as number[];
    const idsB = JSON.parse(b!) as number[];
    expect(idsA.length + idsB.length).toBe(200);
    expect(new Set([...idsA, ...idsB]).size).toBe(200);
    // Both really competed: each claimed runs while the other was claiming (the fixture holds each
    // after its first claim until the other has one too, so neither drains the queue alone).
    expect(idsA.length).toBeGreaterThan(0);
    expect(idsB.length).toBeGreaterThan(0);
    // Claims go in queue order, so each process's list is increasing and none is skipped.
    for (const ids of [idsA, idsB]) expect(ids).toEqual([...ids].sort((x, y) => x - y));
  });
});

/** An executor that reports one epoch and then never ends on its own (a worker that hangs). */
function hangingExecutor(started: RunJob[], stops: StopMode[]): Executor {
  return {
    start: (job, emit) => {
      started.push(job);
      let resolveOutcome!: (o: RunOutcome) => void;
      const outcome = new Promise<RunOutcome>((resolve) => (resolveOutcome = resolve));
      setTimeout(() => emit({ type: 'epoch', epoch: 1, values: { loss: 1 } }), 10);
      return {
        outcome,
        stop: (mode) => {
          stops.push(mode);
          // What a killed worker leaves: a late message, then its end.
          setTimeout(() => {
            emit({ type: 'epoch', epoch: 2, values: { loss: 0.5 } });
            resolveOutcome({ kind: 'completed' });
          }, 20);
        },
      };
    },
  };
}

describe('scheduler leases, budget and scope (issue 12)', () => {
  it('stops an execution that reports nothing for too long and queues its run again to resume', async () => {
    await sweep([3]);
    const jobs: RunJob[] = [];
    const stops: StopMode[] = [];
    scheduler = new Scheduler({ store, events: new EventBus(), executor: hangingExecutor(jobs, stops), pollMs: 30, stallMs: 300 });
    scheduler.start();
    await until('stopped as stalled', () => stops.length > 0);
    expect(stops[0]).toBe('abandon');
    await until('started again, resuming', () => jobs.length === 2);
    expect(jobs.map((j) => j.resume)).toEqual([false, true]);
    expect(jobs[1]!.lease.attempt).toBe(2);
    await scheduler.close();
    scheduler = undefined;
  });

  it('abandons an execution whose lease another process took, and records nothing of it', async () => {
    const started = await sweep([3]);
    const id = started.runIds[0]!;
    const jobs: RunJob[] = [];
    const stops: StopMode[] = [];
    scheduler = new Scheduler({ store, events: new EventBus(), executor: hangingExecutor(jobs, stops), pollMs: 30, stallMs: 60_000 });
    scheduler.start();
    await until('first epoch recorded', () => (store.summary(id).find((m) => m.key === 'loss')?.count ?? 0) === 1);
    // Another process recovered the run (this one looked stalled) and claimed it again.
    const other = RunStore.open(join(temp.dir, 'kernellab.db'), { owner: 'elsewhere:1', recover: false });
    try {
      const raw = openRaw(join(temp.dir, 'kernellab.db'));
      raw.prepare('UPDATE runs SET lease_expires_at = 1 WHERE id = ?').run(id);
      raw.close();
      expect(other.recoverInterrupted()).toEqual([id]);
      expect(other.requeue(id)).toBe(true);
      expect(other.claimNextRunnable('elsewhere:1')).toMatchObject({ id, attempt: 2 });
      await until('abandoned', () => stops.length > 0);
      expect(stops).toEqual(['abandon']);
      await new Promise((r) => setTimeout(r, 200));
      // Its late epoch and its outcome were not recorded: the run is the other process's.
      expect(store.getRun(id)).toMatchObject({ status: 'running', workerOwner: 'elsewhere:1', attempt: 2 });
      expect(store.summary(id).find((m) => m.key === 'loss')).toMatchObject({ count: 1, last: 1 });
      expect(jobs).toHaveLength(1);
    } finally {
      other.close();
    }
  });

  it('with scope own, trains the run reserved for it and never a sweep it did not start', async () => {
    const swept = await sweep([3, 5]);
    const spec = parseSweepSpec(tinySweep({ axes: {} }));
    const mine = queueSingleRun(store, { run: spec.base, set: {}, priority: 0, runHere: true, yes: false });
    expect(mine.reservedFor).toBe(store.owner);
    const jobs: RunJob[] = [];
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: sleeperExecutor(50, jobs, { now: 0, max: 0 }),
      scope: 'own',
      pollMs: 30,
    });
    scheduler.start();
    await until('its run done', () => statusOf(mine.id) === 'completed');
    await new Promise((r) => setTimeout(r, 200));
    expect(jobs.map((j) => j.run.id)).toEqual([mine.id]);
    for (const id of swept.runIds) expect(statusOf(id)).toBe('queued');
  });

  it('shares the machine budget with every other scheduler on the data folder', async () => {
    const started = await sweep([1, 2, 3, 4]);
    const live = { now: 0, max: 0 };
    const jobs: RunJob[] = [];
    const second = RunStore.open(join(temp.dir, 'kernellab.db'), { owner: `${store.hostPrefix}999999` });
    const other = new Scheduler({ store: second, events: new EventBus(), executor: sleeperExecutor(600, jobs, live), pollMs: 30 });
    try {
      scheduler = new Scheduler({ store, events: new EventBus(), executor: sleeperExecutor(600, jobs, live), pollMs: 30 });
      scheduler.setConcurrency(1);
      expect(other.concurrency()).toMatchObject({ workers: 1, perBackend: { wasm: 1 } });
      scheduler.start();
      other.start();
      await until('all done', () => started.runIds.every((id) => statusOf(id) === 'completed'));
      expect(live.max).toBe(1);
      expect(() => scheduler!.setConcurrency(256)).toThrow(/workers: 256 is more than this machine can train at once/);
    } finally {
      await other.close();
      second.close();
    }
  });
});
