/**
 * The queries a sweep's search needs (issue 18): a metric of every run of a sweep at one epoch
 * (the pruner's peers), its last value per run (TPE's objective, importance), and appending the
 * runs of a newly proposed point only if no other process proposed that point first. Only
 * RunStore calls these, with its private handle.
 */
import type { RunStatus } from '../contract/runs.ts';
import type { SqliteDatabase } from './database.ts';

/** The metric `key` at `epoch` of every trained (not derived) run of a sweep that reached it. */
export function metricAtEpoch(
  db: SqliteDatabase,
  sweepId: number,
  key: string,
  epoch: number,
): { runId: number; status: RunStatus; value: number | null }[] {
  return db
    .prepare(
      `SELECT r.id AS runId, r.status AS status, m.value AS value
       FROM runs r JOIN metrics m ON m.run_id = r.id AND m.key = @key AND m.epoch = @epoch AND m.step = @epoch
       WHERE r.sweep_id = @sweep AND r.derived_from_run_id IS NULL`,
    )
    .all({ sweep: sweepId, key, epoch }) as { runId: number; status: RunStatus; value: number | null }[];
}

/** Every value of metric `key` of the sweep's runs, by run and epoch (one step per epoch). */
export function metricSeriesOfSweep(
  db: SqliteDatabase,
  sweepId: number,
  key: string,
): { runId: number; epoch: number; value: number | null }[] {
  return db
    .prepare(
      `SELECT m.run_id AS runId, m.epoch AS epoch, m.value AS value
       FROM metrics m JOIN runs r ON r.id = m.run_id
       WHERE r.sweep_id = ? AND m.key = ? ORDER BY m.run_id, m.step`,
    )
    .all(sweepId, key) as { runId: number; epoch: number; value: number | null }[];
}

/** The highest point index among the sweep's runs (-1 when it has none). */
export function lastPointOfSweep(db: SqliteDatabase, sweepId: number): number {
  return (
    (db
      .prepare("SELECT max(CAST(json_extract(environment, '$.sweep.point') AS INTEGER)) FROM runs WHERE sweep_id = ?")
      .pluck()
      .get(sweepId) as number | null) ?? -1
  );
}

/** Replaces the `plan` inside a sweep's stored spec. */
export function setSweepPlan(db: SqliteDatabase, sweepId: number, plan: unknown): number {
  return db.prepare("UPDATE sweeps SET spec = json_set(spec, '$.plan', json(?)) WHERE id = ?").run(JSON.stringify(plan), sweepId).changes;
}

/** One run's metric `key` at each epoch end (step = epoch), in epoch order. */
export function runMetricByEpoch(db: SqliteDatabase, runId: number, key: string): { epoch: number; value: number | null }[] {
  return db.prepare('SELECT epoch, value FROM metrics WHERE run_id = ? AND key = ? AND step = epoch ORDER BY epoch').all(runId, key) as {
    epoch: number;
    value: number | null;
  }[];
}
