import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../test/rawSqlite.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { KernelLabError } from '../errors.ts';
import { EventBus } from '../events.ts';
import type { KernelLabEvent, RunStatus } from '../contract/index.ts';
import { flattenParams, leaseOf, RunStore, type NewRun } from './RunStore.ts';

let tmp: { dir: string; cleanup: () => void };
let store: RunStore;
let raw: ReturnType<typeof openRaw>;
let events: KernelLabEvent[];
beforeEach(() => {
  tmp = makeTempDir();
  const bus = new EventBus();
  events = [];
  bus.subscribe((e) => events.push(e));
  store = RunStore.open(join(tmp.dir, 'k.db'), { events: bus });
  raw = openRaw(join(tmp.dir, 'k.db'));
});
afterEach(() => {
  raw.close();
  store.close();
  tmp.cleanup();
});

const base: NewRun = {
  name: 'cnn',
  modelSpec: { inputShape: [28, 28, 1], layers: [{ type: 'conv2d', filters: 8, kernelSize: 3 }] },
  dataset: 'mnist',
  backend: 'cpu',
  seed: 42,
  hyperparameters: { epochs: 3, optimizer: { name: 'adam', learningRate: 0.001 }, augment: false },
};

function thrown(fn: () => unknown): KernelLabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KernelLabError);
    return error as KernelLabError;
  }
  throw new Error('expected an error');
}

const statuses: RunStatus[] = ['queued', 'running', 'completed', 'failed', 'canceled', 'interrupted', 'diverged', 'pruned'];

/** A run brought to `status` through allowed moves only. */
function runIn(status: RunStatus): number {
  const id = store.createRun(base).id;
  const path: Record<RunStatus, RunStatus[]> = {
    queued: [],
    running: ['running'],
    completed: ['running', 'completed'],
    failed: ['running', 'failed'],
    canceled: ['canceled'],
    interrupted: ['running', 'interrupted'],
    diverged: ['running', 'diverged'],
    pruned: ['running'],
  };
  for (const to of path[status]) store.transition(id, to);
  if (status === 'pruned') store.finishRun(leaseOf(store.getRun(id)!), 'pruned', 'ASHA rung 0 (epoch 1)', { epoch: 1, rung: 0 });
  expect(store.getRun(id)!.status).toBe(status);
  return id;
}

/**
 * The moves a user may see a run make, written out here rather than read from the store's
 * allowedTransitions, so that a change to the store's rules fails this test until someone decides
 * the new behaviour is right (and writes it here).
 */
const expectedMoves: Record<RunStatus, RunStatus[]> = {
  // A queued run starts, is canceled before it starts, or fails to start (e.g. its dataset is missing).
  queued: ['running', 'canceled', 'failed'],
  // A running run ends in one of five ways; it never goes back to the queue by itself.
  running: ['completed', 'failed', 'canceled', 'interrupted', 'diverged'],
  // An interrupted run is queued again by a resume (from its checkpoint) or given up.
  interrupted: ['queued', 'canceled'],
  // A run that ended stays as it ended: a resume of it is a new run (parentRunId).
  completed: [],
  failed: [],
  canceled: [],
  diverged: [],
  // Only a sweep's pruner ends a run as pruned (settle with the epoch and rung); no plain move reaches it.
  pruned: [],
};

