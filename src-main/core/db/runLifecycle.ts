/**
 * A run's lifecycle in SQL: which status moves are allowed, the claim (with the machine's worker
 * budget), leases that fence, the one final status of an execution, and recovery of runs whose
 * holder is gone. Only RunStore calls these, with its private handle, inside its transactions.
 *
 * Fencing: a claim increments the run's `attempt`; the lease an execution holds is
 * (run, owner, attempt). Every write for a running run first extends that lease in the same
 * transaction (`holdLease`) and writes nothing when it no longer matches, so a holder that stalled
 * past its lease, whose run was recovered and claimed again elsewhere, cannot write into it or end
 * it: one final status per run.
 */
import { KernelLabError } from '../errors.ts';
import type { RunStatus } from '../contract/runs.ts';
import { GpuHostBackend } from '../contract/app.ts';
import type { SqliteDatabase } from './database.ts';
import { runReturning, toRunRecord, type Lease, type RunDbRow, type RunRecord } from './records.ts';

/** Allowed status moves. Terminal states have none; a resume is a new run with parentRunId. */
export const allowedTransitions: Readonly<Record<RunStatus, readonly RunStatus[]>> = {
  queued: ['running', 'canceled', 'failed'],
  // 'pruned' is not a plain move: only finishRun reaches it, with the epoch and rung that decided it.
  running: ['completed', 'failed', 'canceled', 'interrupted', 'diverged'],
  interrupted: ['queued', 'canceled'],
  completed: [],
  failed: [],
  canceled: [],
  diverged: [],
  pruned: [],
};

export const endsRun = new Set<RunStatus>(['completed', 'failed', 'canceled', 'diverged', 'interrupted', 'pruned']);

/** A write refused because the writer's lease on the run is gone (recovered, or claimed again). */
export class LeaseLost extends KernelLabError {
  readonly lease: Lease;
  constructor(lease: Lease, doing: string) {
    super(
      'conflict',
      `Run ${lease.runId} is no longer held by ${lease.owner} (attempt ${lease.attempt}): ${doing} was not recorded. ` +
        'Another process recovered or took the run after this one stopped answering.',
    );
    this.name = 'LeaseLost';
    this.lease = lease;
  }
}

/**
 * Which queued runs a scheduler may claim: any, or only its own (reserved for it, of its sweeps,
 * or runs its process queued or resumed).
 */
export type ClaimScope = { kind: 'any' } | { kind: 'own'; sweepIds: readonly number[]; runIds?: readonly number[] };

export interface ClaimRequest {
  owner: string;
  pid: number;
  leaseMs: number;
  /** `host:` — runs held by owners with this prefix count against the machine's budget. */
  hostPrefix: string;
  /** How many runs may train at once on this machine. */
  budget: number;
  scope: ClaimScope;
  /** Leave unreserved runs that pin no backend and were queued after this time (ms) to a waiting GPU host; null takes them. */
  leaveUnpinnedQueuedAfter?: number | null;
}

/**
 * A run pinned to webgpu or webgl trains only in a browser GPU host (it claims through agent.*,
 * agentRegistry.ts): a worker process has neither, so this machine's schedulers leave it queued.
 */
const notGpuHostPinned = `coalesce(json_extract(r.hyperparameters, '$.backend'), '') NOT IN (${GpuHostBackend.options
  .map((b) => `'${b}'`)
  .join(', ')})`;

/**
 * A queued run this scheduler may claim (in a queue of `firstOfEachQueue`: single runs, or a
 * running sweep trained here). `@leaveAfter`: while a page lending a hardware GPU waits, unpinned
 * runs queued after it are its to claim first (gpuhost/GpuHostsWaiting.ts).
 */
const claimable = `r.status = 'queued' AND r.derived_from_run_id IS NULL AND ${notGpuHostPinned}
  AND (r.reserved_for IS NULL OR r.reserved_for = @owner)
  AND NOT (@leaveAfter IS NOT NULL AND r.reserved_for IS NULL AND json_extract(r.hyperparameters, '$.backend') IS NULL
           AND r.updated_at > @leaveAfter)
  AND (@any OR r.reserved_for = @owner OR r.sweep_id IN (SELECT value FROM json_each(@sweeps))
       OR r.id IN (SELECT value FROM json_each(@runs)))`;

