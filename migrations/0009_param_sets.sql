-- Issue 12: every run wrote all of its ~65 params (every model field is one), so queueing a sweep of
-- 100,000 points wrote 6.5 million params rows. The runs of a sweep share nearly all of them: a
-- run's params are now the rows of one shared param set plus its own rows (an axis value, its
-- seed). A set is stored once, found again by the digest of its rows, and never changes; a run's
-- own rows never repeat a key of its set (db/runInsert.ts splits them).
--
-- `params` stays the one way to read a run's params, now a view over both: every reader answers as
-- before. Rows an older KernelLab wrote stay as they are, as own rows of runs without a set.
ALTER TABLE params RENAME TO run_params;
DROP INDEX params_by_key_value;
CREATE INDEX run_params_by_key_value ON run_params (key, value, kind);

CREATE TABLE param_sets (
  id INTEGER PRIMARY KEY,
  -- sha256 of the set's rows (key, value, kind in key order), hex.
  digest TEXT NOT NULL UNIQUE
);

CREATE TABLE param_set_rows (
  set_id INTEGER NOT NULL REFERENCES param_sets (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('number', 'string', 'boolean', 'json')),
  PRIMARY KEY (set_id, key)
) WITHOUT ROWID;

-- The pivot and the filters read one key across runs: the sets holding it, then their runs.
CREATE INDEX param_set_rows_by_key ON param_set_rows (key, set_id);

ALTER TABLE runs ADD COLUMN param_set_id INTEGER REFERENCES param_sets (id);
CREATE INDEX runs_by_param_set ON runs (param_set_id);

CREATE VIEW params (run_id, key, value, kind) AS
  SELECT run_id, key, value, kind FROM run_params
  UNION ALL
  SELECT r.id, s.key, s.value, s.kind FROM runs r JOIN param_set_rows s ON s.set_id = r.param_set_id;
