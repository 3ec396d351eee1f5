-- index agent_executions_agent
CREATE INDEX agent_executions_agent ON agent_executions (agent_id);

-- index agent_tokens_sweep
CREATE INDEX agent_tokens_sweep ON agent_tokens (sweep_id);

-- index agents_sweep
CREATE INDEX agents_sweep ON agents (sweep_id, last_seen_at);

-- index checkpoints_by_run
CREATE INDEX checkpoints_by_run ON checkpoints (run_id, epoch);

-- index cluster_jobs_sweep
CREATE INDEX cluster_jobs_sweep ON cluster_jobs (sweep_id);

-- index latest_metrics_by_key
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, best);

-- index param_set_rows_by_key_value
CREATE INDEX param_set_rows_by_key_value ON param_set_rows (key, value, kind);

-- index run_params_by_key_value
CREATE INDEX run_params_by_key_value ON run_params (key, value, kind);

-- index runs_by_derived_from
CREATE INDEX runs_by_derived_from ON runs (derived_from_run_id);

-- index runs_by_experiment
CREATE INDEX runs_by_experiment ON runs (experiment_id);

-- index runs_by_model_spec
CREATE INDEX runs_by_model_spec ON runs (model_spec_id) WHERE model_spec_id IS NOT NULL;

-- index runs_by_param_set
CREATE INDEX runs_by_param_set ON runs (param_set_id);

-- index runs_by_parent
CREATE INDEX runs_by_parent ON runs (parent_run_id);

-- index runs_by_sweep_queue
CREATE INDEX runs_by_sweep_queue ON runs (sweep_id, status, derived_from_run_id, priority DESC, id);

-- index runs_queue
CREATE INDEX runs_queue ON runs (status, priority DESC, id);

-- index runs_reserved
CREATE INDEX runs_reserved ON runs (reserved_for, status) WHERE reserved_for IS NOT NULL;

-- index tags_by_tag
CREATE INDEX tags_by_tag ON tags (tag);

-- table agent_executions
CREATE TABLE agent_executions (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  recorded_seq INTEGER NOT NULL DEFAULT 0,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  outcome TEXT,
  PRIMARY KEY (run_id, attempt)
) WITHOUT ROWID;

-- table agent_tokens
CREATE TABLE "agent_tokens" (
  id INTEGER PRIMARY KEY,
  -- NULL: a browser GPU host's token (runs pinned to webgpu or webgl, any sweep or none).
  sweep_id INTEGER REFERENCES sweeps (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE CHECK (length(secret_sha256) = 64),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);

-- table agents
CREATE TABLE "agents" (
  id TEXT PRIMARY KEY,
  token_id INTEGER NOT NULL REFERENCES agent_tokens (id) ON DELETE CASCADE,
  -- NULL: a browser GPU host (its token's scope).
  sweep_id INTEGER REFERENCES sweeps (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  job TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  backends TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(backends)),
  max_runs INTEGER,
  runs_claimed INTEGER NOT NULL DEFAULT 0,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ended_at INTEGER,
  end_reason TEXT
) WITHOUT ROWID;

-- table checkpoints
CREATE TABLE checkpoints (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  epoch INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('best', 'last', 'epoch')),
  path TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  metric TEXT,
  value REAL,
  created_at INTEGER NOT NULL
);

-- table cluster_jobs
CREATE TABLE cluster_jobs (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  kind TEXT NOT NULL CHECK (kind IN ('slurm', 'kubernetes')),
  settings TEXT NOT NULL CHECK (json_valid(settings)),
  job_id TEXT NOT NULL,
  tasks INTEGER NOT NULL CHECK (tasks > 0),
  file_path TEXT NOT NULL,
  token_id INTEGER REFERENCES agent_tokens (id) ON DELETE SET NULL,
  submitted_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  state_detail TEXT NOT NULL DEFAULT '',
  state_at INTEGER NOT NULL,
  -- Set once the job is over (finished, failed or canceled): no more polling.
  ended_at INTEGER
, state_detail_code TEXT CHECK (state_detail_code IS NULL OR json_valid(state_detail_code)));

-- table cluster_profiles
CREATE TABLE cluster_profiles (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('slurm', 'kubernetes')),
  settings TEXT NOT NULL CHECK (json_valid(settings)),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- table evaluations
CREATE TABLE evaluations (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  split TEXT NOT NULL,
  loss REAL,
  accuracy REAL,
  confusion TEXT NOT NULL CHECK (json_valid(confusion)),
  per_class TEXT NOT NULL CHECK (json_valid(per_class)),
  most_wrong TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(most_wrong)),
  created_at INTEGER NOT NULL,
  UNIQUE (run_id, split)
);

