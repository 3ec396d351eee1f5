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
import { registry } from '../datasets/registry.ts';
import { KernelLabError } from '../errors.ts';
import type { DataDirLayout } from '../home.ts';
import { machineThroughput, pointSeconds, sweepSeconds } from './estimate.ts';
import { expandSweep, type ExpandedSweep, type SweepPoint } from './expand.ts';
import type { SweepRunInfo } from './folding.ts';
import { checkBase, parseSweepSpec } from './sweepSpec.ts';

/** The subset as the worker takes it: images per class. */
export function subsetPerClass(
  subset: SubsetSpec | null,
  dataset: keyof typeof registry,
): { trainPerClass?: number; testPerClass?: number } {
  if (!subset) return {};
  const classes = registry[dataset].classNames.length;
  const per = (n: number | undefined) => (n === undefined ? undefined : Math.max(1, Math.floor(n / classes)));
  const out: { trainPerClass?: number; testPerClass?: number } = {};
  const train = per(subset.train);
  const test = per(subset.test);
  if (train !== undefined) out.trainPerClass = train;
  if (test !== undefined) out.testPerClass = test;
  return out;
}

function describeValues(values: SweepPoint['values']): string {
  const parts = Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(' ');
}

function pointName(prefix: string, point: SweepPoint, repeats: number): string {
  const values = describeValues(point.values);
  const name = `${prefix}${values ? ` ${values}` : ''}${repeats > 1 ? ` #${point.repeat + 1}` : ''}`;
  return name.slice(0, 200);
}

export function previewOf(spec: SweepSpec, expanded: ExpandedSweep, store: RunStore | undefined, workers: number): SweepPreview {
  const throughput = machineThroughput(store);
  const points: SweepPointOut[] = expanded.points.slice(0, 5000).map((p) => ({
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
  return {
    planned: count('train') + count('derived'),
    trained: count('train'),
    derived: count('derived'),
    impossible: count('impossible'),
    folding: expanded.folding,
    estimate: {
      seconds: sweepSeconds(expanded.points, throughput, workers),
      workers,
      source: throughput.source,
      detail: throughput.detail,
    },
    points,
    truncated: expanded.points.length > points.length,
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
  if (runnable.length === 0) {
    const first = impossible[0];
    throw new KernelLabError(
      'invalid_input',
      first
        ? `No point of the sweep can run; point ${first.index} (${describeValues(first.values) || 'the base'}): ${first.error}`
        : 'The sweep has no points',
    );
  }
  const modelName = (spec.base.model as { name?: unknown } | undefined)?.name;
  const label = spec.name ?? `${spec.base.preset ?? (typeof modelName === 'string' ? modelName : 'model')} on ${spec.base.dataset}`;
  const plan = { planned: runnable.length, impossible, folding: expanded.folding };
  const { sweepId, runIds } = store.createSweepWithRuns(
    { name: label, experimentName: spec.experiment, status: 'running', spec: { ...spec, plan }, runsOn },
    function* ({ sweepId, experimentId }) {
      for (const point of expanded.points) {
        if (point.role !== 'train') continue;
        const derived = expanded.points
          .filter((d) => d.role === 'derived' && d.foldedInto === point.index)
          .map((d) => ({ point: d.index, epochs: d.epochs, name: pointName(label, d, spec.repeats), values: d.values }));
        const info: SweepRunInfo = {
          point: point.index,
          values: point.values,
          repeat: point.repeat,
          subset: subsetPerClass(point.subset, point.dataset),
          evaluateAtEpochs: point.evaluateAtEpochs,
          derived,
        };
        yield {
          name: pointName(label, point, spec.repeats),
          experimentId,
          sweepId,
          modelSpec: point.modelSpec!,
          dataset: point.dataset,
          backend: point.hyperparameters!.backend ?? 'auto',
          seed: point.seed,
          hyperparameters: point.hyperparameters! as unknown as Record<string, unknown>,
          environment: { sweep: info, subset: info.subset },
          priority: spec.priority,
        };
      }
    },
  );
  return { sweepId, planned: runnable.length, queued: runIds.length, derived: runnable.length - runIds.length, impossible, runIds };
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
