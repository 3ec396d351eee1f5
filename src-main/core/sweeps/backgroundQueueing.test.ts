/**
 * A big sweep is queued in the background after sweeps.start answered (issue 12): it can be
 * canceled meanwhile, a failure after the answer leaves it 'failed' saying why, and a process that
 * ends mid-queueing leaves it to the next owner, which queues exactly the rest.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import type { SweepProgress, SweepSpecInput } from '../contract/sweeps.ts';
import { RunStore } from '../db/RunStore.ts';
import { BackgroundQueueing } from './backgroundQueueing.ts';
import { queueSweep } from './queueing.ts';
import { sweepProgress } from './sweepProgress.ts';
import { tinySweep } from './sweepFixture.ts';
import { parseSweepSpec } from './sweepSpec.ts';

let temp: { dir: string; cleanup: () => void };
let dbPath: string;
const stores: RunStore[] = [];
const open = (owner?: string) => {
  const store = RunStore.open(dbPath, owner === undefined ? {} : { owner });
  stores.push(store);
  return store;
};
beforeEach(() => {
  temp = makeTempDir('kernellab-background-queueing-');
  dbPath = join(temp.dir, 'kernellab.db');
});
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
  temp.cleanup();
});

/** A tracker as the scheduler holds one, with a promise of the end of each sweep's queueing. */
function tracker(store: RunStore) {
  const events: SweepProgress[] = [];
  const ended = new Map<number, () => void>();
  const done = (sweepId: number) => new Promise<void>((resolve) => ended.set(sweepId, resolve));
  const background = new BackgroundQueueing({ store, emit: (p) => events.push(p), queued: (sweepId) => ended.get(sweepId)?.() });
  return { background, events, done };
}

/** Resolves once the background queueing of this sweep has ended, however it ended. */
async function stopped(background: BackgroundQueueing, sweepId: number): Promise<void> {
  while (background.sweepIds.includes(sweepId)) await new Promise((r) => setTimeout(r, 5));
}

/** 2,000 runs: several 25 ms turns to write on any machine (a run costs ~0.1 ms or more). */
const bigSweep = (extra: Partial<SweepSpecInput> = {}) =>
  parseSweepSpec(tinySweep({ axes: { learningRate: { min: 0.0001, max: 0.01, steps: 1000 } }, repeats: 2, yes: true, ...extra }));

/** What makes each run of a sweep what it is, as sorted keys: equal lists are the same runs. */
function runKeys(store: RunStore, sweepId: number): string[] {
  return store
    .runsOfSweep(sweepId)
    .map((r) => JSON.stringify([r.name, r.seed, r.dataset, r.hyperparameters, r.modelSpec, r.environment]))
    .sort();
}

/** A process id that no longer exists on this machine: a queueing process that was killed. */
function deadOwner(): string {
  const child = spawnSync(process.execPath, ['-e', '']);
  return `${hostname()}:${child.pid}`;
}

describe('queueing a sweep in the background', () => {
  it('answers after the first chunk of a big sweep, reports progress, and queues the rest', async () => {
    const store = open();
    const { background, events, done } = tracker(store);
    const started = await queueSweep(store, bigSweep(), { background, onProgress: background.progressReporter() });
    expect(started.queueing).toBe(true);
    expect(started.queued).toBeGreaterThan(0);
    expect(started.queued).toBeLessThan(2000);
    expect(store.getSweep(started.sweepId)!.status).toBe('pending');
    await done(started.sweepId);
    expect(store.getSweep(started.sweepId)).toMatchObject({ status: 'running', runCounts: { queued: 2000 } });
    expect(events.at(-1)).toMatchObject({ queueing: { queued: 2000, total: 2000 } });
    expect(events.length).toBeGreaterThan(1);
  });

  it('answers a small sweep exactly as when it is queued in the foreground', async () => {
    const store = open();
    const spec = parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5, 7], epochs: [1, 2] } }));
    const inBackground = await queueSweep(store, spec, { background: tracker(store).background });
    const inForeground = await queueSweep(store, spec);
    expect(inBackground).toMatchObject({ queueing: false, queued: 3, planned: 6, derived: 3 });
    const { sweepId: _a, runIds: ids, ...rest } = inBackground;
    const { sweepId: _b, runIds: _ids, ...foreground } = inForeground;
    expect(rest).toEqual(foreground);
    expect(ids).toEqual(store.runsOfSweep(inBackground.sweepId).map((r) => r.id));
    expect(store.getSweep(inBackground.sweepId)!.status).toBe('running');
  });

  it('stops when the sweep is canceled from another process, and what it queued ends canceled', async () => {
    const store = open();
    const { background } = tracker(store);
    const started = await queueSweep(store, bigSweep(), { background });
    const other = open();
    other.setSweepStatus(started.sweepId, 'canceled');
    await stopped(background, started.sweepId);
    const sweep = store.getSweep(started.sweepId)!;
    expect(sweep.status).toBe('canceled');
    expect(Object.keys(sweep.runCounts)).toEqual(['canceled']);
    expect(sweep.runCounts.canceled).toBeLessThan(2000);
    expect(store.claimNextRunnable()).toBeUndefined();
  });

  it('marks the sweep failed with a coded sentence when writing fails after the answer', async () => {
    const store = open();
    const { background } = tracker(store);
    const started = await queueSweep(store, bigSweep(), { background });
    // The disk filling up, as SQLite reports it, from the next insert on.
    const db = new Database(dbPath);
    db.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    db.close();
    await stopped(background, started.sweepId);
    const sweep = store.getSweep(started.sweepId)!;
    expect(sweep.status).toBe('failed');
    // Nothing of it is left to claim; the runs queued before the failure say they were canceled.
    expect(Object.keys(sweep.runCounts)).toEqual(['canceled']);
    const queued = sweep.runCounts.canceled!;
    const progress = sweepProgress(store, started.sweepId, 1);
    expect(progress.text).toMatch(
      new RegExp(
        `^queueing stopped after ${queued.toLocaleString('en')} of 2,000 runs: queueing \\d+ runs of sweep \\d+ on .+ failed: database or disk is full$`,
      ),
    );
    expect(progress.textCode).toMatchObject({ code: 'sweep_queueing_failed', params: { queued, total: 2000 } });
    expect(progress.textCode.params).toHaveProperty('reason', expect.stringMatching(/database or disk is full$/));
  });
});

