-- Which derivation (db/runParams.ts, paramsVersion) wrote a run's params. On open, RunStore
-- derives again the params of runs an older KernelLab recorded: 0 is from before every input
-- that changes a result (model spec, data settings, backend) was a param, when only the
-- hyperparameters and a sweep's axis values were.
ALTER TABLE runs ADD COLUMN params_version INTEGER NOT NULL DEFAULT 0;