describe('run lifecycle', () => {
  for (const from of statuses) {
    for (const to of statuses) {
      const allowed = expectedMoves[from].includes(to);
      it(`${allowed ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        const id = runIn(from);
        if (allowed) {
          const run = store.transition(id, to, to === 'failed' ? { error: 'out of memory' } : {});
          expect(run.status).toBe(to);
          if (to === 'running') expect(run.startedAt).not.toBeNull();
          if (['completed', 'failed', 'canceled', 'interrupted', 'diverged'].includes(to)) expect(run.endedAt).not.toBeNull();
          if (to === 'failed') expect(run.error).toBe('out of memory');
          expect(events.at(-1)).toMatchObject({ name: 'run.updated', payload: { runId: id, status: to } });
        } else {
          const error = thrown(() => store.transition(id, to));
          expect(error.code).toBe('conflict');
          expect(error.message).toContain(`Run ${id} is ${from}; it cannot become ${to}`);
          expect(store.getRun(id)!.status).toBe(from);
        }
      });
    }
  }

  it('marks interrupted, on open, a running run whose owner process is gone or whose lease ran out, and leaves live ones alone', () => {
    const dead = store.createRun(base).id;
    const live = store.createRun(base).id;
    const expired = store.createRun(base).id;
    store.claimNextRunnable('localhost-elsewhere:1', 60_000); // dead: taken below
    raw.prepare("UPDATE runs SET status = 'queued', worker_owner = NULL WHERE id = ?").run(dead);
    const host = (store.owner.split(':')[0] ?? '') as string;
    raw
      .prepare("UPDATE runs SET status = 'running', worker_owner = ?, lease_expires_at = ? WHERE id = ?")
      .run(`${host}:999999999`, Date.now() + 60_000, dead);
    raw
      .prepare("UPDATE runs SET status = 'running', worker_owner = ?, lease_expires_at = ? WHERE id = ?")
      .run(`${host}:${process.pid}`, Date.now() + 60_000, live);
    raw
      .prepare("UPDATE runs SET status = 'running', worker_owner = 'other-host:5', lease_expires_at = ? WHERE id = ?")
      .run(Date.now() - 1, expired);
    store.close();
    store = RunStore.open(join(tmp.dir, 'k.db'));
    expect(store.getRun(dead)!.status).toBe('interrupted');
    expect(store.getRun(dead)!.error).toContain('resume it from its last checkpoint');
    expect(store.getRun(expired)!.status).toBe('interrupted');
    expect(store.getRun(live)!.status).toBe('running');
  });

  it('claims queued runs by priority then age, once each', () => {
    const low = store.createRun({ ...base, priority: 0 }).id;
    const high = store.createRun({ ...base, priority: 5 }).id;
    const low2 = store.createRun({ ...base, priority: 0 }).id;
    expect(store.claimNextRunnable('a')!.id).toBe(high);
    expect(store.claimNextRunnable('b')!.id).toBe(low);
    const third = store.claimNextRunnable('a')!;
    expect(third).toMatchObject({ id: low2, status: 'running', workerOwner: 'a' });
    expect(third.leaseExpiresAt).toBeGreaterThan(Date.now());
    expect(store.claimNextRunnable('b')).toBeUndefined();
    expect(store.renewLease({ runId: low2, owner: 'a', attempt: third.attempt })).toBe(true);
    expect(store.renewLease({ runId: low2, owner: 'b', attempt: third.attempt })).toBe(false);
  });
});

function runChild(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(`./__fixtures__/${script}`, import.meta.url)), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}: ${err}`))));
  });
}

describe('two processes sharing one database', () => {
  it('never claim the same queued run twice', async () => {
    const ids = Array.from({ length: 300 }, () => store.createRun(base).id);
    const outputs = await Promise.all(['one', 'two', 'three'].map((owner) => runChild('claimer.ts', [join(tmp.dir, 'k.db'), owner])));
    const claims = outputs.map((o) => JSON.parse(o) as number[]);
    const all = claims.flat();
    expect(all).toHaveLength(ids.length);
    expect(new Set(all).size).toBe(ids.length);
    expect([...all].sort((a, b) => a - b)).toEqual(ids);
    const owners = raw.prepare("SELECT worker_owner, count(*) AS n FROM runs WHERE status = 'running' GROUP BY worker_owner").all() as {
      worker_owner: string;
      n: number;
    }[];
    expect(owners.reduce((n, o) => n + o.n, 0)).toBe(ids.length);
    for (const [i, owner] of ['one', 'two', 'three'].entries()) {
      expect(owners.find((o) => o.worker_owner === owner)?.n ?? 0).toBe(claims[i]!.length);
    }
  });
});

