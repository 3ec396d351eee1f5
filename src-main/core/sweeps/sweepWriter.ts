/**
 * Writing a planned sweep's runs to the queue a chunk at a time (issue 12), from its first point or
 * from where a process that ended left it. Each chunk is one transaction that also records how far
 * queueing got (the plan's `next`, sweepRecords.addSweepRuns), so a restart resumes exactly there:
 * no run is queued twice or lost. Once every run is queued the sweep is 'running'.
 *
 * How queueing stops before the end decides what the user sees: canceled meanwhile (from any
 * process), what was queued is canceled too; the process closing, or another process having taken
 * the sweep over, leaves it as it is for the next owner to resume; any other failure removes the
 * sweep while the caller still waits for the answer (a failed start queues nothing), and after the
 * answer ends it 'failed' with a coded sentence (sweep_queueing_failed) in its progress.
 */
import { coreText } from '../contract/coreText.ts';
import type { SweepProgress, SweepSpec } from '../contract/sweeps.ts';
import { NewRun as NewRunSchema, type NewRun, type NewRunParsed, type RunStore } from '../db/RunStore.ts';
import { coded } from '../errors.ts';
import { turnMs, type PointPlan, type PointStream } from './pointPlan.ts';
import { pointRun, type SweepPoint } from './pointRun.ts';
import { proposalRuns, type proposeOne, type SweepPlan } from './searchDriver.ts';
import { queueingText } from './sweepProgress.ts';

/** Runs canceled or deleted per transaction (a few ms each), between turns of the event loop. */
export const bulkChunk = 500;
export const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export type Proposal = ReturnType<typeof proposeOne>;
export type SweepIds = { sweepId: number; experimentId: number | null };

export interface QueueJob {
  spec: SweepSpec;
  stream: PointStream;
  points: PointPlan;
  plan: SweepPlan;
  /** TPE's first proposal (its runs go first), or null. */
  first: Proposal | null;
  label: string;
  ids: SweepIds;
  /** The index of the first point not yet queued: 0, or where a process that ended stopped. */
  from: number;
  /** Runs of the sweep already queued before `from`. */
  queuedBefore: number;
}

export interface WriteHooks {
  /** This process is closing: stop after the chunk in hand, leaving the sweep to be resumed. */
  closing?: AbortSignal | undefined;
  /** After each chunk: runs queued so far of all, and the sweep's progress event built from those numbers. */
  onProgress?: ((sweepId: number, queued: number, total: number, progress: SweepProgress) => void) | undefined;
  /** After the first chunk is committed (the start may answer). */
  onFirstChunk?: (() => void) | undefined;
}

export class SweepCanceled extends Error {}

/**
 * Writes the sweep's trained runs from point `from` on, a chunk at a time, each chunk one
 * transaction, yielding and reporting progress after each; stops when closing or when the sweep
 * was canceled meanwhile. The ids of the runs this call queued are pushed to `runIds`.
 */
export async function writeSweepRuns(store: RunStore, job: QueueJob, runIds: number[], hooks: WriteHooks): Promise<void> {
  const { spec, points, plan, ids } = job;
  const { sweepId } = ids;
  const total = points.counts.train;
  let chunk: NewRunParsed[] = [];
  let from = job.from;
  let consumed = job.from;
  // What writing one run has cost here lately (ms), kept high: the same chunk size takes 2-4x as
  // long from one transaction to the next, and the longest hold is what app.health waits for.
  let writeMs = 0.1;
  let sliceStart = performance.now();
  let chunks = 0;
  const flush = async (last: boolean) => {
    // TPE's first proposal is position 0 of its queueing (its stream has no points).
    const next = Math.max(consumed, job.first && from === 0 ? 1 : 0);
    if (chunk.length > 0) {
      const started = performance.now();
      runIds.push(...store.addSweepRuns(sweepId, chunk, { owner: store.owner, from, next }));
      from = next;
      writeMs = Math.max((performance.now() - started) / chunk.length, writeMs * 0.8);
    }
    chunk = [];
    const queued = job.queuedBefore + runIds.length;
    // Paused meanwhile (from any process), queueing goes on and the progress says 'paused'.
    const status = store.sweepStatus(sweepId) === 'paused' ? 'paused' : 'pending';
    hooks.onProgress?.(sweepId, queued, total, queueingProgress(sweepId, { queued, total }, plan, status));
    // A sweep queued in one chunk answers once it is all queued, as before background queueing.
    if (chunks++ === 0 && !last) hooks.onFirstChunk?.();
    await yieldToLoop();
    hooks.closing?.throwIfAborted();
    if (store.sweepStatus(sweepId) === 'canceled') throw new SweepCanceled();
    sliceStart = performance.now();
  };
  if (job.first && job.from === 0) chunk.push(...proposalRuns(spec, job.first, 0, { ...plan, impossible: [] }, ids).runs.map(parsedRun));
  for (const point of job.stream.points()) {
    if (point.index < job.from) continue;
    consumed = point.index + 1;
    if (points.role(point.index) === 'train') {
      const derived = points.derivedOf(point.index).map((d) => derivedPoint(points, d, spec.repeats));
      chunk.push(parsedRun(pointRun(spec, job.label, points.apply(point), derived, ids)));
    }
    // A turn builds a chunk and writes it in one transaction: both count against turnMs.
    if (performance.now() - sliceStart + chunk.length * writeMs >= turnMs) await flush(false);
  }
  await flush(true);
}

/**
 * Every run is queued: its plan says queueing is over, and the sweep is 'running' (its runs
 * claimable), unless it was paused meanwhile (it stays paused until resumed) or canceled.
 */
