/**
 * A sweep point as a queued run: its name, its recorded sweep info (point, axis values, repeat,
 * subset, folding plan) and the run row. Used when a sweep is queued and when the search proposes
 * a point while the sweep runs, so both record points the same way.
 */
import { registry } from '../datasets/registry.ts';
import type { AxisValue, SubsetSpec } from '../contract/runs.ts';
import type { Hyperparameters, ModelSpec } from '../contract/training.ts';
import type { DatasetName } from '../datasets/registry.ts';
import type { SweepSpec } from '../contract/sweeps.ts';
import type { NewRun } from '../db/RunStore.ts';
import { coreText, type ProblemText } from '../contract/coreText.ts';
import { KernelLabError } from '../errors.ts';
import type { SweepRunInfo } from './folding.ts';

/** The subset as the worker takes it: images per class. */
/** One point of a sweep as expand.ts builds it: what a run of it trains, or why it cannot. */
export interface SweepPoint {
  /** Position in the sweep, from 0. */
  index: number;
  /** The axis values that define this point (repeat excluded). */
  values: Record<string, AxisValue>;
  repeat: number;
  seed: number;
  dataset: DatasetName;
  subset: SubsetSpec | null;
  epochs: number;
  /** Null when the point is impossible. */
  modelSpec: ModelSpec | null;
  hyperparameters: Hyperparameters | null;
  /** Why the point cannot run (the field and the problem), or null: its problems joined with '; '. */
  error: string | null;
  /** The same problems one by one with their coded forms (contract/coreText.ts), or null. */
  errorCodes: ProblemText[] | null;
  /** Forward FLOPs of one image through the model (0 when impossible). */
  forwardFlops: number;
  /**
   * 'train': a worker trains it. 'derived': its results are the first `epochs` epochs of the
   * point `foldedInto` (epoch folding). 'impossible': nothing runs.
   */
  role: 'train' | 'derived' | 'impossible';
  foldedInto: number | null;
  /** For a trained point with derived points: the shorter epoch counts to evaluate on test after. */
  evaluateAtEpochs: number[];
}

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

export function describeValues(values: SweepPoint['values']): string {
  const parts = Object.entries(values).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  return parts.join(' ');
}

export function pointName(prefix: string, point: Pick<SweepPoint, 'values' | 'repeat'>, repeats: number): string {
  const values = describeValues(point.values);
  const name = `${prefix}${values ? ` ${values}` : ''}${repeats > 1 ? ` #${point.repeat + 1}` : ''}`;
  return name.slice(0, 200);
}

/** The sweep's name: the spec's, or the model and dataset. */
export function sweepLabel(spec: SweepSpec): string {
  const modelName = (spec.base.model as { name?: unknown } | undefined)?.name;
  return spec.name ?? `${spec.base.preset ?? (typeof modelName === 'string' ? modelName : 'model')} on ${spec.base.dataset}`;
}

/** The queued run of a trained point, with the derived points folded into it. */
export function pointRun(
  spec: SweepSpec,
  label: string,
  point: SweepPoint,
  derived: readonly Pick<SweepPoint, 'index' | 'epochs' | 'values' | 'repeat'>[],
  ids: { sweepId: number; experimentId: number | null },
): NewRun {
  const info: SweepRunInfo = {
    point: point.index,
    values: point.values,
    repeat: point.repeat,
    subset: subsetPerClass(point.subset, point.dataset),
    evaluateAtEpochs: point.evaluateAtEpochs,
    derived: derived.map((d) => ({ point: d.index, epochs: d.epochs, name: pointName(label, d, spec.repeats), values: d.values })),
  };
  return {
    name: pointName(label, point, spec.repeats),
    experimentId: ids.experimentId,
    sweepId: ids.sweepId,
    modelSpec: point.modelSpec!,
    dataset: point.dataset,
    backend: point.hyperparameters!.backend ?? 'auto',
    seed: point.seed,
    hyperparameters: point.hyperparameters! as unknown as Record<string, unknown>,
    environment: { sweep: info, subset: info.subset },
    priority: spec.priority,
  };
}

/**
 * `Invalid run: <its problems>` for a single run whose point cannot run (runs.start): each problem
 * an issue, with its coded form, so the page and the CLI say it in the user's language.
 */
export function invalidRunPoint(point: Pick<SweepPoint, 'error' | 'errorCodes'> | undefined): KernelLabError {
  const problems = point?.errorCodes ?? [];
  if (problems.length === 0)
    return new KernelLabError('invalid_input', `Invalid run: ${point?.error ?? 'nothing to run'}`, [], {
      text: coreText('error_invalid_run_nothing', {}),
    });
  return new KernelLabError(
    'invalid_input',
    `Invalid run: ${problems.map((p) => p.sentence).join('; ')}`,
    problems.map((p) => p.sentence),
    { text: coreText('error_invalid_run', {}), issueTexts: problems.map((p) => ({ path: p.path, text: p.text })) },
  );
}