describe('logBatch', () => {
  it('stores NaN and ±Infinity faithfully and keeps last/best/min/max in latest_metrics', () => {
    const id = runIn('running');
    store.logBatch([
      { runId: id, key: 'loss', step: 0, epoch: 0, value: 2.5, wallMs: 1000 },
      { runId: id, key: 'loss', step: 1, epoch: 0, value: 0.7, wallMs: 1001 },
      { runId: id, key: 'val_accuracy', step: 0, epoch: 0, value: 0.4, wallMs: 1000 },
      { runId: id, key: 'val_accuracy', step: 1, epoch: 0, value: 0.9, wallMs: 1001 },
    ]);
    store.logBatch([
      { runId: id, key: 'loss', step: 2, epoch: 1, value: Infinity, wallMs: 1002 },
      { runId: id, key: 'loss', step: 3, epoch: 1, value: NaN, wallMs: 1003 },
      { runId: id, key: 'val_accuracy', step: 2, epoch: 1, value: 0.8, wallMs: 1002 },
      { runId: id, key: 'grad', step: 0, epoch: 0, value: -Infinity, wallMs: 1002 },
    ]);
    store.logMetric({ runId: id, key: 'val_accuracy', step: 3, epoch: 1, value: 0.85, wallMs: 1003 });
    expect(store.metricSeries(id, { keys: ['loss'] }).series.loss!.map((p) => p.value)).toEqual([2.5, 0.7, 'Infinity', 'NaN']);
    const summary = Object.fromEntries(store.summary(id).map((s) => [s.key, s]));
    expect(summary.loss).toMatchObject({
      last: 'NaN',
      lastStep: 3,
      best: 0.7,
      bestStep: 1,
      min: 0.7,
      max: 'Infinity',
      count: 4,
      kind: 'result',
      better: 'min',
    });
    expect(summary.val_accuracy).toMatchObject({ last: 0.85, best: 0.9, bestStep: 1, min: 0.4, max: 0.9, count: 4, better: 'max' });
    // grad is not a metric the registry ranks: no best, but its ±Infinity is kept like any value.
    expect(summary.grad).toMatchObject({ last: '-Infinity', best: null, min: '-Infinity', kind: 'resource' });
    expect(events.filter((e) => e.name === 'metrics.appended')).toHaveLength(3);
    expect(events.at(-1)).toEqual({
      name: 'metrics.appended',
      payload: { runId: id, points: [{ key: 'val_accuracy', step: 3, epoch: 1, wallMs: 1003, value: 0.85 }] },
    });
  });

  it('rejects a batch with a bad item before writing any of it, naming the item and field', () => {
    const id = runIn('running');
    const good = { runId: id, key: 'loss', step: 0, epoch: 0, value: 1 };
    const cases: [unknown, RegExp][] = [
      [{ ...good, step: Infinity }, /1\.step/],
      [{ ...good, step: 1.5 }, /1\.step/],
      [{ ...good, value: '0.5' }, /1\.value/],
      [{ ...good, key: 'has space' }, /1\.key/],
      [{ ...good, epoch: -1 }, /1\.epoch/],
      [{ ...good, extra: true }, /1/],
      [{ ...good, runId: 9999 }, /1\.runId: run 9999 does not exist/],
    ];
    for (const [bad, message] of cases) {
      const error = thrown(() => store.logBatch([good, bad as typeof good]));
      expect(error.message).toMatch(message);
      expect(raw.prepare('SELECT count(*) FROM metrics').pluck().get()).toBe(0);
      expect(raw.prepare('SELECT count(*) FROM latest_metrics').pluck().get()).toBe(0);
    }
  });

  it('extends the lease of the runs it writes to', () => {
    const id = runIn('running');
    raw.prepare('UPDATE runs SET lease_expires_at = 1 WHERE id = ?').run(id);
    store.logMetric({ runId: id, key: 'loss', step: 0, epoch: 0, value: 1 });
    expect(store.getRun(id)!.leaseExpiresAt).toBeGreaterThan(Date.now());
  });
});

