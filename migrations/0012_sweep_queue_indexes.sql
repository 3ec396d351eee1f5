-- The scheduler asks on every tick (once a second) for the next run it may claim, whether a process
-- that ended still holds reservations, and each running sweep's counts by status. Each of those read
-- every queued run: at 100,000 queued runs (a sweep for agents, a paused sweep, one being queued)
-- a tick took about a second and the server stopped answering meanwhile (issue 12).
-- - A sweep's runs by status, derived or not, then in claim order: a sweep's next run is the first
--   entry of its range, and its counts by status read this index alone. It replaces runs_by_sweep,
--   whose one column it starts with.
-- - Reserved runs are few (a `kernellab train` reserves its own run): a partial index finds them.
DROP INDEX runs_by_sweep;
CREATE INDEX runs_by_sweep_queue ON runs (sweep_id, status, derived_from_run_id, priority DESC, id);
CREATE INDEX runs_reserved ON runs (reserved_for, status) WHERE reserved_for IS NOT NULL;
