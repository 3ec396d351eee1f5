/**
 * The one INSERT of a run and its params. RunStore.createRun and the runs import both go through
 * `runInserter`, so a column added to `runs` is written in one place; both derive the params
 * with runParams.ts, and both store them as a shared param set plus the run's own rows.
 */
import { createHash } from 'node:crypto';
import type { SqliteDatabase } from './database.ts';
import type { FlatParam, RunDbRow } from './records.ts';

/**
 * Every column of a new run row, as SQLite stores it (JSON columns already serialised): the row
 * as read back (records.ts), less what SQLite assigns (id, attempt), plus the write-only columns.
 * A new run has no coded error or device; an imported one may bring its error's code (migration
 * 0014), coded problems (0017) and its device's code (0018), so those are optional and NULL when absent.
 */
export type RunInsertRow = Omit<RunDbRow, 'id' | 'attempt' | 'error_code' | 'error_issues' | 'device_code' | 'shared_spec'> & {
  error_code?: string | null;
  error_issues?: string | null;
  device_code?: string | null;
  updated_at: number;
  /** Which derivation wrote the params (runParams.ts paramsVersion). */
  params_version: number;
};

/** What a run trains, as createRun and the runs import both have it. */
export interface RunContent {
  modelSpec: unknown;
  dataset: string;
  backend: string;
  device: string;
  seed: number;
  hyperparameters: unknown;
  environment: unknown;
  priority: number;
}

/**
 * The columns a run's content fills, the same way wherever a run is inserted (JSON serialised).
 * `modelSpecId`: the run shares that stored spec (a sweep's run, sharedModelSpecs) instead of holding its own.
 */
export function contentColumns(run: RunContent, modelSpecId: number | null = null) {
  return {
    model_spec: modelSpecId === null ? JSON.stringify(run.modelSpec ?? null) : 'null',
    model_spec_id: modelSpecId,
    dataset: run.dataset,
    backend: run.backend,
    device: run.device,
    seed: run.seed,
    hyperparameters: JSON.stringify(run.hyperparameters),
    environment: JSON.stringify(run.environment),
    priority: run.priority,
  };
}

export type RunInserter = (row: RunInsertRow, params: readonly FlatParam[]) => number;

/** A run's params as stored: the rows of a shared set (its id, or null for none) and the run's own rows. */
interface SplitParams {
  setId: number | null;
  own: FlatParam[];
}

const byKey = (a: FlatParam, b: FlatParam) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/**
 * Stores a run's params as one shared param set plus the run's own rows (migration 0009): the runs
 * of a sweep, or of an import, share nearly every param, and writing all ~65 of them per run was
 * most of the cost of queueing a big sweep (issue 12).
 * - The first run's params are the base. A key whose value differs from the base's in some run, or
 *   that some run lacks or adds, varies from then on: it is every later run's own row. The rest
 *   are shared, so a sweep's runs converge on one set (one more each time another key varies).
 * - When under half of a run's params are shared, it becomes the new base.
 * - A set is found by the digest of its rows, so an equal set is stored once, whichever sweep or
 *   import wrote it first.
 * - The set remembered for a group of shared keys is checked against the database before it is
 *   used again: the transaction that stored it may have been rolled back since.
 */
