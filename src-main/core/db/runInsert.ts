/**
 * The one INSERT of a run and its params. RunStore.createRun and the runs import both go through
 * `runInserter`, so a column added to `runs` is written in one place; both derive the params
 * with runParams.ts.
 */
import type { SqliteDatabase } from './database.ts';
import type { FlatParam, RunDbRow } from './records.ts';

/**
 * Every column of a new run row, as SQLite stores it (JSON columns already serialised): the row
 * as read back (records.ts), less what SQLite assigns (id, attempt), plus the write-only columns.
 */
export type RunInsertRow = Omit<RunDbRow, 'id' | 'attempt'> & {
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

/** The columns a run's content fills, the same way wherever a run is inserted (JSON serialised). */
export function contentColumns(run: RunContent) {
  return {
    model_spec: JSON.stringify(run.modelSpec ?? null),
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

/** Prepares the statements once; call the result inside a transaction. Returns the new run's id. */
export function runInserter(db: SqliteDatabase): RunInserter {
  const insertRun = db.prepare(
    `INSERT INTO runs (uuid, name, experiment_id, sweep_id, parent_run_id, derived_from_run_id, derived_epochs, status, model_spec, dataset,
       backend, device, seed, hyperparameters, environment, priority, worker_owner, worker_pid, lease_expires_at, reserved_for, error, created_at,
       started_at, ended_at, updated_at, params_version, pruned_epoch, pruned_rung)
     VALUES (@uuid, @name, @experiment_id, @sweep_id, @parent_run_id, @derived_from_run_id, @derived_epochs, @status, @model_spec, @dataset,
       @backend, @device, @seed, @hyperparameters, @environment, @priority, @worker_owner, @worker_pid, @lease_expires_at, @reserved_for, @error,
       @created_at, @started_at, @ended_at, @updated_at, @params_version, @pruned_epoch, @pruned_rung)`,
  );
  const insertParam = db.prepare('INSERT INTO params (run_id, key, value, kind) VALUES (?, ?, ?, ?)');
  return (row, params) => {
    const id = Number(insertRun.run(row).lastInsertRowid);
    for (const p of params) insertParam.run(id, p.key, p.value, p.kind);
    return id;
  };
}