export function finishQueueing(store: RunStore, job: Pick<QueueJob, 'spec' | 'plan' | 'ids'>): void {
  store.endQueueing(job.ids.sweepId, { ...job.spec, plan: { ...job.plan, queueing: null, next: undefined } });
}

/**
 * Queueing stopped before the end; `answered`: the start has already told the user the sweep is
 * there. Returns what to throw, or null when the sweep is left as it is for another process.
 */
export async function afterQueueingStopped(
  store: RunStore,
  job: Pick<QueueJob, 'spec' | 'plan' | 'ids'>,
  error: unknown,
  progress: { queued: number; total: number; answered: boolean; closing?: AbortSignal | undefined },
): Promise<unknown> {
  const { sweepId } = job.ids;
  const plan = { ...job.plan, queueing: null, next: undefined };
  // Canceled from any process, whatever stopped this one meanwhile: the sweep's runs end canceled.
  if (error instanceof SweepCanceled || store.sweepStatus(sweepId) === 'canceled') {
    while (store.cancelOpenRuns(sweepId, bulkChunk) > 0) await yieldToLoop();
    store.updateSweep(sweepId, { ...job.spec, plan });
    return coded(
      'conflict',
      `Sweep ${sweepId} was canceled while it was being queued (${progress.queued} of ${progress.total} runs queued)`,
      'error_sweep_canceled_while_queued',
      { id: sweepId, queued: progress.queued, total: progress.total },
    );
  }
  // Closing, or no longer this process's to queue: the sweep stays pending with what it has, resumed by its next owner.
  if (progress.closing?.aborted || stillQueueingElsewhere(store, sweepId)) return error;
  if (!progress.answered) {
    while (store.deleteSweepChunk(sweepId, bulkChunk) > 0) await yieldToLoop();
    return error;
  }
  const reason = (error instanceof Error ? error.message : String(error)).slice(0, 500);
  const failed = {
    text: `queueing stopped after ${progress.queued.toLocaleString('en')} of ${progress.total.toLocaleString('en')} runs: ${reason}`,
    textCode: coreText('sweep_queueing_failed', { queued: progress.queued, total: progress.total, reason }),
  };
  while (store.cancelOpenRuns(sweepId, bulkChunk) > 0) await yieldToLoop();
  store.updateSweep(sweepId, { ...job.spec, plan: { ...plan, queueingFailed: failed } }, 'failed');
  return error;
}

/** Whether another process now queues this sweep (it took it over: this one was thought gone). */
function stillQueueingElsewhere(store: RunStore, sweepId: number): boolean {
  const spec = store.getSweep(sweepId)?.spec as { plan?: { queueing?: unknown } } | undefined;
  const owner = spec?.plan?.queueing;
  return typeof owner === 'string' && owner !== store.owner;
}

/**
 * Where a sweep being queued stands, from what queueing knows: its runs so far are all queued and
 * none has started (the scheduler claims nothing of a pending or paused sweep). The same event the
 * scheduler counts in SQL once the sweep is running (Scheduler.progress), without counting anything.
 */
export function queueingProgress(
  sweepId: number,
  queueing: { queued: number; total: number },
  plan: Pick<SweepPlan, 'planned' | 'impossible' | 'impossibleCount'>,
  status: 'pending' | 'paused' = 'pending',
): SweepProgress {
  return {
    sweepId,
    status,
    planned: plan.planned ?? queueing.total,
    impossible: plan.impossibleCount ?? plan.impossible.length,
    done: 0,
    completed: 0,
    failed: 0,
    canceled: 0,
    running: 0,
    queued: queueing.queued,
    interrupted: 0,
    pruned: 0,
    derived: 0,
    etaSeconds: null,
    ...queueingText(queueing.queued, queueing.total),
    queueing,
  };
}

/** A derived point as pointRun names it: its index, repeat, epochs and axis values (kept by the plan). */
function derivedPoint(points: PointPlan, index: number, repeats: number): Pick<SweepPoint, 'index' | 'repeat' | 'epochs' | 'values'> {
  return { index, repeat: index % repeats, epochs: points.epochs(index), values: points.values.get(index)! };
}

/**
 * The run as the store takes it in bulk (addSweepRuns): NewRun with its defaults filled in, as
 * NewRun.parse fills them. A sweep's runs come from its own expansion of a spec validated once
 * (pointRun, proposalRuns), so the schema is not run for each of them: that was 0.6 s of queueing
 * 100,000 runs (issue 12). The fields a spec could still push out of bounds are checked here, and a
 * run that fails them goes through the schema, whose error names the field; queueing.test checks
 * that every kind of sweep run comes out equal to its parse.
 */
export function parsedRun(run: NewRun): NewRunParsed {
  const name = run.name.trim();
  const fits =
    name.length > 0 &&
    name.length <= 200 &&
    Number.isSafeInteger(run.seed) &&
    Number.isSafeInteger(run.priority ?? 0) &&
    run.dataset.length > 0 &&
    run.backend.length > 0 &&
    (run.sweepId === undefined || run.sweepId === null || (Number.isSafeInteger(run.sweepId) && run.sweepId > 0));
  const { modelSpec } = run;
  if (!fits || modelSpec === undefined || run.status !== undefined || run.reservedFor !== undefined || run.uuid !== undefined)
    return NewRunSchema.parse(run);
  return {
    ...run,
    modelSpec,
    name,
    status: 'queued',
    device: run.device ?? '',
    environment: run.environment ?? {},
    priority: run.priority ?? 0,
    reservedFor: null,
  };
}
