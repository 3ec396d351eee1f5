/**
 * A run's params stored as a shared param set plus its own rows (migration 0009, runInsert.ts):
 * every reader answers as when every run stored every param, and a database from before reads back
 * the same after the upgrade.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { plansOf as plansIn } from '../../test/queryPlans.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { queueSweep } from '../sweeps/queueing.ts';
import { tinySweep } from '../sweeps/sweepFixture.ts';
import { parseSweepSpec } from '../sweeps/sweepSpec.ts';
import { openDatabase, type SqliteDatabase } from './database.ts';
import { pivot } from './pivotQuery.ts';
import { listRuns } from './queries.ts';
import { RunStore } from './RunStore.ts';
import { runInserter } from './runInsert.ts';
import { generateSyntheticRuns } from './synthetic.ts';
import { paramsVersion, runParams } from './runParams.ts';

let temp: ReturnType<typeof makeTempDir>;

beforeEach(() => {
  temp = makeTempDir('kernellab-param-sets-');
});

afterEach(() => temp.cleanup());

/** A sweep whose axes change values (kernel size, learning rate) and which keys exist (the optimizer's constants). */
async function sweepInto(store: RunStore): Promise<{ sweepId: number; runIds: number[] }> {
  const spec = tinySweep({
    axes: { kernelSize: [3, 5], learningRate: [0.01, 0.001], optimizer: ['adam', 'sgd', 'rmsprop'] },
    repeats: 2,
  });
  const { sweepId, runIds } = await queueSweep(store, parseSweepSpec(spec));
  runIds.forEach((runId, i) => {
    store.transition(runId, 'running');
    store.logBatch([{ runId, key: 'val_accuracy', step: 0, epoch: 1, value: 0.5 + i / 100 }]);
    store.transition(runId, 'completed');
  });
  return { sweepId, runIds };
}

/** What every reader of params answers for these runs. */
function readers(store: RunStore, sweepId: number, runIds: number[]) {
  const json = JSON.parse(store.exportRuns({ runIds }, 'json').content) as Record<string, unknown>;
  delete json.exportedAt;
  return {
    details: runIds.map((id) => store.runDetail(id).params),
    listed: store.listRuns({
      sweepId,
      params: [{ key: 'kernelSize', op: 'eq', value: 5 }],
      paramColumns: ['learningRate', 'optimizer', 'beta2', 'layers.0.kernelSize'],
      sort: { by: 'param:learningRate', dir: 'asc' },
    }),
    sortedByMissing: store.listRuns({ sweepId, sort: { by: 'param:beta2', dir: 'desc' }, paramColumns: ['beta2'] }),
    columns: store.tableColumns({ sweepId }),
    compared: store.compareRuns({ ids: runIds.slice(0, 6), diffOnly: true }),
    comparedAll: store.compareRuns({ ids: runIds.slice(0, 3) }),
    pivot: store.pivot({ sweepId, rowParam: 'kernelSize', colParam: 'optimizer', metric: 'val_accuracy' }),
    csv: store.exportRuns({ runIds }, 'csv').content,
    json,
  };
}

