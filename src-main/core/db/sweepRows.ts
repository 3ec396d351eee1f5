/**
 * Set-based work on a sweep's runs, a chunk at a time: progress counted in SQL (never by reading
 * every run), and bulk cancel and delete limited to `limit` runs per call, so RunStore holds the
 * writer for a bounded time and the caller yields to the event loop between chunks (issue 12:
 * cancelling 20,000 queued runs held the server for 14 s).
 */
import type { RunStatus } from '../contract/index.ts';
import type { SqliteDatabase } from './database.ts';

/** What a sweep's progress needs, in two indexed queries however many runs it has. */
export interface SweepStats {
  /** Runs by status, derived ones included. */
  counts: Partial<Record<RunStatus, number>>;
  derived: number;
  /** Trained (not derived) runs that completed with start and end times, and their total duration. */
  trained: number;
  trainedMs: number;
  /** Trained runs still to finish: queued, running or interrupted. */
  open: number;
  /** Start times of the runs training now. */
  runningSince: number[];
}

export function sweepStats(db: SqliteDatabase, sweepId: number): SweepStats {
  // Counts read runs_by_sweep_queue alone (migration 0012); only completed trained runs are read
  // for their times, so a sweep's progress costs little while its runs wait (issue 12).
  const rows = db
    .prepare('SELECT status, count(*) AS n, count(derived_from_run_id) AS derived FROM runs WHERE sweep_id = ? GROUP BY status')
    .all(sweepId) as { status: RunStatus; n: number; derived: number }[];
  const timed = db
    .prepare(
      `SELECT count(*) AS timed, coalesce(sum(ended_at - started_at), 0) AS ms FROM runs
       WHERE sweep_id = ? AND status = 'completed' AND derived_from_run_id IS NULL AND started_at IS NOT NULL AND ended_at IS NOT NULL`,
    )
    .get(sweepId) as { timed: number; ms: number };
  const stats: SweepStats = { counts: {}, derived: 0, trained: timed.timed, trainedMs: timed.ms, open: 0, runningSince: [] };
  for (const r of rows) {
    stats.counts[r.status] = r.n;
    stats.derived += r.derived;
    if (r.status === 'queued' || r.status === 'running' || r.status === 'interrupted') stats.open += r.n - r.derived;
  }
  stats.runningSince = db
    .prepare("SELECT started_at FROM runs WHERE sweep_id = ? AND status = 'running' AND started_at IS NOT NULL")
    .pluck()
    .all(sweepId) as number[];
  return stats;
}

/** Cancels up to `limit` of a sweep's queued and interrupted runs; returns their ids. */
export function cancelOpenRuns(db: SqliteDatabase, sweepId: number, limit: number, now: number): number[] {
  return db
    .prepare(
      `UPDATE runs SET status = 'canceled', ended_at = @now, updated_at = @now
       WHERE id IN (SELECT id FROM runs WHERE sweep_id = @sweep AND status IN ('queued', 'interrupted') LIMIT @limit)
       RETURNING id`,
    )
    .pluck()
    .all({ now, sweep: sweepId, limit }) as number[];
}

/** Deletes up to `limit` of a sweep's runs (with their params, metrics and the rest); returns how many. */
export function deleteRunsOfSweep(db: SqliteDatabase, sweepId: number, limit: number): number {
  return db.prepare('DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE sweep_id = ? LIMIT ?)').run(sweepId, limit).changes;
}
