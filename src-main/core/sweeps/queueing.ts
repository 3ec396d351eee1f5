/**
 * Putting work on the queue (the runs table): one run, or a sweep queued a chunk at a time (bounded
 * work, see queueSweep), each validated as a sweep point so errors name the same fields. The
 * scheduler (scheduler.ts) takes it from there.
 */
import { accessSync, constants } from 'node:fs';
import type { z } from 'zod';
import type { StartRunInput, SubsetSpec } from '../contract/runs.ts';
import { SweepSpec, type SweepPointOut, type SweepPreview, type SweepProgress } from '../contract/sweeps.ts';
import type { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { isGpuHostBackend } from '../contract/app.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { RunRecord, RunStore, SweepHead } from '../db/RunStore.ts';
import type { DatasetName, registry } from '../datasets/registry.ts';
import { coded } from '../errors.ts';
import type { DataDirLayout } from '../home.ts';
import { machineThroughput, pointSeconds, scheduleSeconds } from './estimate.ts';
import { expandSweep, pointStream } from './expand.ts';
import { planSweepAsync, type PointPlan } from './pointPlan.ts';
import type { SweepPoint } from './pointRun.ts';
import { describeValues, invalidRunPoint, subsetPerClass, sweepLabel } from './pointRun.ts';
import { directionOf, proposeOne, readPlan, type SweepPlan } from './searchDriver.ts';
import { pruningEstimate, tpeFirstPoints, tpeSeconds, type TrainedCost } from './searchPreview.ts';
import { checkBase, parseSweepSpec } from './sweepSpec.ts';
import {
  afterQueueingStopped,
  bulkChunk,
  finishQueueing,
  writeSweepRuns,
  yieldToLoop,
  type Proposal,
  type QueueJob,
  type SweepIds,
  type WriteHooks,
} from './sweepWriter.ts';

export { subsetPerClass } from './pointRun.ts';
export { bulkChunk, parsedRun, queueingProgress } from './sweepWriter.ts';

/** The preview shows this many points; the rest are counted and estimated. */
const previewPoints = 5000;

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
    errorCodes: p.errorCodes,
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
      detailCode: throughput.detailCode,
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
  /** Runs queued when the answer went; all of them unless `queueing`. */
  queued: number;
  derived: number;
  /** The first 100 impossible points with why. */
  impossible: { index: number; values: SweepPoint['values']; error: string }[];
  impossibleCount: number;
  runIds: number[];
  /** Queueing goes on in the background (QueueOptions.background); sweep.progress tells how far it is. */
  queueing: boolean;
}

/** Where queueing goes on after the answer: BackgroundQueueing (backgroundQueueing.ts) tracks it. */
export interface QueueingTracker {
  /** This process is closing: background queueing stops, leaving the sweep for the next owner. */
  readonly closing: AbortSignal;
  /** The rest of a sweep's queueing, running after the answer. */
  track(sweepId: number, rest: Promise<void>): void;
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
  /**
   * Answer once the sweep and its first chunk of runs are committed, and go on queueing in the
   * background (issue 12: a user who starts 100,000 points sees the sweep at once). Without it,
   * queueSweep resolves once every run is queued; `signal` then also stops the queueing.
   */
  background?: QueueingTracker;
}

/** Checks that datasets are ready to train on; returns each one's installed variant. */
export type ReadyDatasets = (names: DatasetName[]) => Partial<Record<string, string>>;

/**
 * Queues a sweep as bounded work (issue 12: one request held the server for half an hour): the
 * points are planned in one streaming pass that yields (`signal` stops it, nothing written), the
 * sweep is created 'pending' with its plan (nothing of it is claimed yet), its trained runs are
 * written a chunk at a time (sweepWriter.ts), and then it is 'running'. With `background` the
 * answer comes after the first chunk; a sweep that is queued within that first turn answers as if
 * queued in the foreground. A failure before the answer removes the sweep; after it, the sweep
 * ends 'failed' saying why; a process that ends meanwhile leaves it to be resumed (resumeQueueing).
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
  // A caller gone before the sweep exists (planning can end within a turn, unchecked) leaves nothing.
  options.signal?.throwIfAborted();
  const ids = createPendingSweep(store, spec, plan, label, options);
  const job: QueueJob = { spec, stream, points, plan, first, label, ids, from: 0, queuedBefore: 0 };
  const { background } = options;
  const closing = background ? background.closing : options.signal;
  const runIds: number[] = [];
  let answered = false;
  let firstChunkQueued = () => {};
  const firstChunk = new Promise<void>((resolve) => (firstChunkQueued = resolve));
  const onFirstChunk = () => {
    answered = background !== undefined;
    firstChunkQueued();
  };
  const rest = (async () => {
    try {
      await writeSweepRuns(store, job, runIds, { closing, onProgress: options.onProgress, onFirstChunk });
      finishQueueing(store, job);
    } catch (error) {
      throw await afterQueueingStopped(store, job, error, { queued: runIds.length, total: points.counts.train, answered, closing });
    }
  })();
  if (background) await Promise.race([rest, firstChunk]);
  else await rest;
  if (answered) background?.track(ids.sweepId, rest);
  return {
    sweepId: ids.sweepId,
    planned: plan.planned ?? runIds.length,
    queued: runIds.length,
    derived: first ? 0 : points.counts.derived,
    impossible: plan.impossible,
    impossibleCount: plan.impossibleCount ?? plan.impossible.length,
    runIds: runIds.slice(),
    queueing: answered,
  };
}

/**
 * Goes on queueing a sweep that a process which ended left half-queued (its plan names that
 * process in `queueing`), from the point it stopped at: the spec stored with the sweep is expanded
 * again (its sampler seed is stored with it, so random search draws the same points) and only the
 * points from `next` on are queued. Does nothing when another process took it over first.
 */