describe('param sets', () => {
  it('stores a sweep’s shared params once, and each run reads back exactly the params runParams derives', async () => {
    const store = RunStore.open(join(temp.dir, 'k.db'));
    try {
      const { runIds } = await sweepInto(store);
      expect(runIds).toHaveLength(24);
      for (const id of runIds) {
        const derived = Object.fromEntries(
          runParams(store.getRun(id)!).map((p) => [p.key, p.kind === 'boolean' ? p.value === 1 : p.value]),
        );
        const read = store.runDetail(id).params;
        expect(Object.keys(read).sort()).toEqual(Object.keys(derived).sort());
        for (const [key, value] of Object.entries(derived)) {
          expect(read[key], key).toEqual(typeof value === 'string' && value.startsWith('[') ? JSON.parse(value) : value);
        }
      }
    } finally {
      store.close();
    }
    const db = new Database(join(temp.dir, 'k.db'), { readonly: true });
    try {
      const perRun = db.prepare('SELECT count(*) FROM params').pluck().get() as number;
      const own = db.prepare('SELECT count(*) FROM run_params').pluck().get() as number;
      const sets = db.prepare('SELECT count(*) FROM param_sets').pluck().get() as number;
      // 24 runs of ~45 params each: what varies (3 axes, the seed, the optimizer's constants) is
      // stored per run, the rest in a set, one more each time another key varied.
      expect(perRun).toBeGreaterThan(24 * 40);
      expect(own).toBeLessThanOrEqual(24 * 12);
      expect(sets).toBeLessThanOrEqual(6);
    } finally {
      db.close();
    }
  });

  it('reads a database from before param sets, upgraded, exactly as the same runs stored in sets', async () => {
    const newPath = join(temp.dir, 'new.db');
    const fresh = RunStore.open(newPath);
    let expected: ReturnType<typeof readers>;
    let sweepId: number;
    let runIds: number[];
    try {
      ({ sweepId, runIds } = await sweepInto(fresh));
      expected = readers(fresh, sweepId, runIds);
    } finally {
      fresh.close();
    }

    // The same runs as migration 0008 stored them: every param a row of the params table.
    const oldPath = join(temp.dir, 'old.db');
    const old = openDatabase(oldPath, { targetVersion: 8 });
    const columns = (table: string) =>
      (old.db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[]).join(', ');
    old.db.prepare('ATTACH DATABASE ? AS fresh').run(newPath);
    // A sweep run's spec was in its row then (its own model_spec; stored once since 0015).
    const selected = (table: string) =>
      table === 'runs'
        ? columns(table).replace(
            /\bmodel_spec\b/,
            'coalesce((SELECT m.spec FROM fresh.model_specs m WHERE m.id = r.model_spec_id), r.model_spec)',
          )
        : columns(table);
    for (const table of ['experiments', 'sweeps', 'runs', 'metrics', 'latest_metrics'])
      old.db.prepare(`INSERT INTO main.${table} (${columns(table)}) SELECT ${selected(table)} FROM fresh.${table} r`).run();
    old.db.prepare('INSERT INTO main.params (run_id, key, value, kind) SELECT run_id, key, value, kind FROM fresh.params').run();
    old.db.prepare('DETACH DATABASE fresh').run();
    expect(old.db.prepare('SELECT count(*) FROM params').pluck().get()).toBeGreaterThan(24 * 40);
    expect(old.db.prepare('SELECT min(params_version) FROM runs').pluck().get()).toBe(paramsVersion);
    old.db.close();

    const upgraded = RunStore.open(oldPath);
    try {
      expect(readers(upgraded, sweepId, runIds)).toEqual(expected);
      // A run queued after the upgrade joins the sets; the old runs keep their rows.
      const later = await queueSweep(upgraded, parseSweepSpec(tinySweep()));
      expect(upgraded.runDetail(later.runIds[0]!).params).toMatchObject({ kernelSize: 3, model: 'tiny', dataset: 'mnist' });
    } finally {
      upgraded.close();
    }
    const check = new Database(oldPath, { readonly: true });
    try {
      expect(check.prepare('SELECT count(*) FROM runs WHERE param_set_id IS NULL').pluck().get()).toBe(24);
    } finally {
      check.close();
    }
  });

  it('keeps a run’s params whole when the transaction that stored its set was rolled back', () => {
    const { db } = openDatabase(join(temp.dir, 'k.db'));
    try {
      const insert = runInserter(db);
      const row = (uuid: string) => ({
        uuid,
        name: 'r',
        experiment_id: null,
        sweep_id: null,
        parent_run_id: null,
        derived_from_run_id: null,
        derived_epochs: null,
        status: 'queued' as const,
        model_spec: '{}',
        model_spec_id: null,
        dataset: 'mnist',
        backend: 'wasm',
        device: '',
        seed: 1,
        hyperparameters: '{}',
        environment: '{}',
        priority: 0,
        worker_owner: null,
        worker_pid: null,
        lease_expires_at: null,
        reserved_for: null,
        error: null,
        created_at: 1,
        started_at: null,
        ended_at: null,
        updated_at: 1,
        params_version: paramsVersion,
        pruned_epoch: null,
        pruned_rung: null,
      });
      const params = [
        { key: 'epochs', value: 2, kind: 'number' as const },
        { key: 'model', value: 'tiny', kind: 'string' as const },
      ];
      expect(() =>
        db.transaction(() => {
          insert(row('00000000-0000-4000-8000-000000000001'), params);
          throw new Error('the disk is full');
        })(),
      ).toThrow('the disk is full');
      // Another writer (another store on the file) stores a set, which takes the id the rolled-back one had.
      const other = runInserter(db);
      db.transaction(() => other(row('00000000-0000-4000-8000-000000000002'), [{ key: 'dataset', value: 'mnist', kind: 'string' }]))();
      const id = db.transaction(() => insert(row('00000000-0000-4000-8000-000000000003'), params))();
      expect(db.prepare('SELECT key, value FROM params WHERE run_id = ? ORDER BY key').all(id)).toEqual([
        { key: 'epochs', value: 2 },
        { key: 'model', value: 'tiny' },
      ]);
    } finally {
      db.close();
    }
  });

  it('removes a param set with the last run that uses it, and only then', async () => {
    const path = join(temp.dir, 'k.db');
    const store = RunStore.open(path);
    const raw = new Database(path, { readonly: true });
    const count = (table: 'param_sets' | 'param_set_rows') => raw.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    const used = () => raw.prepare('SELECT count(DISTINCT param_set_id) FROM runs').pluck().get() as number;
    try {
      const a = await sweepInto(store);
      const b = await sweepInto(store);
      expect(count('param_sets')).toBe(used());
      const before = b.runIds.map((id) => store.runDetail(id).params);
      // The second sweep reuses the sets the first converged on (found by digest): they stay while it holds them.
      expect(store.deleteRun(a.runIds[0]!)).toBe(true);
      while (store.deleteSweepChunk(a.sweepId, 5) > 0);
      expect(used()).toBeGreaterThan(0);
      expect(count('param_sets')).toBe(used());
      expect(b.runIds.map((id) => store.runDetail(id).params)).toEqual(before);
      // The last runs gone, their sets and set rows go with them.
      for (const id of b.runIds.slice(0, -1)) store.deleteRun(id);
      expect(count('param_sets')).toBe(1);
      store.deleteRun(b.runIds.at(-1)!);
      expect(count('param_sets')).toBe(0);
      expect(count('param_set_rows')).toBe(0);
      // The store's inserter remembered those sets: a new sweep stores them again and reads back whole.
      const c = await sweepInto(store);
      expect(count('param_sets')).toBe(used());
      expect(c.runIds.map((id) => store.runDetail(id).params)).toEqual(before);
    } finally {
      raw.close();
      store.close();
    }
  });
  it('looks a filtered or sorted param up per run only where rows of it exist: own rows for an axis, set rows for the rest', async () => {
    const path = join(temp.dir, 'k.db');
    const store = RunStore.open(path);
    const { sweepId, runIds } = await sweepInto(store);
    store.close();
    const db = new Database(path);
    try {
      const has = (table: string, key: string) => db.prepare(`SELECT count(*) FROM ${table} WHERE key = ?`).pluck().get(key) as number;
      // This sweep stores rho (an rmsprop-only axis) as own rows only, epochs in sets only, kernelSize both ways.
      expect([has('run_params', 'rho') > 0, has('param_set_rows', 'rho')]).toEqual([true, 0]);
      expect([has('run_params', 'epochs'), has('param_set_rows', 'epochs') > 0]).toEqual([0, true]);
      expect([has('run_params', 'kernelSize') > 0, has('param_set_rows', 'kernelSize') > 0]).toEqual([true, true]);
      // The SQL of the page statement (the one with the window count) for a filter and sort on `key`.
      const page = (key: string) => {
        const sqls: string[] = [];
        const spy = new Proxy(db, {
          get: (target, name) =>
            name === 'prepare' ? (sql: string) => (sqls.push(sql), target.prepare(sql)) : (Reflect.get(target, name) as unknown),
        });
        const { total } = listRuns(spy, { sweepId, params: [{ key, op: 'ge', value: 0 }], sort: { by: `param:${key}`, dir: 'asc' } });
        const expected = db.prepare('SELECT count(*) FROM params WHERE key = ? AND value >= 0').pluck().get(key);
        return { sql: sqls.find((sql) => sql.includes('OVER ()'))!, total, expected };
      };
      const own = page('rho');
      expect(own.total).toBe(own.expected);
      expect(own.sql).toMatch(/run_params/);
      expect(own.sql).not.toMatch(/param_set_rows/);
      const set = page('epochs');
      expect([set.total, set.expected]).toEqual([runIds.length, runIds.length]);
      expect(set.sql).toMatch(/param_set_rows/);
      expect(set.sql).not.toMatch(/run_params/);
      const both = page('kernelSize');
      expect([both.total, both.expected]).toEqual([runIds.length, runIds.length]);
      expect(both.sql).toMatch(/run_params[\s\S]*param_set_rows/);
      const nowhere = page('beta9');
      expect(nowhere.total).toBe(0);
      expect(nowhere.sql).not.toMatch(/run_params|param_set_rows/);
    } finally {
      db.close();
    }
  });

  it('pivots all runs right when set rows are many (joined in JS) and runs also have their own rows', async () => {
    // 120 synthetic runs, each with its own set (every param varies), then a sweep whose axes are own rows.
    const path = join(temp.dir, 'many.db');
    generateSyntheticRuns(path, { runs: 120, runsPerSweep: 40, params: 4, epochs: 2, seed: 5 });
    const store = RunStore.open(path);
    const db = new Database(path, { readonly: true });
    try {
      await sweepInto(store);
      const sets = db.prepare("SELECT count(*) FROM param_set_rows WHERE key = 'kernelSize'").pluck().get() as number;
      const own = db.prepare("SELECT count(*) FROM run_params WHERE key = 'kernelSize'").pluck().get() as number;
      expect(sets).toBeGreaterThan(64);
      expect(own).toBeGreaterThan(0);
      const ids = db.prepare("SELECT id FROM runs WHERE status = 'completed' ORDER BY id").pluck().all() as number[];
      const result = store.pivot({ rowParam: 'kernelSize', colParam: 'learningRate', metric: 'val_accuracy' });
      // Each cell holds exactly the runs whose params (as the run view reads them) have its two values.
      const expected = new Map<string, number[]>();
      for (const id of ids) {
        const p = store.runDetail(id).params;
        if (p.kernelSize === undefined || p.learningRate === undefined) continue;
        const cell = `${p.kernelSize}|${p.learningRate}`;
        expected.set(cell, [...(expected.get(cell) ?? []), id]);
      }
      expect(new Map(result.cells.map((c) => [`${c.row}|${c.col}`, c.count]))).toEqual(
        new Map([...expected].map(([cell, runs]) => [cell, runs.length])),
      );
      for (const c of result.cells) expect(expected.get(`${c.row}|${c.col}`)).toContain(c.bestRunId);
      expect(result.rows).toEqual([...new Set([...expected.keys()].map((k) => Number(k.split('|')[0])))].sort((a, b) => a - b));
    } finally {
      db.close();
      store.close();
    }
  });

  it('pivots a param over all runs from the covering index, and one sweep by each run’s own set', async () => {
    const path = join(temp.dir, 'k.db');
    const store = RunStore.open(path);
    const { sweepId } = await sweepInto(store);
    await sweepInto(store);
    store.close();
    const db = new Database(path);
    try {
      // As a database the planner has no statistics of yet, then as one analysed (RunStore.close runs PRAGMA optimize).
      for (const analyse of ['DELETE FROM sqlite_stat1', 'ANALYZE']) {
        db.exec('ANALYZE');
        db.exec(analyse);
        const query = { rowParam: 'epochs', colParam: 'kernelSize', metric: 'val_accuracy' };
        const all = plansOf(db, (d) => pivot(d, query)).join('\n');
        const oneSweep = plansOf(db, (d) => pivot(d, { ...query, sweepId })).join('\n');
        // Migration 0013: the set rows of one key come from the index alone, in value order (issue 13:
        // through param_set_rows_by_key each of 10,000 rows took a table lookup, ~1.8x the pivot's time).
        expect(all, analyse).toMatch(/SEARCH s USING COVERING INDEX param_set_rows_by_key_value \(key=\?\)/);
        // The in-scope runs are read once with their set id (by state, or the whole table where the
        // statistics say every run is in scope, as here); set rows are never scanned.
        expect(all, analyse).not.toMatch(/SCAN (s|p|param_set_rows|run_params)\b/);
        // One sweep stays a lookup per run (CROSS JOIN): by key it would read every sweep's set rows.
        expect(oneSweep, analyse).toMatch(/SEARCH s USING PRIMARY KEY \(set_id=\? AND key=\?\)/);
        expect(oneSweep, analyse).not.toMatch(/param_set_rows_by_key_value/);
      }
      expect(pivot(db, { sweepId, rowParam: 'kernelSize', colParam: 'optimizer', metric: 'val_accuracy' }).cells).toHaveLength(6);
    } finally {
      db.close();
    }
  });
});

const plansOf = (db: SqliteDatabase, run: (db: SqliteDatabase) => unknown) =>
  plansIn(db, run, { status0: 'completed', sweep: 1, experiment: 1, key: 'epochs' }, 'epochs');
