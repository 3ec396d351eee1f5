/**
 * The scheduler's queue queries (runLifecycle.ts claimNext/hasClaimable/reservedOwners,
 * sweepRows.ts sweepStats) on the indexes of migration 0012: they answer as before — order,
 * skipped runs, counts — and read the queue by index instead of every queued run (issue 12: at
 * 100,000 queued runs each scheduler tick held the server about a second).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../test/rawSqlite.ts';
import { plansOf as plansIn } from '../../test/queryPlans.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { NewRun, RunStore } from './RunStore.ts';
import { claimNext, hasClaimable, reservedOwners } from './runLifecycle.ts';
import { sweepStats } from './sweepRows.ts';
import { listSweepHeads } from './sweepRecords.ts';
import type { StoreContext } from './storeContext.ts';
import type { SqliteDatabase } from './database.ts';

let tmp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  tmp = makeTempDir();
  store = RunStore.open(join(tmp.dir, 'k.db'));
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const base: NewRun = {
  name: 'cnn',
  modelSpec: { inputShape: [28, 28, 1], layers: [{ type: 'conv2d', filters: 8, kernelSize: 3 }] },
  dataset: 'mnist',
  backend: 'cpu',
  seed: 42,
  hyperparameters: { epochs: 3 },
};

const sweepRuns = (sweepId: number, priorities: number[]) =>
  store.addSweepRuns(
    sweepId,
    priorities.map((priority) => NewRun.parse({ ...base, sweepId, priority })),
  );

const plansOf = (db: SqliteDatabase, run: (db: SqliteDatabase) => unknown) =>
  plansIn(db, run, { owner: 'o', pid: 1, lease: 0, now: 0, any: 1, sweeps: '[]', runs: '[]', prefix: 'h:' }, 1);

describe('the queue on migration 0012', () => {
  it('claims by priority then age across single runs and running sweeps, skipping paused, agent and derived runs', () => {
    const running = store.createSweep({ name: 'running', spec: {}, status: 'running' }).id;
    const paused = store.createSweep({ name: 'paused', spec: {}, status: 'paused' }).id;
    const agents = store.createSweep({ name: 'agents', spec: {}, status: 'running', runsOn: 'agents' }).id;
    const single = store.createRun({ ...base, priority: 1 }).id;
    const [r0, r5, r1] = sweepRuns(running, [0, 5, 1]);
    sweepRuns(paused, [9, 9]);
    sweepRuns(agents, [9]);
    const derived = store.createRun({ ...base, sweepId: running, priority: 9, derivedFromRunId: r5 }).id;
    const gpu = store.createRun({ ...base, priority: 9, hyperparameters: { epochs: 3, backend: 'webgpu' } }).id;
    const mine = store.createRun({ ...base, priority: 8, reservedFor: 'someone else' }).id;
    expect([derived, gpu, mine]).toHaveLength(3);
    const order: number[] = [];
    for (let run = store.claimNextRunnable('a'); run; run = store.claimNextRunnable('a')) order.push(run.id);
    expect(order).toEqual([r5, single, r1, r0]);
    expect(store.hasClaimableRun('a')).toBe(false);
    // The reserved run is its owner's; a resumed paused sweep's runs come next.
    expect(store.hasClaimableRun('someone else')).toBe(true);
    expect(store.claimNextRunnable('someone else')?.id).toBe(mine);
    store.setSweepStatus(paused, 'running');
    expect(store.hasClaimableRun('a')).toBe(true);
    expect(store.claimNextRunnable('a')?.sweepId).toBe(paused);
  });

  it('claims only its own sweeps and runs with scope own', () => {
    const ours = store.createSweep({ name: 'ours', spec: {}, status: 'running' }).id;
    const theirs = store.createSweep({ name: 'theirs', spec: {}, status: 'running' }).id;
    sweepRuns(theirs, [9]);
    const [own] = sweepRuns(ours, [0]);
    const scope = { kind: 'own' as const, sweepIds: [ours] };
    expect(store.hasClaimableRun('a', { kind: 'own', sweepIds: [] })).toBe(false);
    expect(store.claimNextRunnable('a', 60_000, { scope })?.id).toBe(own);
    expect(store.hasClaimableRun('a', scope)).toBe(false);
  });

  it('counts a sweep by status, derived runs apart, and times only its completed trained runs', () => {
    const sweep = store.createSweep({ name: 's', spec: {}, status: 'running' }).id;
    const [a, b] = sweepRuns(sweep, [0, 0, 0]);
    store.createRun({ ...base, sweepId: sweep, derivedFromRunId: a!, status: 'completed' });
    const raw = openRaw(join(tmp.dir, 'k.db'));
    raw.prepare("UPDATE runs SET status = 'completed', started_at = 1000, ended_at = 4000 WHERE id = ?").run(a);
    raw.prepare("UPDATE runs SET status = 'running', started_at = 5000 WHERE id = ?").run(b);
    raw.close();
    const stats = store.sweepStats(sweep);
    expect(stats.counts).toEqual({ completed: 2, running: 1, queued: 1 });
    expect(stats).toMatchObject({ derived: 1, trained: 1, trainedMs: 3000, open: 2, runningSince: [5000] });
  });

  it("lists the scheduler's sweeps by status without reading their runs", () => {
    const running = store.createSweep({ name: 'running', spec: { axes: { kernelSize: [3] } }, status: 'running' }).id;
    const pending = store.createSweep({ name: 'pending', spec: {}, status: 'pending' }).id;
    store.createSweep({ name: 'done', spec: {}, status: 'completed' });
    sweepRuns(running, [0, 0]);
    const full = store.listSweeps().find((s) => s.id === running)!;
    const { runCounts: _counts, axes: _axes, best: _best, ...head } = full;
    expect(store.sweepHeads(['running'])).toEqual([head]);
    expect(store.sweepHeads(['pending', 'running']).map((s) => s.id)).toEqual([running, pending]);
    const db = openRaw(join(tmp.dir, 'k.db'));
    try {
      const plans = plansOf(db, (d) => listSweepHeads({ db: d } as StoreContext, ['running']));
      expect(plans).toHaveLength(1);
      expect(plans[0]).not.toMatch(/\bruns\b|latest_metrics/);
    } finally {
      db.close();
    }
  });

  it('reads the queue by index, never every queued run', () => {
    // A big queue nobody here may claim (a sweep for agents), as the planner sees it after PRAGMA optimize.
    const waiting = store.createSweep({ name: 'for agents', spec: {}, status: 'running', runsOn: 'agents' }).id;
    sweepRuns(
      waiting,
      Array.from({ length: 3000 }, () => 0),
    );
    const running = store.createSweep({ name: 'here', spec: {}, status: 'running' }).id;
    sweepRuns(running, [0, 1]);
    store.createRun({ ...base, reservedFor: 'o' });
    store.close();
    const db = openRaw(join(tmp.dir, 'k.db'));
    try {
      db.exec('ANALYZE');
      // As a database the planner has no statistics of yet, then as one analysed.
      for (const analyse of ['DELETE FROM sqlite_stat1', 'ANALYZE']) {
        db.exec(analyse);
        const request = { owner: 'o', pid: 1, leaseMs: 1, hostPrefix: 'h:', budget: 8, scope: { kind: 'any' as const } };
        const claims = [
          ...plansOf(db, (d) => claimNext(d, request)).slice(1),
          ...plansOf(db, (d) => hasClaimable(d, 'o', { kind: 'any' })),
        ];
        const others = [...plansOf(db, (d) => reservedOwners(d)), ...plansOf(db, (d) => sweepStats(d, waiting))];
        expect(claims).toHaveLength(2);
        expect(others).toHaveLength(4);
        // A scan of runs, or of every queued run by the status index, is what cost ~1 s a tick at 100,000.
        for (const plan of claims) {
          expect(plan).not.toMatch(/runs_queue/);
          expect(plan).toMatch(/runs_by_sweep_queue \(sweep_id=\? AND status=\? AND derived_from_run_id=\?\)/);
        }
        for (const plan of [...claims, ...others]) expect(plan, analyse).not.toMatch(/SCAN (r|runs)\b/);
        expect(others[0]).toMatch(/runs_reserved/);
      }
    } finally {
      db.close();
      store = RunStore.open(join(tmp.dir, 'k.db'));
    }
  });
});
