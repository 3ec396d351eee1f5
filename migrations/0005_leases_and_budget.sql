-- Leases that fence, runs reserved for one process, and settings shared by every process on the
-- data folder (issue 12).

-- The fencing token of a run's lease: it grows by one at every claim. A holder writes only while
-- the run is running under its owner AND its attempt, so a holder that stalled, lost its lease and
-- saw the run claimed again writes nothing more, and a run gets one final status.
ALTER TABLE runs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;

-- Only this owner's scheduler may claim the run (`kernellab train` trains the run it queued).
ALTER TABLE runs ADD COLUMN reserved_for TEXT;

-- Settings shared by the desktop app, `kernellab serve` and the CLI on one data folder, such as
-- how many runs may train at once on this machine. value is JSON.
CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;
