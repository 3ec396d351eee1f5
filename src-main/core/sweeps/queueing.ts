/**
 * Putting work on the queue (the runs table): one run, or a sweep with every trained run in one
 * transaction, each validated as a sweep point so errors name the same fields. The scheduler
 * (scheduler.ts) takes it from there.
 */
import { accessSync, constants } from 'node:fs';
import type { z } from 'zod';
import type { StartRunInput, SubsetSpec } from '../contract/runs.ts';
import type { SweepPointOut, SweepPreview, SweepSpec } from '../contract/sweeps.ts';
import type { Hyperparameters, ModelSpec } from '../contract/training.ts';
import type { RunRecord, RunStore } from '../db/RunStore.ts';
import type { registry } from '../datasets/registry.ts';
import { KernelLabError } from '../errors.ts';
import type { DataDirLayout } from '../home.ts';
import { machineThroughput, pointSeconds, sweepSeconds } from './estimate.ts';
import { expandSweep, type ExpandedSweep, type SweepPoint } from './expand.ts';
import { describeValues, pointRun, subsetPerClass, sweepLabel } from './pointRun.ts';
import { directionOf, proposalRuns, proposeOne, type SweepPlan } from './searchDriver.ts';
import { pruningEstimate, tpeFirstPoints, tpeSeconds } from './searchPreview.ts';
import { checkBase, parseSweepSpec } from './sweepSpec.ts';

export { subsetPerClass } from './pointRun.ts';

export function previewOf(spec: SweepSpec, expanded: ExpandedSweep, store: RunStore | undefined, workers: number): SweepPreview {
  const throughput = machineThroughput(store);
  const tpe = spec.method === 'tpe';
  // TPE proposes while it runs: its preview shows the first points it will train.
  const shown = tpe ? tpeFirstPoints(spec, Math.min(10, (spec.trials ?? 10) * spec.repeats)) : expanded.points;
  const points: SweepPointOut[] = shown.slice(0, 5000).map((p) => ({
    index: p.index,
    values: p.values,
    repeat: p.repeat,
    seed: p.seed,
    dataset: p.dataset,
    epochs: p.epochs,
    role: p.role,
    foldedInto: p.foldedInto,
    error: p.error,
    estimatedSeconds: pointSeconds(p, throughput),
  }));
  const count = (role: SweepPoint['role']) => expanded.points.filter((p) => p.role === role).length;
  const tpeRuns = (spec.trials ?? 0) * spec.repeats;
  const direction = tpe || spec.pruner ? directionOf(spec.optimize) : (spec.optimize.direction ?? 'maximize');
  const pruner = spec.pruner
    ? spec.pruner.type === 'asha'
      ? `asha (r = ${spec.pruner.minEpochs}, η = ${spec.pruner.reductionFactor}, s = ${spec.pruner.minEarlyStoppingRate})`
      : `median (after ${spec.pruner.startupTrials} runs, warm-up ${spec.pruner.warmupEpochs} epochs)`
    : null;
  return {
    planned: tpe ? tpeRuns : count('train') + count('derived'),
    trained: tpe ? tpeRuns : count('train'),
    derived: count('derived'),
    impossible: count('impossible'),
    folding: expanded.folding,
    estimate: {
      seconds: tpe ? tpeSeconds(spec, shown, throughput, workers) : sweepSeconds(expanded.points, throughput, workers),
      workers,
      source: throughput.source,
      detail: throughput.detail,
    },
    points,
    truncated: tpe ? tpeRuns > points.length : expanded.points.length > points.length,
    search: {
      method: spec.method,
      trials: spec.trials ?? null,
      timeBudgetMinutes: spec.timeBudgetMinutes ?? null,
      optimize: { metric: spec.optimize.metric, direction },
      pruner,
    },
    pruning: tpe ? null : pruningEstimate(spec, expanded.points, throughput, workers),
  };
}

export interface StartedSweep {
  sweepId: number;
  planned: number;
  queued: number;
  derived: number;
  impossible: { index: number; values: SweepPoint['values']; error: string }[];
  runIds: number[];
}

/** Queues a sweep: the sweep row and every trained run in one transaction, so a failure queues nothing. */
export function queueSweep(store: RunStore, spec: SweepSpec, runsOn: 'here' | 'agents' = 'here'): StartedSweep {
  checkBase(spec);
  const expanded = expandSweep(spec);
  const runnable = expanded.points.filter((p) => p.role !== 'impossible');
  const impossible = expanded.points
    .filter((p) => p.role === 'impossible')
    .map((p) => ({ index: p.index, values: p.values, error: p.error! }));
  if (runnable.length === 0 && spec.method !== 'tpe') {
    const first = impossible[0];
    throw new KernelLabError(
      'invalid_input',
      first
        ? `No point of the sweep can run; point ${first.index} (${describeValues(first.values) || 'the base'}): ${first.error}`
        : 'The sweep has no points',
    );
  }
  const label = sweepLabel(spec);
  const direction = spec.method === 'tpe' || spec.pruner ? directionOf(spec.optimize) : 'maximize';
  // TPE's points are proposed while it runs (searchDriver.ts); its first one now, so a spec whose
  // points cannot run at all is refused here, with nothing queued.
  const first = spec.method === 'tpe' ? proposeOne(spec, direction, []) : null;
  const planned = spec.method === 'tpe' ? (spec.trials === undefined ? null : spec.trials * spec.repeats) : runnable.length;
  const plan: SweepPlan = { planned, impossible, folding: expanded.folding, closed: false };
  if (first) plan.impossible = first.infeasible.map((bad, index) => ({ index, values: bad.point, error: bad.error }));
  const { sweepId, runIds } = store.createSweepWithRuns(
    { name: label, experimentName: spec.experiment, status: 'running', spec: { ...spec, plan }, runsOn },
    function* (ids) {
      if (first) yield* proposalRuns(spec, first, 0, { ...plan, impossible: [] }, ids).runs;
      for (const point of expanded.points) {
        if (point.role !== 'train') continue;
        yield pointRun(
          spec,
          label,
          point,
          expanded.points.filter((d) => d.role === 'derived' && d.foldedInto === point.index),
          ids,
        );
      }
    },
  );
  return {
    sweepId,
    planned: planned ?? runIds.length,
    queued: runIds.length,
    derived: first ? 0 : runnable.length - runIds.length,
    impossible: plan.impossible,
    runIds,
  };
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
    environment: { subset },
    priority: input.priority ?? 0,
    reservedFor: input.reservedFor ?? null,
  });
}

/** Validates one run exactly as a sweep point (same field names in errors) and queues it. */
export function queueSingleRun(store: RunStore, input: z.output<typeof StartRunInput>): RunRecord {
  const spec = parseSweepSpec({ base: input.run, axes: Object.fromEntries(Object.entries(input.set).map(([k, v]) => [k, [v]])) }, 'run');
  const [point] = expandSweep(spec).points;
  if (!point || point.role === 'impossible') {
    throw new KernelLabError(
      'invalid_input',
      `Invalid run: ${point?.error ?? 'nothing to run'}`,
      point?.error ? point.error.split('; ') : [],
    );
  }
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
    reservedFor: input.runHere ? store.owner : null,
  });
}

/**
 * Refuses to queue training while the data folder cannot take it (read-only, or the database
 * deleted under a running server): a run started now would fail at its first checkpoint.
 */
export function requireWritableData(store: RunStore, layout: Pick<DataDirLayout, 'root' | 'runs'>): void {
  const problem = dataFolderProblem(store, layout);
  if (problem) throw new KernelLabError('unavailable', `Cannot start training: ${problem}.`);
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