function paramSplitter(db: SqliteDatabase): (params: readonly FlatParam[]) => SplitParams {
  const findSet = db.prepare('SELECT id FROM param_sets WHERE digest = ?').pluck();
  const digestOf = db.prepare('SELECT digest FROM param_sets WHERE id = ?').pluck();
  const insertSet = db.prepare('INSERT INTO param_sets (digest) VALUES (?)');
  const insertSetRow = db.prepare('INSERT INTO param_set_rows (set_id, key, value, kind) VALUES (?, ?, ?, ?)');
  let base = new Map<string, FlatParam>();
  let varying = new Set<string>();
  /** Shared keys, in the run's order → the set of those base rows (for the current base only). */
  let known = new Map<string, { id: number; digest: string }>();
  const storedSet = (rows: FlatParam[]): { id: number; digest: string } => {
    const sorted = rows.sort(byKey);
    const digest = createHash('sha256')
      .update(JSON.stringify(sorted.map((p) => [p.key, p.value, p.kind])))
      .digest('hex');
    const found = findSet.get(digest) as number | undefined;
    if (found !== undefined) return { id: found, digest };
    const id = Number(insertSet.run(digest).lastInsertRowid);
    for (const p of sorted) insertSetRow.run(id, p.key, p.value, p.kind);
    return { id, digest };
  };
  const split = (params: readonly FlatParam[]) => {
    const shared: FlatParam[] = [];
    const own: FlatParam[] = [];
    let inBase = 0;
    for (const p of params) {
      const b = base.get(p.key);
      if (b !== undefined) inBase++;
      if (!varying.has(p.key) && b !== undefined && b.value === p.value && b.kind === p.kind) shared.push(p);
      else {
        varying.add(p.key);
        own.push(p);
      }
    }
    // A key of the base this run lacks varies too (an optimizer without the base's constants).
    if (inBase < base.size) {
      const has = new Set(params.map((p) => p.key));
      for (const key of base.keys()) if (!has.has(key)) varying.add(key);
    }
    return { shared, own };
  };
  return (params) => {
    if (params.length === 0) return { setId: null, own: [] };
    let { shared, own } = split(params);
    if (shared.length * 2 < params.length) {
      base = new Map(params.map((p) => [p.key, p]));
      varying = new Set();
      known = new Map();
      ({ shared, own } = split(params));
    }
    const signature = shared.map((p) => p.key).join('\n');
    let set = known.get(signature);
    if (set === undefined || digestOf.get(set.id) !== set.digest) {
      set = storedSet(shared);
      known.set(signature, set);
    }
    return { setId: set.id, own };
  };
}

/**
 * The ids of stored model specs, for runs that share one (a sweep's: migration 0015), stored when
 * new. Prepared once per store; each call of the result starts a memo keyed by the spec object (a
 * sweep's points share the object of each distinct model), so each spec is serialised once per
 * memo. A memo's ids hold only inside the one transaction they were found in (a rollback drops
 * a new spec): start one per transaction.
 */
export type SharedModelSpecs = () => (modelSpec: object) => number;

export function sharedModelSpecs(db: SqliteDatabase): SharedModelSpecs {
  const insert = db.prepare('INSERT INTO model_specs (spec) VALUES (?) ON CONFLICT (spec) DO NOTHING');
  const find = db.prepare('SELECT id FROM model_specs WHERE spec = ?').pluck();
  return () => {
    const ids = new Map<object, number>();
    return (modelSpec) => {
      let id = ids.get(modelSpec);
      if (id === undefined) {
        const json = JSON.stringify(modelSpec);
        insert.run(json);
        id = find.get(json) as number;
        ids.set(modelSpec, id);
      }
      return id;
    };
  };
}

/**
 * The columns of a new run, in the INSERT's order; bound by position (binding 30 names from an
 * object per run costs more, issue 12). A column added to RunInsertRow and not here fails to compile.
 */
const insertColumns = [
  'uuid',
  'name',
  'experiment_id',
  'sweep_id',
  'parent_run_id',
  'derived_from_run_id',
  'derived_epochs',
  'status',
  'model_spec',
  'model_spec_id',
  'dataset',
  'backend',
  'device',
  'seed',
  'hyperparameters',
  'environment',
  'priority',
  'worker_owner',
  'worker_pid',
  'lease_expires_at',
  'reserved_for',
  'error',
  'error_code',
  'error_issues',
  'device_code',
  'created_at',
  'started_at',
  'ended_at',
  'updated_at',
  'params_version',
  'pruned_epoch',
  'pruned_rung',
] as const satisfies readonly (keyof RunInsertRow)[];
const _everyColumnInserted: Exclude<keyof RunInsertRow, (typeof insertColumns)[number]> extends never ? true : never = true;

/** Prepares the statements once; call the result inside a transaction. Returns the new run's id. */
export function runInserter(db: SqliteDatabase): RunInserter {
  const insertRun = db.prepare(
    `INSERT INTO runs (${insertColumns.join(', ')}, param_set_id) VALUES (${insertColumns.map(() => '?').join(', ')}, ?)`,
  );
  const insertParam = db.prepare('INSERT INTO run_params (run_id, key, value, kind) VALUES (?, ?, ?, ?)');
  const splitParams = paramSplitter(db);
  return (row, params) => {
    const { setId, own } = splitParams(params);
    const values: unknown[] = insertColumns.map((column) => row[column] ?? null);
    values.push(setId);
    const id = Number(insertRun.run(values).lastInsertRowid);
    for (const p of own) insertParam.run(id, p.key, p.value, p.kind);
    return id;
  };
}