/**
 * The first claimable run (highest priority, then oldest) of each queue: the runs of no sweep, and
 * each running sweep trained here; a NULL for a queue with none. Each is the first entry of its
 * range of runs_by_sweep_queue (migration 0012), so a claim reads a few rows however many runs wait
 * in paused sweeps, sweeps for agents or sweeps being queued (one scan of every queued run per
 * scheduler tick held the server ~1 s at 100,000 queued runs: issue 12). The claim joins these few
 * to runs with CROSS JOIN, which keeps them the outer loop: otherwise the planner may walk every
 * queued run in runs_queue's order and test each against the list.
 */
const firstOfEachQueue = `
  SELECT (SELECT r.id FROM runs r WHERE r.sweep_id IS NULL AND ${claimable} ORDER BY r.priority DESC, r.id LIMIT 1) AS id
  UNION ALL
  SELECT (SELECT r.id FROM runs r WHERE r.sweep_id = s.id AND ${claimable} ORDER BY r.priority DESC, r.id LIMIT 1)
  FROM sweeps s WHERE s.status = 'running' AND s.runs_on = 'here'`;

/** Runs training now on this machine (owners `host:…`), derived runs excluded (they are only recorded). */
export function runningOnHost(db: SqliteDatabase, hostPrefix: string): number {
  return db
    .prepare(
      `SELECT count(*) FROM runs WHERE status = 'running' AND derived_from_run_id IS NULL
         AND substr(worker_owner, 1, length(@prefix)) = @prefix`,
    )
    .pluck()
    .get({ prefix: hostPrefix }) as number;
}

/**
 * Takes the next queued run that may start, if the machine has a free slot: highest priority,
 * then oldest; never a run of a sweep that is not running (paused sweeps go back to 'pending'), a
 * derived run (epoch folding records those), a run of a sweep sent to agents (runs_on 'agents':
 * a cluster's agents claim those, agentRegistry.ts), or a run reserved for another owner. Call inside an
 * IMMEDIATE transaction: the count and the claim then see the same database, in every process.
 */
export function claimNext(db: SqliteDatabase, request: ClaimRequest): RunRecord | undefined {
  if (runningOnHost(db, request.hostPrefix) >= request.budget) return undefined;
  const now = Date.now();
  const row = db
    .prepare(
      `UPDATE runs SET status = 'running', worker_owner = @owner, worker_pid = @pid, lease_expires_at = @lease, attempt = attempt + 1,
         error = NULL, error_code = NULL, error_issues = NULL, started_at = coalesce(started_at, @now), updated_at = @now
       WHERE id = (SELECT r.id FROM (${firstOfEachQueue}) first CROSS JOIN runs r ON r.id = first.id ORDER BY r.priority DESC, r.id LIMIT 1)
         AND status = 'queued'
       RETURNING ${runReturning}`,
    )
    .get({
      owner: request.owner,
      pid: request.pid,
      lease: now + request.leaseMs,
      now,
      any: request.scope.kind === 'any' ? 1 : 0,
      sweeps: JSON.stringify(request.scope.kind === 'own' ? request.scope.sweepIds : []),
      runs: JSON.stringify(request.scope.kind === 'own' ? (request.scope.runIds ?? []) : []),
      leaveAfter: request.leaveUnpinnedQueuedAfter ?? null,
    }) as RunDbRow | undefined;
  return row && toRunRecord(row);
}

/** Whether any queued run could be claimed now by a scheduler with this scope. */
export function hasClaimable(
  db: SqliteDatabase,
  owner: string,
  scope: ClaimScope,
  leaveUnpinnedQueuedAfter: number | null = null,
): boolean {
  return (
    db.prepare(`SELECT 1 FROM (${firstOfEachQueue}) WHERE id IS NOT NULL LIMIT 1`).get({
      owner,
      any: scope.kind === 'any' ? 1 : 0,
      sweeps: JSON.stringify(scope.kind === 'own' ? scope.sweepIds : []),
      runs: JSON.stringify(scope.kind === 'own' ? (scope.runIds ?? []) : []),
      leaveAfter: leaveUnpinnedQueuedAfter,
    }) !== undefined
  );
}

