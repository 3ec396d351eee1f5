/**
 * The queue queries the sweeps scheduler needs beyond RunStore's own, on RunStore's database
 * handle (same connection, same WAL, same busy timeout). SQL lives only in core/db (STYLE.md
 * rule 5); every write here is a single statement or a transaction.
 */
import { KernelLabError } from '../errors.ts';
import { toRunRecord, type RunDbRow, type RunRecord, type RunStore } from './RunStore.ts';
import type { RunStatus } from '../contract/runs.ts';

/**
 * Takes the next queued run that may start: highest priority, then oldest, skipping runs of a
 * sweep that is not running (paused sweeps go back to 'pending') and derived runs (epoch folding
 * records those; they are never trained). One UPDATE … RETURNING, so two processes on one
 * database never claim the same run.
 */
export function claimNextRunnable(store: RunStore, owner: string, leaseMs: number): RunRecord | undefined {
  const now = Date.now();
  const row = store.db
    .prepare(
      `UPDATE runs SET status = 'running', worker_owner = @owner, worker_pid = @pid, lease_expires_at = @lease,
         started_at = coalesce(started_at, @now), updated_at = @now
       WHERE id = (SELECT r.id FROM runs r LEFT JOIN sweeps s ON s.id = r.sweep_id
                   WHERE r.status = 'queued' AND r.derived_from_run_id IS NULL AND (r.sweep_id IS NULL OR s.status = 'running')
                   ORDER BY r.priority DESC, r.id LIMIT 1)
         AND status = 'queued'
       RETURNING *`,
    )
    .get({ owner, pid: process.pid, lease: now + leaseMs, now }) as RunDbRow | undefined;
  return row && toRunRecord(row);
}

export function runsOfSweep(store: RunStore, sweepId: number): RunRecord[] {
  return (store.db.prepare('SELECT * FROM runs WHERE sweep_id = ? ORDER BY id').all(sweepId) as RunDbRow[]).map(toRunRecord);
}

export function runsWithStatus(store: RunStore, status: RunStatus, sweepId?: number): RunRecord[] {
  const rows = store.db
    .prepare('SELECT * FROM runs WHERE status = @status AND (@sweep IS NULL OR sweep_id = @sweep) ORDER BY id')
    .all({ status, sweep: sweepId ?? null }) as RunDbRow[];
  return rows.map(toRunRecord);
}

/** Sets the priority of a run or of every not-yet-finished run of a sweep; returns how many changed. */
export function setPriority(store: RunStore, target: { runId: number } | { sweepId: number }, priority: number): number {
  const now = Date.now();
  if ('runId' in target) {
    const info = store.db.prepare('UPDATE runs SET priority = ?, updated_at = ? WHERE id = ?').run(priority, now, target.runId);
    if (info.changes === 0) throw new KernelLabError('not_found', `Run ${target.runId} does not exist`);
    return info.changes;
  }
  return store.db
    .prepare("UPDATE runs SET priority = ?, updated_at = ? WHERE sweep_id = ? AND status IN ('queued', 'interrupted', 'running')")
    .run(priority, now, target.sweepId).changes;
}

/** The derived run of `sourceId` for `epochs`, if epoch folding has recorded it. */
export function derivedRun(store: RunStore, sourceId: number, epochs: number): RunRecord | undefined {
  const row = store.db
    .prepare('SELECT * FROM runs WHERE derived_from_run_id = ? AND derived_epochs = ? ORDER BY id LIMIT 1')
    .get(sourceId, epochs) as RunDbRow | undefined;
  return row && toRunRecord(row);
}

/** Throughput of finished runs on this machine: samples/s per backend from their epochEnd metrics. */
export function measuredThroughput(
  store: RunStore,
  keys: readonly string[],
): { runId: number; modelSpec: unknown; backend: string; samplesPerSec: number }[] {
  const placeholders = keys.map(() => '?').join(', ');
  const rows = store.db
    .prepare(
      `SELECT r.id AS runId, r.model_spec AS modelSpec, r.backend AS backend, lm.max AS samplesPerSec
       FROM runs r JOIN latest_metrics lm ON lm.run_id = r.id
       WHERE r.status = 'completed' AND r.derived_from_run_id IS NULL AND lm.key IN (${placeholders}) AND lm.max > 0
       ORDER BY r.ended_at DESC LIMIT 20`,
    )
    .all(...keys) as { runId: number; modelSpec: string; backend: string; samplesPerSec: number }[];
  return rows.map((r) => ({ ...r, modelSpec: JSON.parse(r.modelSpec) as unknown }));
}

/** Whether any queued run could be claimed now (its sweep, if any, is running). */
export function hasClaimableRun(store: RunStore): boolean {
  return (
    store.db
      .prepare(
        `SELECT 1 FROM runs r LEFT JOIN sweeps s ON s.id = r.sweep_id
         WHERE r.status = 'queued' AND r.derived_from_run_id IS NULL AND (r.sweep_id IS NULL OR s.status = 'running') LIMIT 1`,
      )
      .get() !== undefined
  );
}

/** Sweeps that are not finished and have queued or interrupted runs. */
export function unfinishedSweepIds(store: RunStore): number[] {
  return (
    store.db
      .prepare(
        `SELECT DISTINCT s.id FROM sweeps s JOIN runs r ON r.sweep_id = s.id
         WHERE s.status IN ('pending', 'running') AND r.status IN ('queued', 'interrupted') ORDER BY s.id`,
      )
      .all() as { id: number }[]
  ).map((r) => r.id);
}

/** Marks that a run's next start continues from its last checkpoint (an interrupted run queued again). */
export function markResume(store: RunStore, runId: number): void {
  store.db.prepare("UPDATE runs SET environment = json_set(environment, '$.resumeFromCheckpoint', json('true')) WHERE id = ?").run(runId);
}

const hyperparameterAxes = new Set(['epochs', 'batchSize', 'learningRate', 'optimizer', 'seed', 'momentum', 'validationSplit']);

/**
 * Records a sweep point's model-side axis values as params (`kernelSize`, `filters`,
 * `layers[2].kernelSize`, `pooling`, `dataset`), so the runs table, filters and the sweep pivot
 * can use them like hyperparameters (which RunStore already flattens into params).
 */
export function addAxisParams(store: RunStore, runId: number, values: Record<string, unknown>): void {
  const insert = store.db.prepare('INSERT OR REPLACE INTO params (run_id, key, value, kind) VALUES (?, ?, ?, ?)');
  for (const [key, value] of Object.entries(values)) {
    if (hyperparameterAxes.has(key) || key.startsWith('hyperparameters.')) continue;
    if (typeof value === 'number') insert.run(runId, key, value, 'number');
    else if (typeof value === 'string') insert.run(runId, key, value, 'string');
    else if (typeof value === 'boolean') insert.run(runId, key, value ? 1 : 0, 'boolean');
    else insert.run(runId, key, JSON.stringify(value), 'json');
  }
}

/**
 * Gives a derived run the timing of the part of its source it stands for (source start → the
 * source's epoch-E metrics), so "accuracy against training time" shows what that point cost.
 */
export function setRunTimes(store: RunStore, runId: number, startedAt: number, endedAt: number): void {
  store.db.prepare('UPDATE runs SET started_at = ?, ended_at = ?, updated_at = ? WHERE id = ?').run(startedAt, endedAt, Date.now(), runId);
}
