/**
 * Leases that fence, the machine's worker budget and reserved runs, with two stores on one
 * database file as two processes would have it (issue 12: defects 3 and 12).
 */
import { rmSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../test/rawSqlite.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { KernelLabError } from '../errors.ts';
import { DatabaseError } from './database.ts';
import { leaseOf, LeaseLost, RunStore, type NewRun } from './RunStore.ts';

let tmp: { dir: string; cleanup: () => void };
let path: string;
let a: RunStore;
let b: RunStore;
beforeEach(() => {
  tmp = makeTempDir('kernellab-leases-');
  path = join(tmp.dir, 'k.db');
  // Two processes of this machine: the same host prefix, different owners.
  a = RunStore.open(path, { owner: `${RunStore.name}-a`, leaseMs: 60_000 });
  b = RunStore.open(path, { owner: `${RunStore.name}-b`, leaseMs: 60_000 });
});
afterEach(() => {
  a.close();
  b.close();
  tmp.cleanup();
});

const base: NewRun = { name: 'r', modelSpec: {}, dataset: 'mnist', backend: 'cpu', seed: 1, hyperparameters: { epochs: 3 } };
const checkpoint = { epoch: 1, kind: 'last' as const, path: 'runs/x/last', bytes: 1, sha256: 'c'.repeat(64) };
const evaluation = { split: 'test', loss: 0.5, accuracy: 0.5, confusion: [[1]], perClass: [] };

function refusal(fn: () => unknown): KernelLabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KernelLabError);
    return error as KernelLabError;
  }
  throw new Error('expected a refusal');
}

/** Makes a's lease on the run look expired, as after a process stalled past it. */
function expire(runId: number): void {
  const raw = openRaw(path);
  raw.prepare('UPDATE runs SET lease_expires_at = 1 WHERE id = ?').run(runId);
  raw.close();
}

describe('leases that fence', () => {
  it('refuses every write of a holder whose run was recovered and claimed again, and gives the run one final status', () => {
    const id = a.createRun(base).id;
    const first = a.claimNextRunnable()!;
    expect(first).toMatchObject({ id, status: 'running', attempt: 1 });
    const stale = leaseOf(first);
    a.logBatch([{ runId: id, key: 'loss', step: 1, epoch: 1, value: 1 }], { lease: stale });

    // a stalls past its lease; b recovers the run, queues it again and claims it.
    expire(id);
    expect(b.recoverInterrupted()).toEqual([id]);
    expect(b.requeue(id)).toBe(true);
    const second = b.claimNextRunnable()!;
    expect(second).toMatchObject({ id, attempt: 2, workerOwner: b.owner, error: null });
    const current = leaseOf(second);

    // a wakes up: nothing it sends is recorded, and it cannot end the run.
    const writes: [string, () => unknown][] = [
      ['metrics', () => a.logBatch([{ runId: id, key: 'loss', step: 2, epoch: 2, value: 9 }], { lease: stale })],
      ['checkpoint', () => a.addCheckpoint(id, { ...checkpoint, epoch: 2 }, { lease: stale })],
      ['evaluation', () => a.addEvaluation(id, evaluation, { lease: stale })],
      ['device', () => a.setDevice(id, 'wasm', 'stale', undefined, { lease: stale })],
    ];
    for (const [what, write] of writes) {
      const error = refusal(write);
      expect(error, what).toBeInstanceOf(LeaseLost);
      expect(error.message).toContain(`Run ${id} is no longer held by ${a.owner} (attempt 1)`);
    }
    expect(a.renewLease(stale)).toBe(false);
    expect(a.finishRun(stale, 'completed', null)).toBe(false);

    // b, the holder, records and ends it.
    b.logBatch([{ runId: id, key: 'loss', step: 2, epoch: 2, value: 0.5 }], { lease: current });
    b.addCheckpoint(id, { ...checkpoint, epoch: 2 }, { lease: current });
    expect(b.finishRun(current, 'completed', null)).toBe(true);
    expect(a.finishRun(stale, 'failed', 'late')).toBe(false);

    const run = b.runDetail(id);
    expect(run).toMatchObject({ status: 'completed', error: null });
    expect(run.checkpoints.map((c) => c.epoch)).toEqual([2]);
    expect(b.metricSeries(id).series.loss!.map((p) => p.value)).toEqual([1, 0.5]);
    expect(run.device).toBe('');
  });

  it('lets a slow holder go on when nobody took its run, since its lease still names it', () => {
    const id = a.createRun(base).id;
    const lease = leaseOf(a.claimNextRunnable()!);
    expire(id);
    // Not recovered yet: the holder's next write renews the lease instead of losing the run.
    a.logBatch([{ runId: id, key: 'loss', step: 1, epoch: 1, value: 1 }], { lease });
    expect(a.getRun(id)!.leaseExpiresAt).toBeGreaterThan(Date.now());
    expect(b.recoverInterrupted()).toEqual([]);
  });
});

