-- Indexes for the runs list, filters, the scheduler queue and the sweep pivot.
CREATE INDEX runs_by_experiment ON runs (experiment_id);
CREATE INDEX runs_by_sweep ON runs (sweep_id);
CREATE INDEX runs_by_parent ON runs (parent_run_id);
CREATE INDEX runs_by_derived_from ON runs (derived_from_run_id);
-- claimNextQueuedRun walks this: highest priority first, then oldest.
CREATE INDEX runs_queue ON runs (status, priority DESC, id);
CREATE INDEX params_by_key_value ON params (key, value);
CREATE INDEX latest_metrics_by_key ON latest_metrics (key, best);
CREATE INDEX checkpoints_by_run ON checkpoints (run_id, epoch);
CREATE INDEX tags_by_tag ON tags (tag);
