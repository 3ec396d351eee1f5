/**
 * RunStore's runs: create (with their params), read, move between statuses (compare-and-set),
 * finish under a lease, recover the runs of processes that are gone, queue again, derive params
 * again. Functions over the store's private context (storeContext.ts); RunStore's methods of the
 * same names call them.
 */
import { coded, invalidInput, KernelLabError, runNotFound } from '../errors.ts';
import { RunStatus } from '../contract/index.ts';
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import { problemsColumn, runRowColumns, textColumn, toRunRecord, type Lease, type RunDbRow, type RunRecord } from './records.ts';
import * as lifecycle from './runLifecycle.ts';
import { allowedTransitions, endsRun } from './runLifecycle.ts';
import { contentColumns } from './runInsert.ts';
import { newRunUuid } from './runUuid.ts';
import { paramsVersion, runParams } from './runParams.ts';
import * as queue from './runQueue.ts';
import type { Fence, StoreContext } from './storeContext.ts';
import { JsonObject, NewRun, type NewRunParsed } from './storeInputs.ts';

const stoppedWhileRunning = 'KernelLab stopped while this run was running; resume it from its last checkpoint';

/** Creates a run (queued by default) and its params (runParams) in one transaction. */
export function createRun(ctx: StoreContext, input: NewRun): RunRecord {
  const parsed = NewRun.safeParse(input);
  if (!parsed.success) throw invalidInput('run', parsed.error);
  const run = parsed.data;
  const id = ctx.write('creating a run', () => {
    for (const [field, table, value] of [
      ['experimentId', 'experiments', run.experimentId],
      ['sweepId', 'sweeps', run.sweepId],
      ['parentRunId', 'runs', run.parentRunId],
      ['derivedFromRunId', 'runs', run.derivedFromRunId],
    ] as const) {
      if (value != null && !ctx.db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(value)) {
        throw coded(
          'not_found',
          `Invalid run: ${field}: ${table} ${value} does not exist`,
          'error_run_refers_to_missing',
          { field, table, refId: value },
          [`${field}: does not exist`],
        );
      }
    }
    return ctx.insertRun(newRunRow(ctx, run, Date.now()), runParams(run));
  });
  ctx.emitRun(id, run.status);
  return getRun(ctx, id)!;
}

/** A new run's row; `modelSpecId`: the stored spec it shares (a sweep's run), else it holds its own. */
export function newRunRow(ctx: StoreContext, run: NewRunParsed, now: number, modelSpecId: number | null = null) {
  const running = run.status === 'running';
  return {
    uuid: run.uuid ?? newRunUuid(now),
    name: run.name,
    experiment_id: run.experimentId ?? null,
    sweep_id: run.sweepId ?? null,
    parent_run_id: run.parentRunId ?? null,
    derived_from_run_id: run.derivedFromRunId ?? null,
    derived_epochs: run.derivedEpochs ?? null,
    status: run.status,
    ...contentColumns(run, modelSpecId),
    worker_owner: running ? ctx.owner : null,
    worker_pid: running ? process.pid : null,
    lease_expires_at: running ? now + ctx.leaseMs : null,
    reserved_for: run.reservedFor,
    error: null,
    created_at: now,
    started_at: running || run.status === 'completed' ? now : null,
    ended_at: run.status === 'completed' ? now : null,
    updated_at: now,
    params_version: paramsVersion,
    pruned_epoch: null,
    pruned_rung: null,
  };
}