describe('the worker budget of this machine', () => {
  it('is shared by every store on the database: no claim while that many runs train on this host', () => {
    // Two processes of this host (owners `host:pid`); a and b stand for processes elsewhere.
    const here1 = RunStore.open(path, { leaseMs: 60_000 });
    const here2 = RunStore.open(path, { owner: `${here1.hostPrefix}999999`, leaseMs: 60_000 });
    try {
      const ids = [1, 2, 3].map(() => a.createRun(base).id);
      expect(a.claimNextRunnable(a.owner, 60_000, { budget: 1 })!.id).toBe(ids[0]);
      expect(here1.runningOnThisMachine()).toBe(0);
      expect(here1.claimNextRunnable(here1.owner, 60_000, { budget: 1 })!.id).toBe(ids[1]);
      expect(here1.runningOnThisMachine()).toBe(1);
      // The other process of this host finds the machine full, until the budget grows.
      expect(here2.claimNextRunnable(here2.owner, 60_000, { budget: 1 })).toBeUndefined();
      expect(here2.claimNextRunnable(here2.owner, 60_000, { budget: 2 })!.id).toBe(ids[2]);
      expect(here2.runningOnThisMachine()).toBe(2);
    } finally {
      here1.close();
      here2.close();
    }
  });

  it('keeps settings every process reads', () => {
    expect(a.getSetting('workers')).toBeUndefined();
    a.setSetting('workers', { wasm: 3 });
    expect(b.getSetting('workers')).toEqual({ wasm: 3 });
  });
});

describe('runs reserved for one process', () => {
  it('are claimed only by that owner, also by a scheduler that takes only its own runs', () => {
    const sweep = a.createSweep({ name: 's', spec: {}, status: 'running' });
    const sweepRun = a.createRun({ ...base, sweepId: sweep.id }).id;
    const mine = a.createRun({ ...base, reservedFor: b.owner }).id;
    const own = { scope: { kind: 'own' as const, sweepIds: [] } };
    // a (any scope) skips b's reserved run and takes the sweep's.
    expect(a.claimNextRunnable(a.owner, 60_000)!.id).toBe(sweepRun);
    expect(a.claimNextRunnable(a.owner, 60_000)).toBeUndefined();
    const other = a.createRun({ ...base, sweepId: sweep.id }).id;
    // b with scope 'own' takes its reserved run, never the sweep's.
    expect(b.claimNextRunnable(b.owner, 60_000, own)!.id).toBe(mine);
    expect(b.claimNextRunnable(b.owner, 60_000, own)).toBeUndefined();
    expect(b.hasClaimableRun(b.owner, own.scope)).toBe(false);
    expect(b.claimNextRunnable(b.owner, 60_000, { scope: { kind: 'own', sweepIds: [sweep.id] } })!.id).toBe(other);
  });

  it('are canceled, saying why, once the process that queued them is gone', () => {
    const gone = `${a.hostPrefix}999999999`;
    const id = a.createRun({ ...base, reservedFor: gone }).id;
    const alive = a.createRun({ ...base, reservedFor: `${a.hostPrefix}${process.pid}` }).id;
    b.close();
    b = RunStore.open(path, { owner: `${RunStore.name}-b` });
    expect(b.getRun(id)).toMatchObject({ status: 'canceled', error: `the process that queued this run (${gone}) ended before it started` });
    expect(b.getRun(alive)!.status).toBe('queued');
  });
});

describe('a database file deleted or replaced under an open store', () => {
  it('refuses writes loudly instead of writing into the lost file', () => {
    const id = a.createRun(base).id;
    expect(a.fileProblem()).toBeNull();
    rmSync(path);
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
    expect(a.fileProblem()).toContain('was deleted while KernelLab had it open');
    const error = refusal(() => a.logBatch([{ runId: id, key: 'loss', step: 1, epoch: 1, value: 1 }]));
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).problem).toBe('gone');
    expect(error.message).toContain('nothing was written');
    expect(() => a.createRun(base)).toThrow(/was deleted while KernelLab had it open/);

    writeFileSync(join(tmp.dir, 'other.db'), '');
    renameSync(join(tmp.dir, 'other.db'), path);
    expect(b.fileProblem()).toContain('was replaced by another file');
  });
});

describe('a write refused after the database file was deleted', () => {
  it("says the problem and that nothing was written in the user's language, the English as it was", () => {
    const id = a.createRun(base).id;
    for (const file of [path, `${path}-wal`, `${path}-shm`]) rmSync(file, { force: true });
    const error = refusal(() => a.setTags(id, ['x']));
    const gone = `The database ${path} was deleted while KernelLab had it open; restart KernelLab (it starts a new, empty database there)`;
    expect(error.message).toBe(`${gone}: setting tags was refused, nothing was written.`);
    expect(coreTextOf(error.text, '', 'en')).toBe(error.message);
    const ko = coreTextOf(error.text, '', 'ko');
    expect(ko).toBe(
      `데이터베이스 ${path}이(가) KernelLab이 열어 둔 동안 삭제되었습니다. KernelLab을 다시 시작하세요(그 자리에 새 빈 데이터베이스를 시작합니다). 쓰기를 거부했으므로 아무것도 쓰이지 않았습니다(단계: setting tags).`,
    );
    // No English left but the path, the product's name and the step, quoted as the core names it.
    expect(ko.replaceAll(path, '').replaceAll('KernelLab', '').replace('(단계: setting tags)', '')).not.toMatch(/[A-Za-z]/);
  });
});