export async function resumeQueueing(store: RunStore, sweep: SweepHead, hooks: WriteHooks): Promise<void> {
  const stored = readPlan(sweep);
  if (stored.queueing === null || !store.takeOverQueueing(sweep.id, stored.queueing)) return;
  const { plan: _plan, ...rest } = (sweep.spec ?? {}) as Record<string, unknown>;
  const spec = SweepSpec.parse(rest);
  const stream = pointStream(spec);
  const points = await planSweepAsync(stream, spec, { keepValues: true, signal: hooks.closing });
  const direction = spec.method === 'tpe' || spec.pruner ? directionOf(spec.optimize) : 'maximize';
  const first = spec.method === 'tpe' ? proposeOne(spec, direction, []) : null;
  const queuedBefore = Object.values(store.getSweep(sweep.id)?.runCounts ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  const ids = { sweepId: sweep.id, experimentId: sweep.experimentId };
  const job: QueueJob = { spec, stream, points, plan: stored, first, label: sweep.name, ids, from: stored.next ?? 0, queuedBefore };
  const runIds: number[] = [];
  try {
    await writeSweepRuns(store, job, runIds, hooks);
    finishQueueing(store, job);
  } catch (error) {
    const queued = queuedBefore + runIds.length;
    throw await afterQueueingStopped(store, job, error, { queued, total: points.counts.train, answered: true, closing: hooks.closing });
  }
}

/** A sweep none of whose points can run is refused with the first point's reason (TPE proposes its own). */
function refuseUnrunnable(spec: SweepSpec, points: PointPlan): void {
  if (points.counts.train + points.counts.derived > 0 || spec.method === 'tpe') return;
  const first = points.impossibleSample[0];
  if (!first) throw coded('invalid_input', 'The sweep has no points', 'sweep_no_points', {});
  const values = describeValues(first.values);
  // The point's problems coded; one uncoded problem (the English as it is) where the point has none.
  const problems = first.errorCodes?.length ? first.errorCodes.slice(0, 100) : [{ sentence: first.error, path: '', text: null }];
  const message = `No point of the sweep can run; point ${first.index} (${values || 'the base'}): ${first.error}`;
  throw values
    ? coded('invalid_input', message, 'sweep_no_point_runs', { index: first.index, values: values.slice(0, 1000), problems })
    : coded('invalid_input', message, 'sweep_no_point_runs_base', { index: first.index, problems });
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
    plan.impossible = first.infeasible.map((bad, index) => ({
      index,
      values: bad.point,
      error: bad.error,
      ...(bad.errorCodes && { errorCodes: bad.errorCodes }),
    }));
    plan.impossibleCount = plan.impossible.length;
  }
  return plan;
}

/** The sweep row, 'pending' so nothing of it is claimed while it is queued; its datasets are checked first. */
function createPendingSweep(store: RunStore, spec: SweepSpec, plan: SweepPlan, label: string, options: QueueOptions): SweepIds {
  const experimentId = spec.experiment !== undefined ? store.experimentNamed(spec.experiment) : null;
  const datasetAxis = Array.isArray(spec.axes.dataset) ? (spec.axes.dataset as DatasetName[]) : [];
  options.readyDatasets?.([...new Set([spec.base.dataset, ...datasetAxis])]);
  // `queueing` names this process and `next` where its queueing stands: a restart resumes it there.
  const sweepId = store.createSweep({
    name: label,
    experimentId,
    status: 'pending',
    spec: { ...spec, plan: { ...plan, queueing: store.owner, next: 0 } },
    runsOn: options.runsOn ?? 'here',
  }).id;
  options.onCreated?.(sweepId);
  return { sweepId, experimentId };
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
  if (!point || point.role === 'impossible') throw invalidRunPoint(point);
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
  if (problem)
    throw coded('unavailable', `Cannot start training: ${problem.sentence}.`, 'error_cannot_start_training', {
      problem: [{ sentence: problem.sentence, path: '', text: problem.text }],
    });
}

/** Why the data folder cannot take a run now (the database gone, a folder not writable), with its coded form; null when it can. */
export function dataFolderProblem(
  store: RunStore,
  layout: Pick<DataDirLayout, 'root' | 'runs'>,
): { sentence: string; text: CoreText } | null {
  const gone = store.fileGone();
  if (gone) return gone;
  for (const dir of [layout.root, layout.runs]) {
    try {
      accessSync(dir, constants.W_OK);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return {
        sentence: `the data folder ${dir} is not writable (${reason}); make it writable or choose another with --home`,
        text: coreText('error_data_folder_not_writable', { folder: dir.slice(0, 1000), reason: reason.slice(0, 1000) }),
      };
    }
  }
  return null;
}