describe('a sweep left half-queued by a process that ended', () => {
  const specs: [string, () => ReturnType<typeof bigSweep>][] = [
    [
      'grid with repeats and folded epochs',
      () => bigSweep({ axes: { learningRate: { min: 0.0001, max: 0.01, steps: 300 }, epochs: [1, 2] } }),
    ],
    // No samplerSeed given: the parsed spec stores its default with the sweep, so resuming draws the same points.
    [
      'random search',
      () => bigSweep({ method: 'random', trials: 900, axes: { learningRate: { min: 1e-4, max: 1, scale: 'log' }, batchSize: [16, 32] } }),
    ],
  ];

  it.each(specs)(
    '%s: is resumed by the next owner, queueing exactly the planned runs, the same as without the crash',
    async (_name, spec) => {
      // What an uninterrupted queueing records, in a data folder of its own.
      const reference = RunStore.open(join(temp.dir, 'reference.db'));
      stores.push(reference);
      const whole = await queueSweep(reference, spec());
      const expected = runKeys(reference, whole.sweepId);
      expect(expected.length).toBe(whole.queued);

      // A process (now dead) queues part of it and stops as a killed one would, between chunks.
      const dyingOwner = deadOwner();
      const dying = open(dyingOwner);
      const { background } = tracker(dying);
      const started = await queueSweep(dying, spec(), { background });
      await background.close();
      const left = dying.getSweep(started.sweepId)!;
      expect(left.status).toBe('pending');
      expect(left.runCounts.queued).toBeGreaterThan(0);
      expect(left.runCounts.queued).toBeLessThan(whole.queued);
      dying.close();

      // The next owner of the data folder resumes it from where it stopped.
      const next = open();
      const resumed = tracker(next);
      resumed.background.resumeLeft();
      expect(resumed.background.sweepIds).toEqual([started.sweepId]);
      // Another process trying at the same time finds it taken: exactly one owner queues the rest.
      expect(open(deadOwner()).takeOverQueueing(started.sweepId, dyingOwner)).toBe(false);
      await stopped(resumed.background, started.sweepId);
      expect(next.getSweep(started.sweepId)).toMatchObject({ status: 'running', runCounts: { queued: whole.queued } });
      expect(runKeys(next, started.sweepId)).toEqual(expected);
      expect(resumed.events.at(-1)).toMatchObject({ queueing: { queued: whole.queued, total: whole.queued } });
    },
  );

  it('paused while it was being queued: the next owner queues the rest and the sweep stays paused until resumed', async () => {
    const dyingOwner = deadOwner();
    const dying = open(dyingOwner);
    const { background } = tracker(dying);
    const started = await queueSweep(dying, bigSweep(), { background });
    // Paused from another process while the dying one still queues, which then stops between chunks.
    expect(open().pauseSweep(started.sweepId)).toBe(true);
    await background.close();
    expect(dying.getSweep(started.sweepId)!.runCounts.queued).toBeLessThan(2000);
    dying.close();

    const next = open();
    const resumed = tracker(next);
    resumed.background.resumeLeft();
    expect(resumed.background.sweepIds).toEqual([started.sweepId]);
    await stopped(resumed.background, started.sweepId);
    expect(next.getSweep(started.sweepId)).toMatchObject({ status: 'paused', runCounts: { queued: 2000 } });
    expect(resumed.events.at(-1)).toMatchObject({ status: 'paused', queueing: { queued: 2000, total: 2000 } });
    expect(next.claimNextRunnable()).toBeUndefined();
    // A later start resumes nothing more: its queueing is over.
    resumed.background.resumeLeft();
    expect(resumed.background.sweepIds).toEqual([]);

    next.resumeSweep(started.sweepId);
    expect(next.sweepStatus(started.sweepId)).toBe('running');
    expect(next.claimNextRunnable()?.sweepId).toBe(started.sweepId);
  });

  it('is looked for from the ticks once a lease period, not on every tick', async () => {
    const next = open();
    const resumed = tracker(next);
    const t0 = Date.now();
    resumed.background.resumeLeft(t0);
    const heads = vi.spyOn(next, 'sweepHeads');

    const dyingOwner = deadOwner();
    const dying = open(dyingOwner);
    const { background } = tracker(dying);
    const started = await queueSweep(dying, bigSweep(), { background });
    await background.close();
    dying.close();

    // A tick a second for a lease period less one: no sweep is read, none taken over.
    for (let tick = 1; tick * 1000 < next.leaseMs; tick++) resumed.background.resumeLeftWhenDue(t0 + tick * 1000);
    expect(heads).not.toHaveBeenCalled();
    expect(resumed.background.sweepIds).toEqual([]);
    // The tick a lease period on looks, and finishes it.
    resumed.background.resumeLeftWhenDue(t0 + next.leaseMs);
    expect(heads).toHaveBeenCalledTimes(1);
    expect(resumed.background.sweepIds).toEqual([started.sweepId]);
    await stopped(resumed.background, started.sweepId);
    expect(next.getSweep(started.sweepId)).toMatchObject({ status: 'running', runCounts: { queued: 2000 } });
  });
});
