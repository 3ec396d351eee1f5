-- A param set (0009) is shared by the runs whose params it holds; once its last run is deleted
-- (runs.delete, a sweep's runs, a failed import taken back, an experiment's cascade) nothing reads
-- it, so it goes in the same transaction, and its rows with it (ON DELETE CASCADE). Sets already
-- left without runs go now.
DELETE FROM param_sets WHERE id NOT IN (SELECT param_set_id FROM runs WHERE param_set_id IS NOT NULL);

CREATE TRIGGER param_sets_unused AFTER DELETE ON runs
WHEN OLD.param_set_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM runs WHERE param_set_id = OLD.param_set_id)
BEGIN
  DELETE FROM param_sets WHERE id = OLD.param_set_id;
END;
