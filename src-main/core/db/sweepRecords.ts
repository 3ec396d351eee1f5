/**
 * RunStore's experiments and sweeps: create, list, read (with run counts and the best run on the
 * main metric), update, delete a chunk at a time. Functions over the store's private context
 * (storeContext.ts); RunStore's methods of the same names call them.
 */
import { randomUUID } from 'node:crypto';
import { coded, KernelLabError, sweepNotFound } from '../errors.ts';
import { coreText } from '../contract/coreText.ts';
import { SweepStatus, type Experiment, type RunStatus, type Sweep } from '../contract/index.ts';
import { mainMetric, metricKind } from '../contract/metrics.ts';
import { paramOfAxis, runParams, type ModelParamsMemo } from './runParams.ts';
import { createRun, newRunRow } from './runRecords.ts';
import type { StoreContext } from './storeContext.ts';
import type { NewRun, NewRunParsed } from './storeInputs.ts';
import { deleteRunsOfSweep } from './sweepRows.ts';

interface SweepDbRow {
  id: number;
  uuid: string;
  experiment_id: number | null;
  name: string;
  spec: string;
  status: SweepStatus;
  created_at: number;
  runs_on: 'here' | 'agents';
}

export function createExperiment(ctx: StoreContext, input: { name: string; description?: string; uuid?: string }): Experiment {
  const name = input.name.trim();
  if (!name)
    throw new KernelLabError('invalid_input', 'Invalid experiment: name: must not be empty', ['name: must not be empty'], {
      text: coreText('error_invalid_experiment', {}),
      issueTexts: [{ path: 'name', text: coreText('issue_too_short', { minimum: 1 }) }],
    });
  const existing = ctx.db.prepare('SELECT id FROM experiments WHERE name = ?').get(name);
  if (existing) throw coded('conflict', `An experiment named '${name}' already exists`, 'error_experiment_exists', { name });
  const id = ctx.write('creating an experiment', () => {
    return Number(
      ctx.db
        .prepare('INSERT INTO experiments (uuid, name, description, created_at) VALUES (?, ?, ?, ?)')
        .run(input.uuid ?? randomUUID(), name, input.description ?? '', Date.now()).lastInsertRowid,
    );
  });
  return listExperiments(ctx).find((e) => e.id === id)!;
}

/** The id of the experiment with this name, created when missing. */
export function experimentNamed(ctx: StoreContext, name: string): number {
  const id = ctx.db.prepare('SELECT id FROM experiments WHERE name = ?').pluck().get(name.trim()) as number | undefined;
  return id ?? createExperiment(ctx, { name }).id;
}

export function listExperiments(ctx: StoreContext): Experiment[] {
  const rows = ctx.db
    .prepare(
      `SELECT e.id, e.uuid, e.name, e.description, e.created_at AS createdAt,
              (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id) AS runCount
       FROM experiments e ORDER BY e.created_at DESC, e.id DESC`,
    )
    .all();
  return rows as Experiment[];
}

/** A sweep as `createSweep` takes it: status defaults to pending, runsOn to here, uuid to a new one. */
export interface NewSweep {
  name: string;
  spec: unknown;
  experimentId?: number | null;
  status?: SweepStatus;
  uuid?: string;
  runsOn?: 'here' | 'agents';
}

export function createSweep(ctx: StoreContext, input: NewSweep): Sweep {
  const status = SweepStatus.parse(input.status ?? 'pending');
  const id = ctx.write('creating a sweep', () =>
    Number(
      ctx.db
        .prepare('INSERT INTO sweeps (uuid, experiment_id, name, spec, status, created_at, runs_on) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(
          input.uuid ?? randomUUID(),
          input.experimentId ?? null,
          input.name,
          JSON.stringify(input.spec ?? {}),
          status,
          Date.now(),
          input.runsOn ?? 'here',
        ).lastInsertRowid,
    ),
  );
  return getSweep(ctx, id)!;
}

/**
 * Creates a sweep and its runs in one transaction, so a failure records nothing. `runsOf` gets
 * the new sweep's id and returns the runs to queue; their ids come back in order.
 */
export function createSweepWithRuns(
  ctx: StoreContext,
  sweep: { name: string; spec: unknown; experimentName?: string | undefined; status: SweepStatus; runsOn?: 'here' | 'agents' },
  runsOf: (ids: { sweepId: number; experimentId: number | null }) => Iterable<NewRun>,
): { sweepId: number; runIds: number[] } {
  return ctx.write('queueing a sweep', () => {
    const experimentId = sweep.experimentName === undefined ? null : experimentNamed(ctx, sweep.experimentName);
    const sweepId = createSweep(ctx, {
      name: sweep.name,
      spec: sweep.spec,
      experimentId,
      status: sweep.status,
      runsOn: sweep.runsOn ?? 'here',
    }).id;
    const runIds = [...runsOf({ sweepId, experimentId })].map((run) => createRun(ctx, run).id);
    return { sweepId, runIds };
  });
}

