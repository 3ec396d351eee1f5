-- kernellab: foreign keys off
-- A run a sweep's pruner stopped early ends as 'pruned' (issue 18): its metrics stay, error holds
-- the pruner's reason, pruned_epoch the epoch whose metric decided it and pruned_rung the
-- successive-halving rung (NULL for median stopping).
--
-- SQLite cannot change a CHECK constraint in place, so the runs table is rebuilt (SQLite's
-- "12 steps": new table, copy, drop, rename, indexes). The runner turns foreign keys off around
-- this migration (the first line asks for it), so dropping the old table cascades nothing, and
-- runs PRAGMA foreign_key_check before it commits.
CREATE TABLE runs_rebuilt (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  experiment_id INTEGER REFERENCES experiments (id) ON DELETE SET NULL,
  sweep_id INTEGER REFERENCES sweeps (id) ON DELETE SET NULL,
  -- The run this one resumes from its checkpoint.
  parent_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  -- Epoch folding in sweeps: this run's results are the first derived_epochs epochs of another run.
  derived_from_run_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,
  derived_epochs INTEGER CHECK (derived_epochs IS NULL OR derived_epochs > 0),
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'canceled', 'interrupted', 'diverged', 'pruned')),
  model_spec TEXT NOT NULL CHECK (json_valid(model_spec)),
  dataset TEXT NOT NULL,
  backend TEXT NOT NULL,
  device TEXT NOT NULL DEFAULT '',
  seed INTEGER NOT NULL,
  hyperparameters TEXT NOT NULL CHECK (json_valid(hyperparameters)),
  environment TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(environment)),
  priority INTEGER NOT NULL DEFAULT 0,
  -- Who runs it: set atomically by the claim so two processes never run one run twice.
  worker_owner TEXT,
  worker_pid INTEGER,
  lease_expires_at INTEGER,
  error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  ended_at INTEGER,
  updated_at INTEGER NOT NULL,
  params_version INTEGER NOT NULL DEFAULT 0,
  attempt INTEGER NOT NULL DEFAULT 0,
  reserved_for TEXT,
  pruned_epoch INTEGER CHECK (pruned_epoch IS NULL OR pruned_epoch > 0),
  pruned_rung INTEGER CHECK (pruned_rung IS NULL OR pruned_rung >= 0),
  CHECK ((status = 'pruned') = (pruned_epoch IS NOT NULL))
);

INSERT INTO runs_rebuilt (
  id, uuid, name, experiment_id, sweep_id, parent_run_id, derived_from_run_id, derived_epochs, status, model_spec, dataset,
  backend, device, seed, hyperparameters, environment, priority, worker_owner, worker_pid, lease_expires_at, error,
  created_at, started_at, ended_at, updated_at, params_version, attempt, reserved_for
)
SELECT
  id, uuid, name, experiment_id, sweep_id, parent_run_id, derived_from_run_id, derived_epochs, status, model_spec, dataset,
  backend, device, seed, hyperparameters, environment, priority, worker_owner, worker_pid, lease_expires_at, error,
  created_at, started_at, ended_at, updated_at, params_version, attempt, reserved_for
FROM runs;

DROP TABLE runs;
ALTER TABLE runs_rebuilt RENAME TO runs;

CREATE INDEX runs_by_derived_from ON runs (derived_from_run_id);
CREATE INDEX runs_by_experiment ON runs (experiment_id);
CREATE INDEX runs_by_parent ON runs (parent_run_id);
CREATE INDEX runs_by_sweep ON runs (sweep_id);
CREATE INDEX runs_queue ON runs (status, priority DESC, id);