describe('runs, params and attachments', () => {
  it('records the backend and device a worker got, and tells open views at once', () => {
    const run = store.createRun({ ...base, backend: 'auto' });
    events.length = 0;
    store.setDevice(run.id, 'wasm', 'AMD EPYC, SIMD on, one thread');
    expect(store.getRun(run.id)).toMatchObject({ backend: 'wasm', device: 'AMD EPYC, SIMD on, one thread' });
    expect(events).toEqual([{ name: 'run.updated', payload: { runId: run.id, status: 'queued', summary: [] } }]);
  });

  it('flattens nested hyperparameters into dotted params', () => {
    expect(flattenParams({ a: { b: 1, c: [3, { d: 'x' }] }, e: true, f: null, g: [] })).toEqual([
      { key: 'a.b', value: 1, kind: 'number' },
      { key: 'a.c.0', value: 3, kind: 'number' },
      { key: 'a.c.1.d', value: 'x', kind: 'string' },
      { key: 'e', value: 1, kind: 'boolean' },
      { key: 'f', value: 'null', kind: 'json' },
      { key: 'g', value: '[]', kind: 'json' },
    ]);
    const run = store.createRun(base);
    const derived = {
      dataset: 'mnist',
      trainImages: 60000,
      testImages: 10000,
      preprocessing: 'pixels/255',
      backend: 'cpu',
      kernelSize: 3,
      filters: 8,
      strides: 1,
      padding: 'valid',
      activation: 'relu',
      'layers.0.type': 'conv2d',
      'layers.0.filters': 8,
      'layers.0.kernelSize': 3,
    };
    expect(store.runDetail(run.id).params).toEqual({
      epochs: 3,
      'optimizer.name': 'adam',
      'optimizer.learningRate': 0.001,
      augment: false,
      ...derived,
    });
    store.setParams(run.id, { epochs: 5 });
    expect(store.runDetail(run.id).params).toEqual({ epochs: 5, ...derived });
    expect(store.getRun(run.id)!.hyperparameters).toEqual({ epochs: 5 });
  });

  it('refuses a run that names a missing experiment, or has an invalid field', () => {
    expect(thrown(() => store.createRun({ ...base, experimentId: 77 })).message).toContain('experimentId: experiments 77 does not exist');
    expect(thrown(() => store.createRun({ ...base, seed: 1.5 })).message).toContain('seed');
    expect(raw.prepare('SELECT count(*) FROM runs').pluck().get()).toBe(0);
  });

  it('records checkpoints, evaluations, tags and notes, and deletes a run with all of them', () => {
    const parent = runIn('completed');
    const id = store.createRun({ ...base, parentRunId: parent }).id;
    store.addCheckpoint(id, {
      epoch: 2,
      kind: 'best',
      path: 'runs/x/best',
      bytes: 1234,
      sha256: 'a'.repeat(64),
      metric: 'val_accuracy',
      value: 0.97,
    });
    store.addEvaluation(id, {
      split: 'test',
      loss: 0.1,
      accuracy: 0.97,
      confusion: [
        [5, 1],
        [0, 4],
      ],
      perClass: [{ label: '0', precision: 1, recall: 0.83, f1: 0.91, support: 6 }],
      mostWrong: [{ index: 17, label: 0, predicted: 1, confidence: 0.99 }],
    });
    expect(store.setTags(id, ['best', ' baseline ', 'best'])).toEqual(['baseline', 'best']);
    store.setNote(id, 'kernel 5 overfits');
    store.logMetric({ runId: id, key: 'loss', step: 0, epoch: 0, value: 1 });
    const detail = store.runDetail(id);
    expect(detail).toMatchObject({ parentRunId: parent, tags: ['baseline', 'best'], note: 'kernel 5 overfits' });
    expect(detail.checkpoints[0]).toMatchObject({ epoch: 2, kind: 'best', value: 0.97 });
    expect(detail.evaluations[0]).toMatchObject({ split: 'test', accuracy: 0.97, mostWrong: [{ index: 17 }] });
    expect(thrown(() => store.addCheckpoint(id, { epoch: 1, kind: 'last', path: 'p', bytes: 1, sha256: 'nothex' })).message).toContain(
      'sha256',
    );

    expect(store.deleteRun(id)).toBe(true);
    expect(store.deleteRun(id)).toBe(false);
    for (const table of ['params', 'metrics', 'latest_metrics', 'checkpoints', 'evaluations', 'tags', 'notes']) {
      expect(raw.prepare(`SELECT count(*) FROM ${table} WHERE run_id = ?`).pluck().get(id)).toBe(0);
    }
    expect(thrown(() => store.runDetail(id)).code).toBe('not_found');
  });

  it('records a derived run (epoch folding) as completed with its source', () => {
    const source = runIn('completed');
    const derived = store.createRun({ ...base, status: 'completed', derivedFromRunId: source, derivedEpochs: 2 });
    expect(derived).toMatchObject({ status: 'completed', derivedFromRunId: source, derivedEpochs: 2 });
    expect(derived.endedAt).not.toBeNull();
  });
});
