/**
 * The queue queries behind RunStore's scheduler methods (sweep runs, priorities, folding lookups;
 * the claim itself is in runLifecycle.ts). SQL lives only in core/db (STYLE.md rule 5), and only RunStore calls these with its
 * private handle; every write here is a single statement or runs inside RunStore's transaction.
 */
import type { RunStatus } from '../contract/runs.ts';
import type { SqliteDatabase } from './database.ts';
import { runRowColumns, toRunRecord, type RunDbRow, type RunRecord } from './records.ts';

export function runsOfSweep(db: SqliteDatabase, sweepId: number): RunRecord[] {
  return (db.prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE sweep_id = ? ORDER BY id`).all(sweepId) as RunDbRow[]).map(
    toRunRecord,
  );
}

export function runsWithStatus(db: SqliteDatabase, status: RunStatus, sweepId?: number): RunRecord[] {
  const rows = db
    .prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE status = @status AND (@sweep IS NULL OR sweep_id = @sweep) ORDER BY id`)
    .all({ status, sweep: sweepId ?? null }) as RunDbRow[];
  return rows.map(toRunRecord);
}

/** Sets the priority of a run or of every not-yet-finished run of a sweep; returns how many changed (undefined: no such run). */
export function setPriority(db: SqliteDatabase, target: { runId: number } | { sweepId: number }, priority: number): number {
  const now = Date.now();
  if ('runId' in target)
    return db.prepare('UPDATE runs SET priority = ?, updated_at = ? WHERE id = ?').run(priority, now, target.runId).changes;
  return db
    .prepare("UPDATE runs SET priority = ?, updated_at = ? WHERE sweep_id = ? AND status IN ('queued', 'interrupted', 'running')")
    .run(priority, now, target.sweepId).changes;
}

/** The derived run of `sourceId` for `epochs`, if epoch folding has recorded it. */
export function derivedRun(db: SqliteDatabase, sourceId: number, epochs: number): RunRecord | undefined {
  const row = db
    .prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE derived_from_run_id = ? AND derived_epochs = ? ORDER BY id LIMIT 1`)
    .get(sourceId, epochs) as RunDbRow | undefined;
  return row && toRunRecord(row);
}

/** Throughput of finished runs on this machine: samples/s per backend from their epochEnd metrics. */
export function measuredThroughput(
  db: SqliteDatabase,
  keys: readonly string[],
): { runId: number; modelSpec: unknown; backend: string; samplesPerSec: number }[] {
  const placeholders = keys.map(() => '?').join(', ');
  const rows = db
    .prepare(
      `SELECT r.id AS runId, coalesce((SELECT m.spec FROM model_specs m WHERE m.id = r.model_spec_id), r.model_spec) AS modelSpec, r.backend AS backend, lm.max AS samplesPerSec
       FROM runs r JOIN latest_metrics lm ON lm.run_id = r.id
       WHERE r.status = 'completed' AND r.derived_from_run_id IS NULL AND lm.key IN (${placeholders}) AND lm.max > 0
       ORDER BY r.ended_at DESC LIMIT 20`,
    )
    .all(...keys) as { runId: number; modelSpec: string; backend: string; samplesPerSec: number }[];
  return rows.map((r) => ({ ...r, modelSpec: JSON.parse(r.modelSpec) as unknown }));
}

/** Sweeps that are not finished and have queued or interrupted runs. */
export function unfinishedSweepIds(db: SqliteDatabase): number[] {
  return (
    db
      .prepare(
        `SELECT DISTINCT s.id FROM sweeps s JOIN runs r ON r.sweep_id = s.id
         WHERE s.status IN ('pending', 'paused', 'running') AND r.status IN ('queued', 'interrupted') ORDER BY s.id`,
      )
      .all() as { id: number }[]
  ).map((r) => r.id);
}

/** Marks that a run's next start continues from its last checkpoint (an interrupted run queued again). */
export function markResume(db: SqliteDatabase, runId: number): void {
  db.prepare("UPDATE runs SET environment = json_set(environment, '$.resumeFromCheckpoint', json('true')) WHERE id = ?").run(runId);
}

/**
 * Gives a derived run the timing of the part of its source it stands for (source start → the
 * source's epoch-E metrics), so "accuracy against training time" shows what that point cost.
 */
export function setRunTimes(db: SqliteDatabase, runId: number, startedAt: number, endedAt: number): void {
  db.prepare('UPDATE runs SET started_at = ?, ended_at = ?, updated_at = ? WHERE id = ?').run(startedAt, endedAt, Date.now(), runId);
}