/** Extends a lease that still holds; false when the run is no longer running under it. */
export function holdLease(db: SqliteDatabase, lease: Lease, until: number): boolean {
  return (
    db
      .prepare("UPDATE runs SET lease_expires_at = ? WHERE id = ? AND status = 'running' AND worker_owner = ? AND attempt = ?")
      .run(until, lease.runId, lease.owner, lease.attempt).changes === 1
  );
}

/**
 * The final move of an execution: running → completed / failed / diverged / canceled /
 * interrupted, only while `lease` still holds. False when it does not (the run was recovered or
 * claimed again: its status is someone else's to decide).
 */
export function finishRun(
  db: SqliteDatabase,
  lease: Lease,
  to: RunStatus,
  error: string | null,
  now: number,
  pruned: { epoch: number; rung: number | null } | null = null,
  errorCode: string | null = null,
  errorIssues: string | null = null,
): boolean {
  return (
    db
      .prepare(
        `UPDATE runs SET status = @to, updated_at = @now, ended_at = @now, error = @error, error_code = @errorCode, error_issues = @errorIssues,
           worker_owner = NULL, worker_pid = NULL, lease_expires_at = NULL, pruned_epoch = @prunedEpoch, pruned_rung = @prunedRung
         WHERE id = @id AND status = 'running' AND worker_owner = @owner AND attempt = @attempt`,
      )
      .run({
        to,
        now,
        error,
        errorCode,
        errorIssues,
        id: lease.runId,
        owner: lease.owner,
        attempt: lease.attempt,
        prunedEpoch: pruned?.epoch ?? null,
        prunedRung: pruned?.rung ?? null,
      }).changes === 1
  );
}

export interface Holder {
  id: number;
  worker_owner: string | null;
  lease_expires_at: number | null;
}

export function runningHolders(db: SqliteDatabase): Holder[] {
  return db.prepare("SELECT id, worker_owner, lease_expires_at FROM runs WHERE status = 'running'").all() as Holder[];
}

export function markInterrupted(db: SqliteDatabase, ids: readonly number[], error: string, errorCode: string | null, now: number): void {
  // A run that already says why keeps its sentence and that sentence's code.
  const stmt = db.prepare(
    `UPDATE runs SET status = 'interrupted', ended_at = ?, updated_at = ?, worker_owner = NULL, worker_pid = NULL, lease_expires_at = NULL,
       error_code = CASE WHEN error IS NULL THEN ? ELSE error_code END, error_issues = CASE WHEN error IS NULL THEN NULL ELSE error_issues END,
       error = coalesce(error, ?)
     WHERE id = ? AND status = 'running'`,
  );
  for (const id of ids) stmt.run(now, now, errorCode, error, id);
}

/** Queued runs reserved for an owner: the reservations of a process that ended are released below. */
export function reservedOwners(db: SqliteDatabase): string[] {
  return (
    db
      // `+status`: the few reserved runs by runs_reserved (migration 0012), never every queued run by
      // runs_queue, which the planner picks for a table it has no statistics of yet.
      .prepare("SELECT DISTINCT reserved_for FROM runs WHERE +status = 'queued' AND reserved_for IS NOT NULL")
      .pluck()
      .all() as string[]
  );
}

/** Cancels the queued runs reserved for `owner` (a `kernellab train` that ended before its run started). */
export function cancelReserved(db: SqliteDatabase, owner: string, error: string, errorCode: string | null, now: number): number[] {
  return db
    .prepare(
      `UPDATE runs SET status = 'canceled', ended_at = @now, updated_at = @now, error = @error, error_code = @errorCode, error_issues = NULL
       WHERE status = 'queued' AND reserved_for = @owner RETURNING id`,
    )
    .pluck()
    .all({ now, error, errorCode, owner }) as number[];
}