/** Replaces a run's hyperparameters; its params are derived again from the changed run. */
export function setParams(ctx: StoreContext, runId: number, hyperparameters: Record<string, unknown>): void {
  const parsed = JsonObject.safeParse(hyperparameters);
  if (!parsed.success) throw invalidInput('hyperparameters', parsed.error);
  ctx.write('setting params', () => {
    requireRun(ctx, runId);
    ctx.db.prepare('UPDATE runs SET hyperparameters = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(parsed.data), Date.now(), runId);
    deriveParams(ctx, requireRun(ctx, runId));
  });
}

/** Writes a run's params as runParams derives them from the run as stored; call inside a write. */
export function deriveParams(ctx: StoreContext, row: RunDbRow): void {
  // Written back as the run's own rows, without a shared set: a change to one run stays its own.
  ctx.db.prepare('DELETE FROM run_params WHERE run_id = ?').run(row.id);
  for (const p of runParams(toRunRecord(row))) ctx.stmt.insertParam.run(row.id, p.key, p.value, p.kind);
  ctx.db.prepare('UPDATE runs SET params_version = ?, param_set_id = NULL WHERE id = ?').run(paramsVersion, row.id);
}

/**
 * Derives again the params of runs recorded by an older KernelLab (params_version below this
 * one's), so every run has the same params whichever version recorded it. Called on open.
 */
export function upgradeParams(ctx: StoreContext): number {
  const stale = ctx.db.prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE params_version < ?`).all(paramsVersion) as RunDbRow[];
  if (stale.length === 0) return 0;
  ctx.write(`deriving the params of ${stale.length} runs`, () => {
    for (const row of stale) deriveParams(ctx, row);
  });
  return stale.length;
}

export function getRun(ctx: StoreContext, id: number): RunRecord | undefined {
  const row = ctx.stmt.getRun.get(id) as RunDbRow | undefined;
  return row && toRunRecord(row);
}

export function getRunByUuid(ctx: StoreContext, uuid: string): RunRecord | undefined {
  const row = ctx.db.prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE uuid = ?`).get(uuid) as RunDbRow | undefined;
  return row && toRunRecord(row);
}

export function requireRun(ctx: StoreContext, id: number): RunDbRow {
  const row = ctx.stmt.getRun.get(id) as RunDbRow | undefined;
  if (!row) throw runNotFound(id);
  return row;
}

/**
 * Moves a run to another status if `allowedTransitions` permits it; compare-and-set, so a
 * concurrent move by another process makes this one fail instead of overwriting it.
 */
export function transition(
  ctx: StoreContext,
  runId: number,
  to: RunStatus,
  options: { error?: string | null; errorText?: CoreText | null } = {},
): RunRecord {
  RunStatus.parse(to);
  const now = Date.now();
  ctx.write(`setting run ${runId} to ${to}`, () => {
    const row = requireRun(ctx, runId);
    if (!allowedTransitions[row.status].includes(to)) {
      const allowed = allowedTransitions[row.status];
      throw new KernelLabError(
        'conflict',
        `Run ${runId} is ${row.status}; it cannot become ${to} (from ${row.status} it can become ${allowed.length ? allowed.join(', ') : 'nothing: it is finished'})`,
        undefined,
        {
          text: allowed.length
            ? coreText('error_run_cannot_become', { id: runId, status: row.status, to, allowed: allowed.join(', ') })
            : coreText('error_run_finished_cannot_become', { id: runId, status: row.status, to }),
        },
      );
    }
    const running = to === 'running';
    ctx.stmt.transition.run({
      to,
      now,
      running: running ? 1 : 0,
      ends: endsRun.has(to) ? 1 : 0,
      setError: options.error !== undefined ? 1 : 0,
      error: options.error ?? null,
      errorCode: options.error ? textColumn(options.errorText) : null,
      owner: ctx.owner,
      pid: process.pid,
      lease: now + ctx.leaseMs,
      id: runId,
      from: row.status,
    });
  });
  const run = getRun(ctx, runId)!;
  ctx.emitRun(run.id, run.status);
  return run;
}

/**
 * The one final status of an execution (see settle in sweeps/execution.ts): running → `to`,
 * only while `lease` holds. False when it does not: the run was recovered or claimed again, and
 * its end is the new holder's to record. A pruned run names the epoch and rung it stopped at.
 */
export function finishRun(
  ctx: StoreContext,
  lease: Lease,
  to: RunStatus,
  error: string | null,
  pruned: { epoch: number; rung: number | null } | null = null,
  errorText: CoreText | null = null,
  errorIssues: readonly ProblemText[] | null = null,
): boolean {
  if (!endsRun.has(to)) throw new KernelLabError('internal', `finishRun: ${to} does not end a run`);
  if ((to === 'pruned') !== (pruned !== null))
    throw new KernelLabError('internal', `finishRun: ${to} with pruned ${JSON.stringify(pruned)}`);
  const finished = ctx.write(`ending run ${lease.runId} as ${to}`, () =>
    lifecycle.finishRun(
      ctx.db,
      lease,
      to,
      error,
      Date.now(),
      pruned,
      error === null ? null : textColumn(errorText),
      error === null ? null : problemsColumn(errorIssues),
    ),
  );
  if (finished) ctx.emitRun(lease.runId, to);
  return finished;
}