/**
 * How far a sweep's queueing got, written with each chunk (issue 12): the process queueing it
 * (its plan's `queueing`), and the index of the first point not yet queued before (`from`) and
 * after (`next`) this chunk. A restart resumes at `next`; a chunk whose sweep another process has
 * taken over, or whose `from` is no longer where the sweep stands, writes nothing.
 */
export interface QueueingMark {
  owner: string;
  from: number;
  next: number;
}

/**
 * Queues a sweep's runs in one transaction, without an event per run (the sweep's progress says
 * it): the bulk path of a sweep being queued a chunk at a time. The runs come from the sweep's
 * own expansion, already validated there; returns their ids in order. With a mark, the sweep's
 * queueing position moves in the same transaction, so no run is queued twice or lost on a restart.
 */
export function addSweepRuns(ctx: StoreContext, sweepId: number, runs: readonly NewRunParsed[], mark?: QueueingMark): number[] {
  return ctx.write(`queueing ${runs.length} runs of sweep ${sweepId}`, () => {
    if (!ctx.stmt.sweepExists.get(sweepId)) throw sweepNotFound(sweepId);
    if (mark && !moveQueueingMark(ctx, sweepId, mark))
      throw coded('conflict', `Sweep ${sweepId} is no longer being queued by ${mark.owner}`, 'error_sweep_queueing_moved', {
        id: sweepId,
        owner: mark.owner,
      });
    const now = Date.now();
    const memo: ModelParamsMemo = new Map();
    const specId = ctx.modelSpecIds();
    return runs.map((run) => {
      const shared = run.modelSpec !== null && typeof run.modelSpec === 'object' ? specId(run.modelSpec) : null;
      return ctx.insertRun(newRunRow(ctx, { ...run, sweepId }, now, shared), runParams(run, memo));
    });
  });
}

function moveQueueingMark(ctx: StoreContext, sweepId: number, mark: QueueingMark): boolean {
  return (
    ctx.db
      .prepare(
        `UPDATE sweeps SET spec = json_set(spec, '$.plan.next', @next)
         WHERE id = @id AND json_extract(spec, '$.plan.queueing') = @owner AND coalesce(json_extract(spec, '$.plan.next'), 0) = @from`,
      )
      .run({ id: sweepId, ...mark }).changes === 1
  );
}

/**
 * Takes over the queueing of a sweep that `from` left half-queued (a process that ended), pending
 * or paused meanwhile: true for exactly one of several processes trying at once.
 */
export function takeOverQueueing(ctx: StoreContext, sweepId: number, from: string, to: string): boolean {
  return ctx.write(
    `taking over the queueing of sweep ${sweepId}`,
    () =>
      ctx.db
        .prepare(
          `UPDATE sweeps SET spec = json_set(spec, '$.plan.queueing', @to)
         WHERE id = @id AND status IN ('pending', 'paused') AND json_extract(spec, '$.plan.queueing') = @from`,
        )
        .run({ id: sweepId, from, to }).changes === 1,
  );
}

/**
 * Every run of a sweep is queued: its spec (the plan says queueing is over) is stored, and a
 * sweep still 'pending' is 'running'. One statement, so a pause or a cancel given meanwhile, from
 * any process, is never overwritten: a paused sweep stays paused, a canceled one canceled.
 */
export function endQueueing(ctx: StoreContext, id: number, spec: unknown): void {
  ctx.write('ending the queueing of a sweep', () => {
    const info = ctx.db
      .prepare(`UPDATE sweeps SET spec = ?, status = CASE status WHEN 'pending' THEN 'running' ELSE status END WHERE id = ?`)
      .run(JSON.stringify(spec), id);
    if (info.changes === 0) throw sweepNotFound(id);
  });
}

/** Pauses a pending or running sweep (a finished one keeps its status); false when it was neither. */
export function pauseSweep(ctx: StoreContext, id: number): boolean {
  return ctx.write(
    'pausing a sweep',
    () => ctx.db.prepare(`UPDATE sweeps SET status = 'paused' WHERE id = ? AND status IN ('pending', 'running')`).run(id).changes === 1,
  );
}

/**
 * Resumes a paused sweep: 'running' when its queueing is over, else 'pending' again (its runs
 * become claimable once queueing ends). Decided in one statement, so a queueing that ends
 * meanwhile never leaves the sweep 'pending' with nobody queueing it.
 */
export function resumeSweep(ctx: StoreContext, id: number): void {
  ctx.write('resuming a sweep', () =>
    ctx.db
      .prepare(
        `UPDATE sweeps SET status = CASE WHEN json_extract(spec, '$.plan.queueing') IS NULL THEN 'running' ELSE 'pending' END
         WHERE id = ? AND status IN ('pending', 'paused')`,
      )
      .run(id),
  );
}

