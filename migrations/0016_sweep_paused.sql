-- kernellab: foreign keys off
-- A paused sweep is 'paused' (issue 12): 'pending' meant both "paused" and "being queued", so a
-- pause given while sweeps.start was still queueing was lost when queueing ended and set the
-- sweep 'running'. Now 'pending' is a sweep whose runs are still being queued (its plan names the
-- process queueing it), 'paused' one the user paused, whether or not it is still being queued.
--
-- SQLite cannot change a CHECK constraint in place, so the sweeps table is rebuilt (new table,
-- copy, drop, rename) with foreign keys off (the first line asks the runner for it): dropping the
-- old table cascades nothing into runs, agent tokens, agents or cluster jobs, and the runner
-- checks every foreign key before it commits.
CREATE TABLE sweeps_rebuilt (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  experiment_id INTEGER REFERENCES experiments (id) ON DELETE SET NULL,
  name TEXT NOT NULL,
  spec TEXT NOT NULL CHECK (json_valid(spec)),
  status TEXT NOT NULL CHECK (status IN ('pending', 'paused', 'running', 'completed', 'canceled', 'failed')),
  created_at INTEGER NOT NULL,
  runs_on TEXT NOT NULL DEFAULT 'here' CHECK (runs_on IN ('here', 'agents'))
);
INSERT INTO sweeps_rebuilt (id, uuid, experiment_id, name, spec, status, created_at, runs_on)
SELECT id, uuid, experiment_id, name, spec, status, created_at, runs_on FROM sweeps;
DROP TABLE sweeps;
ALTER TABLE sweeps_rebuilt RENAME TO sweeps;

-- A pending sweep that no process is queueing was paused.
UPDATE sweeps SET status = 'paused' WHERE status = 'pending' AND json_extract(spec, '$.plan.queueing') IS NULL;