/**
 * Marks `interrupted` every running run whose lease has run out or whose owner process (on this
 * machine) no longer exists, and cancels queued runs reserved for such a process. Called on open;
 * the scheduler calls it again on its ticks, so a stalled process's runs do not wait forever.
 */
export function recoverInterrupted(ctx: StoreContext, now: number = Date.now()): number[] {
  const gone = (owner: string | null) => owner !== null && ownerGone(ctx, owner);
  const dead = lifecycle
    .runningHolders(ctx.db)
    .filter((r) => r.lease_expires_at === null || r.lease_expires_at < now || gone(r.worker_owner))
    .map((r) => r.id);
  const goneReservations = lifecycle.reservedOwners(ctx.db).filter(gone);
  if (dead.length === 0 && goneReservations.length === 0) return [];
  const canceled = ctx.write('recovering interrupted runs', () => {
    lifecycle.markInterrupted(ctx.db, dead, stoppedWhileRunning, textColumn(coreText('run_stopped_while_running', {})), now);
    return goneReservations.flatMap((owner) =>
      lifecycle.cancelReserved(
        ctx.db,
        owner,
        `the process that queued this run (${owner}) ended before it started`,
        textColumn(coreText('run_queuing_process_ended', { owner })),
        now,
      ),
    );
  });
  for (const id of dead) ctx.emitRun(id, 'interrupted');
  for (const id of canceled) ctx.emitRun(id, 'canceled');
  return dead;
}

/** Whether `owner` (`host:pid`) is a process of this machine that no longer exists. */
export function ownerGone(ctx: StoreContext, owner: string): boolean {
  if (!owner.startsWith(ctx.hostPrefix)) return false;
  const pid = Number(owner.slice(ctx.hostPrefix.length));
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
}

/** Queues an interrupted run again, marked to continue from its last checkpoint; false if it is not interrupted. */
export function requeue(ctx: StoreContext, runId: number): boolean {
  const requeued = ctx.write(`queueing run ${runId} again`, () => {
    const row = requireRun(ctx, runId);
    if (row.status !== 'interrupted') return false;
    queue.markResume(ctx.db, runId);
    ctx.stmt.transition.run({
      to: 'queued',
      now: Date.now(),
      running: 0,
      ends: 0,
      setError: 0,
      error: null,
      errorCode: null,
      owner: ctx.owner,
      pid: process.pid,
      lease: 0,
      id: runId,
      from: 'interrupted',
    });
    return true;
  });
  if (requeued) ctx.emitRun(runId, 'queued');
  return requeued;
}

/** Records which backend and device a worker actually used (its trainBegin), so open views show it at once. */
export function setDevice(
  ctx: StoreContext,
  runId: number,
  backend: string,
  device: string,
  runtime?: Record<string, unknown>,
  fence?: Fence,
  deviceCode: CoreText | null = null,
): void {
  ctx.write('recording the backend', () => {
    ctx.fence(fence, 'recording the backend and device');
    // The device's code is replaced with the device (null: this start sent none), so it never names an earlier start's device.
    const code = textColumn(deviceCode);
    if (runtime)
      // Threads, engine versions, GPU: kept in the run's environment under `runtime`, replaced on resume.
      ctx.db
        .prepare(
          "UPDATE runs SET backend = ?, device = ?, device_code = ?, environment = json_set(environment, '$.runtime', json(?)), updated_at = ? WHERE id = ?",
        )
        .run(backend, device, code, JSON.stringify(runtime), Date.now(), runId);
    else
      ctx.db
        .prepare('UPDATE runs SET backend = ?, device = ?, device_code = ?, updated_at = ? WHERE id = ?')
        .run(backend, device, code, Date.now(), runId);
    // The backend that ran is a param (it changes results); derived again with the rest.
    const row = ctx.stmt.getRun.get(runId) as RunDbRow | undefined;
    if (row) deriveParams(ctx, row);
  });
  ctx.emitRun(runId);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