/** Replaces a sweep's stored spec (its plan, as queueing goes on) and, when given, its status. */
export function updateSweep(ctx: StoreContext, id: number, spec: unknown, status?: SweepStatus): void {
  ctx.write('updating a sweep', () => {
    const info = ctx.db
      .prepare('UPDATE sweeps SET spec = ?, status = coalesce(?, status) WHERE id = ?')
      .run(JSON.stringify(spec), status === undefined ? null : SweepStatus.parse(status), id);
    if (info.changes === 0) throw sweepNotFound(id);
  });
}

/**
 * Deletes up to `limit` runs of a sweep in one short transaction; when none is left, the sweep
 * itself. Returns how many runs went; call again until it returns 0.
 */
export function deleteSweepChunk(ctx: StoreContext, sweepId: number, limit: number): number {
  return ctx.write(`deleting runs of sweep ${sweepId}`, () => {
    const deleted = deleteRunsOfSweep(ctx.db, sweepId, limit);
    if (deleted === 0) ctx.db.prepare('DELETE FROM sweeps WHERE id = ?').run(sweepId);
    return deleted;
  });
}

export function setSweepStatus(ctx: StoreContext, id: number, status: SweepStatus): void {
  SweepStatus.parse(status);
  const changed = ctx.write('updating a sweep', () => ctx.db.prepare('UPDATE sweeps SET status = ? WHERE id = ?').run(status, id).changes);
  if (changed === 0) throw sweepNotFound(id);
}

export function listSweeps(ctx: StoreContext, filter: { experimentId?: number | undefined } = {}): Sweep[] {
  const rows = ctx.db
    .prepare(
      `SELECT id, uuid, experiment_id, name, spec, status, created_at, runs_on FROM sweeps
       WHERE (@experiment IS NULL OR experiment_id = @experiment) ORDER BY created_at DESC, id DESC`,
    )
    .all({ experiment: filter.experimentId ?? null }) as SweepDbRow[];
  return rows.map((row) => sweepOf(ctx, row));
}

/** A sweep's own fields, without counting or ranking its runs: what the scheduler's tick reads. */
export type SweepHead = Pick<Sweep, 'id' | 'uuid' | 'experimentId' | 'name' | 'spec' | 'status' | 'runsOn' | 'createdAt'>;

/**
 * The sweeps in these states, oldest first, as they are without their runs: listSweeps counts each
 * sweep's runs and finds its best (50–75 ms a tick at 100,000 queued runs, issue 12).
 */
export function listSweepHeads(ctx: StoreContext, statuses: readonly SweepStatus[]): SweepHead[] {
  const rows = ctx.db
    .prepare(
      `SELECT id, uuid, experiment_id, name, spec, status, created_at, runs_on FROM sweeps
       WHERE status IN (SELECT value FROM json_each(?)) ORDER BY id`,
    )
    .all(JSON.stringify(statuses)) as SweepDbRow[];
  return rows.map((row) => ({
    id: row.id,
    uuid: row.uuid,
    experimentId: row.experiment_id,
    name: row.name,
    spec: JSON.parse(row.spec) as unknown,
    status: row.status,
    runsOn: row.runs_on,
    createdAt: row.created_at,
  }));
}

export function getSweep(ctx: StoreContext, id: number): Sweep | undefined {
  const row = ctx.db.prepare('SELECT id, uuid, experiment_id, name, spec, status, created_at, runs_on FROM sweeps WHERE id = ?').get(id) as
    SweepDbRow | undefined;
  return row && sweepOf(ctx, row);
}

function sweepOf(ctx: StoreContext, row: SweepDbRow): Sweep {
  const counts = ctx.db.prepare('SELECT status, count(*) AS n FROM runs WHERE sweep_id = ? GROUP BY status').all(row.id) as {
    status: RunStatus;
    n: number;
  }[];
  const spec = JSON.parse(row.spec) as unknown;
  const axes = (spec as { axes?: unknown } | null)?.axes;
  // The sweep's best run on its main metric, by that metric's own direction.
  const summaries = ctx.db
    .prepare(
      `SELECT lm.key, lm.best, lm.run_id FROM latest_metrics lm JOIN runs r ON r.id = lm.run_id
       WHERE r.sweep_id = ? AND lm.best IS NOT NULL`,
    )
    .raw()
    .all(row.id) as [string, number, number][];
  const metric = mainMetric([...new Set(summaries.map(([key]) => key))]);
  const better = metric ? metricKind(metric).better : null;
  let best: Sweep['best'] = null;
  for (const [key, value, runId] of summaries) {
    if (key !== metric || better === null || !Number.isFinite(value)) continue;
    if (!best || (better === 'max' ? value > best.value : value < best.value)) best = { metric, value, runId };
  }
  return {
    id: row.id,
    uuid: row.uuid,
    experimentId: row.experiment_id,
    name: row.name,
    spec,
    status: row.status,
    runsOn: row.runs_on,
    createdAt: row.created_at,
    runCounts: Object.fromEntries(counts.map((c) => [c.status, c.n])),
    axes: (axes !== null && typeof axes === 'object' && !Array.isArray(axes) ? Object.keys(axes) : []).map((name) => ({
      name,
      param: paramOfAxis(name),
    })),
    best,
  };
}
