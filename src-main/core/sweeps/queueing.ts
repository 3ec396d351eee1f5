/**
 * Putting work on the queue (the runs table): one run, or a sweep queued a chunk at a time (bounded
 * work, see queueSweep), each validated as a sweep point so errors name the same fields. The
 * scheduler (scheduler.ts) takes it from there.
 */
import { accessSync, constants } from 'node:fs';
import type { z } from 'zod';
import type { StartRunInput, SubsetSpec } from '../contract/runs.ts';
import type { SweepPointOut, SweepPreview, SweepProgress, SweepSpec } from '../contract/sweeps.ts';
import type { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { isGpuHostBackend } from '../contract/app.ts';
import { NewRun as NewRunSchema, type NewRun, type NewRunParsed, type RunRecord, type RunStore } from '../db/RunStore.ts';
import type { DatasetName, registry } from '../datasets/registry.ts';
import { coded, KernelLabError } from '../errors.ts';
import type { DataDirLayout } from '../home.ts';
import { machineThroughput, pointSeconds, scheduleSeconds } from './estimate.ts';
import { expandSweep, pointStream } from './expand.ts';
import { planSweepAsync, turnMs, type PointPlan, type PointStream } from './pointPlan.ts';
import type { SweepPoint } from './pointRun.ts';
import { describeValues, pointRun, subsetPerClass, sweepLabel } from './pointRun.ts';
import { directionOf, proposalRuns, proposeOne, type SweepPlan } from './searchDriver.ts';
import { pruningEstimate, tpeFirstPoints, tpeSeconds, type TrainedCost } from './searchPreview.ts';
import { checkBase, parseSweepSpec } from './sweepSpec.ts';
import { queueingText } from './sweepProgress.ts';

export { subsetPerClass } from './pointRun.ts';

/** The preview shows this many points; the rest are counted and estimated. */
const previewPoints = 5000;
/** Runs canceled or deleted per transaction (a few ms each), between turns of the event loop. */
export const bulkChunk = 500;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface WorkOptions {
  /** The caller is gone or the service is closing: stop, leaving nothing behind. */
  signal?: AbortSignal | undefined;
}

/**
 * Expands a spec without queuing anything: counts, folding, the first 5,000 points and an
 * estimate. The points are planned in one pass that yields to the event loop (expand.ts), so a
 * preview of 10⁶ points holds a few bytes per point, never the points.
 */
export async function previewSweep(
  spec: SweepSpec,
  store: RunStore | undefined,
  workers: number,
  options: WorkOptions = {},
): Promise<SweepPreview> {
  checkBase(spec);
  const stream = pointStream(spec);
  const plan = await planSweepAsync(stream, spec, { signal: options.signal });
  const throughput = machineThroughput(store);
  const tpe = spec.method === 'tpe';
  const points: SweepPointOut[] = [];
  const out = (p: SweepPoint, seconds: number): SweepPointOut => ({
    index: p.index,
    values: p.values,
    repeat: p.repeat,
    seed: p.seed,
    dataset: p.dataset,
    epochs: p.epochs,
    role: p.role,
    foldedInto: p.foldedInto,
    error: p.error,
    estimatedSeconds: seconds,
  });
  // TPE proposes while it runs: its preview shows the first points it will train.
  const shown = tpe ? tpeFirstPoints(spec, Math.min(10, (spec.trials ?? 10) * spec.repeats)) : [];
  if (tpe) for (const p of shown) points.push(out(p, pointSeconds(p, throughput)));
  else
    for (const point of stream.points()) {
      if (point.index >= previewPoints) break;
      points.push(out(plan.apply(point), plan.pointFlops(point.index) / throughput.flopsPerSecond));
    }
  const costs = new Float64Array(plan.total);
  const trainedCosts: TrainedCost[] = [];
  for (let i = 0; i < plan.total; i++) {
    costs[i] = plan.pointFlops(i) / throughput.flopsPerSecond;
    if (spec.pruner && plan.role(i) === 'train') trainedCosts.push({ epochs: plan.epochs(i), seconds: costs[i]! });
  }
  const tpeRuns = (spec.trials ?? 0) * spec.repeats;
  // TPE's later points are not known yet: its pruning estimate takes its first points' mix of
  // epochs and costs as the mix of every trial (bounded: TPE takes at most 100,000 trials).
  const tpeCosts: TrainedCost[] = [];
  if (tpe && spec.pruner && shown.length > 0)
    for (let i = 0; i < tpeRuns; i++) {
      const p = shown[i % shown.length]!;
      tpeCosts.push({ epochs: p.epochs, seconds: pointSeconds(p, throughput) });
    }
  const direction = tpe || spec.pruner ? directionOf(spec.optimize) : (spec.optimize.direction ?? 'maximize');
  const pruner = spec.pruner
    ? spec.pruner.type === 'asha'
      ? `asha (r = ${spec.pruner.minEpochs}, η = ${spec.pruner.reductionFactor}, s = ${spec.pruner.minEarlyStoppingRate})`
      : `median (after ${spec.pruner.startupTrials} runs, warm-up ${spec.pruner.warmupEpochs} epochs)`
    : null;
  return {
    planned: tpe ? tpeRuns : plan.counts.train + plan.counts.derived,
    trained: tpe ? tpeRuns : plan.counts.train,
    derived: plan.counts.derived,
    impossible: plan.counts.impossible,
    folding: plan.folding,
    estimate: {
      seconds: tpe ? tpeSeconds(spec, shown, throughput, workers) : scheduleSeconds(costs, workers),
      workers,
      source: throughput.source,
      detail: throughput.detail,
    },
    points,
    truncated: tpe ? tpeRuns > points.length : plan.total > points.length,
    search: {
      method: spec.method,
      trials: spec.trials ?? null,
      timeBudgetMinutes: spec.timeBudgetMinutes ?? null,
      optimize: { metric: spec.optimize.metric, direction },
      pruner,
    },
    pruning: tpe && tpeCosts.length === 0 ? null : pruningEstimate(spec, tpe ? tpeCosts : trainedCosts, workers),
  };
}

export interface StartedSweep {
  sweepId: number;
  planned: number;
  queued: number;
  derived: number;
  /** The first 100 impossible points with why. */
  impossible: { index: number; values: SweepPoint['values']; error: string }[];
  impossibleCount: number;
  runIds: number[];
}

export interface QueueOptions extends WorkOptions {
  /** Who trains it: this machine's schedulers, or agents that pull its runs through a server. */
  runsOn?: 'here' | 'agents';
  /**
   * After each chunk: runs queued so far of all, and the sweep's progress event built from those
   * numbers (counting the sweep's runs for it costs O(runs) each time: issue 12).
   */
  onProgress?: (sweepId: number, queued: number, total: number, progress: SweepProgress) => void;
  /** The sweep row exists: its id (the CLI's scheduler adopts the sweeps its process starts). */
  onCreated?: (sweepId: number) => void;
  /**
   * Checked once the spec is valid, before anything is written (datasets/status.ts requireReady):
   * a sweep that could only fail for want of its data queues nothing.
   */
  readyDatasets?: ReadyDatasets;
}

/** Checks that datasets are ready to train on; returns each one's installed variant. */
export type ReadyDatasets = (names: DatasetName[]) => Partial<Record<string, string>>;

class SweepCanceled extends Error {}

/**
 * Queues a sweep as bounded work (issue 12: one request held the server for half an hour): the
 * points are planned in one streaming pass that yields, the sweep is created 'pending' (nothing of
 * it is claimed yet), its trained runs are written a chunk at a time — each chunk one transaction
 * sized to hold the writer ~50 ms, progress after each — and then it is 'running'. An abort, a
 * failure or a restart in between removes the sweep and what was queued (a failed start queues
 * nothing); a sweeps.cancel in between, from any process, stops it and cancels what was queued.
 */
export async function queueSweep(store: RunStore, spec: SweepSpec, options: QueueOptions = {}): Promise<StartedSweep> {
  checkBase(spec);
  const stream = pointStream(spec);
  // The request's parse, the checks and the stream's setup (cold code the first time) are a turn of their own.
  await yieldToLoop();
  const points = await planSweepAsync(stream, spec, { keepValues: true, signal: options.signal });
  refuseUnrunnable(spec, points);
  const label = sweepLabel(spec);
  const direction = spec.method === 'tpe' || spec.pruner ? directionOf(spec.optimize) : 'maximize';
  // TPE's points are proposed while it runs (searchDriver.ts); its first one now, so a spec whose
  // points cannot run at all is refused here, with nothing queued.
  const first = spec.method === 'tpe' ? proposeOne(spec, direction, []) : null;
  const plan = sweepPlanOf(spec, points, first);
  const ids = createPendingSweep(store, spec, plan, label, options);
  const runIds: number[] = [];
  try {
    await writeSweepRuns(store, { spec, stream, points, plan, first, label, ids }, runIds, options);
    store.updateSweep(ids.sweepId, { ...spec, plan }, 'running');
  } catch (error) {
    throw await afterQueueingStopped(store, spec, plan, ids.sweepId, error, { queued: runIds.length, total: points.counts.train });
  }
  return {
    sweepId: ids.sweepId,
    planned: plan.planned ?? runIds.length,
    queued: runIds.length,
    derived: first ? 0 : points.counts.derived,
    impossible: plan.impossible,
    impossibleCount: plan.impossibleCount ?? plan.impossible.length,
    runIds,
  };
}

type Proposal = ReturnType<typeof proposeOne>;
type SweepIds = { sweepId: number; experimentId: number | null };

/** A sweep none of whose points can run is refused with the first point's reason (TPE proposes its own). */
function refuseUnrunnable(spec: SweepSpec, points: PointPlan): void {
  if (points.counts.train + points.counts.derived > 0 || spec.method === 'tpe') return;
  const first = points.impossibleSample[0];
  throw new KernelLabError(
    'invalid_input',
    first
      ? `No point of the sweep can run; point ${first.index} (${describeValues(first.values) || 'the base'}): ${first.error}`
      : 'The sweep has no points',
  );
}

/** What the sweep row records of its plan: counts, folding and the impossible points (TPE's first proposal's). */
function sweepPlanOf(spec: SweepSpec, points: PointPlan, first: Proposal | null): SweepPlan {
  const runnable = points.counts.train + points.counts.derived;
  const plan: SweepPlan = {
    planned: spec.method === 'tpe' ? (spec.trials === undefined ? null : spec.trials * spec.repeats) : runnable,
    impossible: points.impossibleSample,
    impossibleCount: points.counts.impossible,
    trained: points.counts.train,
    folding: points.folding,
    closed: false,
    queueing: null,
  };
  if (first) {
    plan.impossible = first.infeasible.map((bad, index) => ({ index, values: bad.point, error: bad.error }));
    plan.impossibleCount = plan.impossible.length;
  }
  return plan;
}

/** The sweep row, 'pending' so nothing of it is claimed while it is queued; its datasets are checked first. */
function createPendingSweep(store: RunStore, spec: SweepSpec, plan: SweepPlan, label: string, options: QueueOptions): SweepIds {
  const experimentId = spec.experiment !== undefined ? store.experimentNamed(spec.experiment) : null;
  const datasetAxis = Array.isArray(spec.axes.dataset) ? (spec.axes.dataset as DatasetName[]) : [];
  options.readyDatasets?.([...new Set([spec.base.dataset, ...datasetAxis])]);
  // `queueing` names this process: a restart finds a sweep it left half-queued, and removes it.
  const sweepId = store.createSweep({
    name: label,
    experimentId,
    status: 'pending',
    spec: { ...spec, plan: { ...plan, queueing: store.owner } },
    runsOn: options.runsOn ?? 'here',
  }).id;
  options.onCreated?.(sweepId);
  return { sweepId, experimentId };
}

interface QueueJob {
  spec: SweepSpec;
  stream: PointStream;
  points: PointPlan;
  plan: SweepPlan;
  first: Proposal | null;
  label: string;
  ids: SweepIds;
}

/**
 * Writes the sweep's trained runs a chunk at a time, each chunk one transaction, yielding and
 * reporting progress after each; stops on an abort or when the sweep was canceled meanwhile.
 */
async function writeSweepRuns(store: RunStore, job: QueueJob, runIds: number[], options: QueueOptions): Promise<void> {
  const { spec, points, plan, ids } = job;
  const { sweepId } = ids;
  let chunk: NewRunParsed[] = [];
  // What writing one run has cost here lately (ms), kept high: the same chunk size takes 2-4x as
  // long from one transaction to the next, and the longest hold is what app.health waits for.
  let writeMs = 0.1;
  let sliceStart = performance.now();
  const flush = async () => {
    if (chunk.length > 0) {
      const started = performance.now();
      runIds.push(...store.addSweepRuns(sweepId, chunk));
      writeMs = Math.max((performance.now() - started) / chunk.length, writeMs * 0.8);
    }
    chunk = [];
    options.onProgress?.(
      sweepId,
      runIds.length,
      points.counts.train,
      queueingProgress(sweepId, { queued: runIds.length, total: points.counts.train }, plan),
    );
    await yieldToLoop();
    options.signal?.throwIfAborted();
    if (store.sweepStatus(sweepId) === 'canceled') throw new SweepCanceled();
    sliceStart = performance.now();
  };
  if (job.first) chunk.push(...proposalRuns(spec, job.first, 0, { ...plan, impossible: [] }, ids).runs.map(parsedRun));
  for (const point of job.stream.points()) {
    if (points.role(point.index) === 'train') {
      const derived = points.derivedOf(point.index).map((d) => derivedPoint(points, d, spec.repeats));
      chunk.push(parsedRun(pointRun(spec, job.label, points.apply(point), derived, ids)));
    }
    // A turn builds a chunk and writes it in one transaction: both count against turnMs.
    if (performance.now() - sliceStart + chunk.length * writeMs >= turnMs) await flush();
  }
  await flush();
}

/**
 * Queueing stopped before the end. Canceled meanwhile: what was queued ends canceled, like the rest
 * of a canceled sweep. Aborted or failed: the sweep and its runs are removed. Returns what to throw.
 */
async function afterQueueingStopped(
  store: RunStore,
  spec: SweepSpec,
  plan: SweepPlan,
  sweepId: number,
  error: unknown,
  progress: { queued: number; total: number },
): Promise<unknown> {
  if (error instanceof SweepCanceled) {
    while (store.cancelOpenRuns(sweepId, bulkChunk) > 0) await yieldToLoop();
    store.updateSweep(sweepId, { ...spec, plan });
    return coded(
      'conflict',
      `Sweep ${sweepId} was canceled while it was being queued (${progress.queued} of ${progress.total} runs queued)`,
      'error_sweep_canceled_while_queued',
      { id: sweepId, ...progress },
    );
  }
  await removeSweep(store, sweepId);
  return error;
}

/**
 * Where a sweep being queued stands, from what queueing knows: its runs so far are all queued and
 * none has started (the scheduler claims nothing of a pending sweep). The same event the scheduler
 * counts in SQL once the sweep is running (Scheduler.progress), without counting anything.
 */
export function queueingProgress(
  sweepId: number,
  queueing: { queued: number; total: number },
  plan: Pick<SweepPlan, 'planned' | 'impossible' | 'impossibleCount'>,
): SweepProgress {
  return {
    sweepId,
    status: 'pending',
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

/** Deletes a sweep and its runs a chunk at a time (a failed or abandoned queueing). */
export async function removeSweep(store: RunStore, sweepId: number): Promise<void> {
  while (store.deleteSweepChunk(sweepId, bulkChunk) > 0) await yieldToLoop();
}

/** Queues one run (a queue of one): what `kernellab train` and a single start use. */
export function queueRun(
  store: RunStore,
  input: {
    name?: string;
    modelSpec: ModelSpec;
    hyperparameters: Hyperparameters;
    dataset: keyof typeof registry;
    subset?: SubsetSpec | null;
    priority?: number;
    experimentId?: number | null;
    /** Only this owner's scheduler may claim it. */
    reservedFor?: string | null;
    /** The installed variant of the dataset (requireReady), so the run's image counts are known. */
    datasetVariant?: string | undefined;
  },
): RunRecord {
  const subset = subsetPerClass(input.subset ?? null, input.dataset);
  return store.createRun({
    name: input.name ?? `${input.modelSpec.name} on ${input.dataset}`,
    experimentId: input.experimentId ?? null,
    modelSpec: input.modelSpec,
    dataset: input.dataset,
    backend: input.hyperparameters.backend ?? 'auto',
    seed: input.hyperparameters.seed,
    hyperparameters: input.hyperparameters as unknown as Record<string, unknown>,
    environment: { subset, ...(input.datasetVariant && { datasetVariant: input.datasetVariant }) },
    priority: input.priority ?? 0,
    reservedFor: input.reservedFor ?? null,
  });
}

/** Validates one run exactly as a sweep point (same field names in errors) and queues it. */
export function queueSingleRun(
  store: RunStore,
  input: z.output<typeof StartRunInput>,
  readyDatasets: ReadyDatasets = () => ({}),
): RunRecord {
  const spec = parseSweepSpec(
    { base: input.run, axes: Object.fromEntries(Object.entries(input.set).map(([k, v]) => [k, [v]])), yes: input.yes },
    'run',
  );
  const [point] = expandSweep(spec).points;
  if (!point || point.role === 'impossible') {
    throw new KernelLabError(
      'invalid_input',
      `Invalid run: ${point?.error ?? 'nothing to run'}`,
      point?.error ? point.error.split('; ') : [],
    );
  }
  const datasetVariant = readyDatasets([point.dataset])[point.dataset];
  const experimentId = input.experiment ? store.experimentNamed(input.experiment) : null;
  return queueRun(store, {
    name:
      input.name ??
      `${input.run.preset ?? point.modelSpec!.name} on ${point.dataset}${describeValues(point.values) ? ` ${describeValues(point.values)}` : ''}`.slice(
        0,
        200,
      ),
    modelSpec: point.modelSpec!,
    hyperparameters: point.hyperparameters!,
    dataset: point.dataset,
    subset: point.subset,
    priority: input.priority,
    experimentId,
    // A run pinned to webgpu/webgl is trained by a page's GPU host, never by this process: it stays open to that claim.
    reservedFor: input.runHere && !isGpuHostBackend(point.hyperparameters!.backend) ? store.owner : null,
    datasetVariant,
  });
}

/**
 * Refuses to queue training while the data folder cannot take it (read-only, or the database
 * deleted under a running server): a run started now would fail at its first checkpoint.
 */
export function requireWritableData(store: RunStore, layout: Pick<DataDirLayout, 'root' | 'runs'>): void {
  const problem = dataFolderProblem(store, layout);
  if (problem) throw coded('unavailable', `Cannot start training: ${problem}.`, 'error_cannot_start_training', { problem });
}

/** Why runs could not be trained and recorded in this data folder now, or null. */
export function dataFolderProblem(store: RunStore, layout: Pick<DataDirLayout, 'root' | 'runs'>): string | null {
  const gone = store.fileProblem();
  if (gone) return gone;
  for (const dir of [layout.root, layout.runs]) {
    try {
      accessSync(dir, constants.W_OK);
    } catch (error) {
      return `the data folder ${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); make it writable or choose another with --home`;
    }
  }
  return null;
}
