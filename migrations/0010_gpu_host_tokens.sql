-- kernellab: foreign keys off
-- A browser lends its GPU (issue 16: "Train on this browser's GPU"): the page is an agent whose
-- token covers no one sweep but every run pinned to webgpu or webgl, in any sweep or none. A NULL
-- sweep_id on a token and on its agents means that scope; a cluster agent's token keeps its sweep.
--
-- SQLite cannot drop a NOT NULL in place, so both tables are rebuilt (new table, copy, drop,
-- rename, indexes) with foreign keys off (the first line asks the runner for it): dropping the old
-- tables cascades nothing into agents, agent_executions or cluster_jobs, and the runner checks
-- every foreign key before it commits.
CREATE TABLE agent_tokens_rebuilt (
  id INTEGER PRIMARY KEY,
  -- NULL: a browser GPU host's token (runs pinned to webgpu or webgl, any sweep or none).
  sweep_id INTEGER REFERENCES sweeps (id) ON DELETE CASCADE,
  label TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE CHECK (length(secret_sha256) = 64),
  created_at INTEGER NOT NULL,
  revoked_at INTEGER,
  last_used_at INTEGER
);
INSERT INTO agent_tokens_rebuilt (id, sweep_id, label, secret_sha256, created_at, revoked_at, last_used_at)
SELECT id, sweep_id, label, secret_sha256, created_at, revoked_at, last_used_at FROM agent_tokens;
DROP TABLE agent_tokens;
ALTER TABLE agent_tokens_rebuilt RENAME TO agent_tokens;
CREATE INDEX agent_tokens_sweep ON agent_tokens (sweep_id);

CREATE TABLE agents_rebuilt (
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
INSERT INTO agents_rebuilt (
  id, token_id, sweep_id, host, job, version, backends, max_runs, runs_claimed, first_seen_at, last_seen_at, ended_at, end_reason
)
SELECT id, token_id, sweep_id, host, job, version, backends, max_runs, runs_claimed, first_seen_at, last_seen_at, ended_at, end_reason
FROM agents;
DROP TABLE agents;
ALTER TABLE agents_rebuilt RENAME TO agents;
CREATE INDEX agents_sweep ON agents (sweep_id, last_seen_at);