-- table experiments
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);

-- table latest_metrics
CREATE TABLE latest_metrics (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  last REAL,
  last_step INTEGER NOT NULL,
  best REAL,
  best_step INTEGER,
  min REAL,
  max REAL,
  count INTEGER NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- table metrics
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  step INTEGER NOT NULL,
  epoch INTEGER NOT NULL,
  wall_ms INTEGER NOT NULL,
  value REAL,
  PRIMARY KEY (run_id, key, step)
) WITHOUT ROWID;

-- table model_specs
CREATE TABLE model_specs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  spec TEXT NOT NULL UNIQUE CHECK (json_valid(spec))
);

-- table notes
CREATE TABLE notes (
  run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
  body TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- table param_set_rows
CREATE TABLE param_set_rows (
  set_id INTEGER NOT NULL REFERENCES param_sets (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('number', 'string', 'boolean', 'json')),
  PRIMARY KEY (set_id, key)
) WITHOUT ROWID;

-- table param_sets
CREATE TABLE param_sets (
  id INTEGER PRIMARY KEY,
  -- sha256 of the set's rows (key, value, kind in key order), hex.
  digest TEXT NOT NULL UNIQUE
);

-- table run_params
CREATE TABLE "run_params" (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('number', 'string', 'boolean', 'json')),
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- table runs
CREATE TABLE "runs" (
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
  pruned_rung INTEGER CHECK (pruned_rung IS NULL OR pruned_rung >= 0), param_set_id INTEGER REFERENCES param_sets (id), error_code TEXT CHECK (error_code IS NULL OR json_valid(error_code)), model_spec_id INTEGER REFERENCES model_specs (id), error_issues TEXT CHECK (error_issues IS NULL OR json_valid(error_issues)), device_code TEXT CHECK (device_code IS NULL OR json_valid(device_code)),
  CHECK ((status = 'pruned') = (pruned_epoch IS NOT NULL))
);

-- table schema_migrations
CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL);

-- table settings
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- table sweeps
CREATE TABLE "sweeps" (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  experiment_id INTEGER REFERENCES experiments (id) ON DELETE SET NULL,
  name TEXT NOT NULL,
  spec TEXT NOT NULL CHECK (json_valid(spec)),
  status TEXT NOT NULL CHECK (status IN ('pending', 'paused', 'running', 'completed', 'canceled', 'failed')),
  created_at INTEGER NOT NULL,
  runs_on TEXT NOT NULL DEFAULT 'here' CHECK (runs_on IN ('here', 'agents'))
);

-- table tags
CREATE TABLE tags (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY (run_id, tag)
) WITHOUT ROWID;

-- trigger model_specs_unused
CREATE TRIGGER model_specs_unused AFTER DELETE ON runs
WHEN OLD.model_spec_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs WHERE model_spec_id = OLD.model_spec_id)
BEGIN
  DELETE FROM model_specs WHERE id = OLD.model_spec_id;
END;

-- trigger param_sets_unused
CREATE TRIGGER param_sets_unused AFTER DELETE ON runs
WHEN OLD.param_set_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs WHERE param_set_id = OLD.param_set_id)
BEGIN
  DELETE FROM param_sets WHERE id = OLD.param_set_id;
END;

-- view params
CREATE VIEW params (run_id, key, value, kind) AS
  SELECT run_id, key, value, kind FROM run_params
  UNION ALL
  SELECT r.id, s.key, s.value, s.kind FROM runs r JOIN param_set_rows s ON s.set_id = r.param_set_id;
