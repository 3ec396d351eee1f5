-- Sweeps on other machines (issue 15): agents that pull runs over HTTP with a sweep-scoped token,
-- launched as Slurm job arrays or Kubernetes Indexed Jobs.

-- Where a sweep's runs train: 'here' (this machine's scheduler claims them, agents holding the
-- sweep's token may help) or 'agents' (only agents claim them: the sweep was sent to a cluster).
ALTER TABLE sweeps ADD COLUMN runs_on TEXT NOT NULL DEFAULT 'here' CHECK (runs_on IN ('here', 'agents'));

-- A token lets an agent claim and report runs of one sweep, nothing else. Only the SHA-256 of its
-- secret is kept: the secret is shown once, when it is made.
CREATE TABLE agent_tokens (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE CHECK (length(secret_sha256) = 64),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);
CREATE INDEX agent_tokens_sweep ON agent_tokens (sweep_id);

-- Agents that said hello: where they run (host, Slurm job and array task, pod), what they can
-- train, and when they were last heard. An agent holds its runs under the lease owner 'agent:<id>'.
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  token_id INTEGER NOT NULL REFERENCES agent_tokens (id) ON DELETE CASCADE,
  sweep_id INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  job TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL DEFAULT '',
  backends TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(backends)),
  -- `--count`: how many runs it takes before it exits; NULL: until the queue is empty.
  max_runs INTEGER,
  runs_claimed INTEGER NOT NULL DEFAULT 0,
  first_seen_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  -- Set when it said goodbye (or exited on a signal).
  ended_at INTEGER,
  end_reason TEXT
) WITHOUT ROWID;
CREATE INDEX agents_sweep ON agents (sweep_id, last_seen_at);

-- One row per attempt of a run on an agent: who trained it, and how far its events are recorded.
-- Events arrive numbered from 1 per (run, attempt); a retried report skips what is recorded, so a
-- POST repeated after a lost answer never records a point twice.
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
CREATE INDEX agent_executions_agent ON agent_executions (agent_id);

-- Saved cluster settings ("Run on cluster"): a Slurm partition, GRES and time limit, or a
-- Kubernetes namespace and image. settings is JSON, checked by contract/clusters.ts.
CREATE TABLE cluster_profiles (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('slurm', 'kubernetes')),
  settings TEXT NOT NULL CHECK (json_valid(settings)),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- What was submitted for a sweep: a Slurm job array (job_id from sbatch) or a Kubernetes Job
-- (namespace/name), the script or manifest written, and the last state seen.
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
);
CREATE INDEX cluster_jobs_sweep ON cluster_jobs (sweep_id);
