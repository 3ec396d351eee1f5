-- The runs of a sweep share their model spec (one per distinct model of its axes): it is stored
-- once here, not in every run row (about 2.3 KB per run, most of a 100,000-run sweep's database and
-- of the cost of queueing it: issue 12). Such a run has model_spec_id set and 'null' in model_spec;
-- every reader takes the spec through model_spec_id when it is set (records.ts runRowColumns).
-- A run started by itself keeps its own spec in model_spec.
CREATE TABLE model_specs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  spec TEXT NOT NULL UNIQUE CHECK (json_valid(spec))
);

ALTER TABLE runs ADD COLUMN model_spec_id INTEGER REFERENCES model_specs (id);
CREATE INDEX runs_by_model_spec ON runs (model_spec_id) WHERE model_spec_id IS NOT NULL;

-- The sweep runs a database already holds share theirs from now on.
INSERT OR IGNORE INTO model_specs (spec) SELECT DISTINCT model_spec FROM runs WHERE sweep_id IS NOT NULL;
UPDATE runs SET model_spec_id = (SELECT m.id FROM model_specs m WHERE m.spec = runs.model_spec), model_spec = 'null'
WHERE sweep_id IS NOT NULL;

-- A spec no run uses goes with its last run, in the same transaction (like param sets, 0011).
CREATE TRIGGER model_specs_unused AFTER DELETE ON runs
WHEN OLD.model_spec_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs WHERE model_spec_id = OLD.model_spec_id)
BEGIN
  DELETE FROM model_specs WHERE id = OLD.model_spec_id;
END;
