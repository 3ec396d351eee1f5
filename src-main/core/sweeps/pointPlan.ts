/**
 * The plan of a sweep: one pass over its point stream that decides each point's role (train,
 * derived, impossible), its cost, and epoch folding, kept in a few bytes per point so a preview
 * of 10⁶ points never holds 10⁶ points. Pure, like expand.ts: the preview and `start` agree.
 */
import { registry } from '../datasets/registry.ts';
import type { AxisValue } from '../contract/runs.ts';
import type { Folding, SweepSpec } from '../contract/sweeps.ts';
import type { ImpossiblePoint } from '../contract/sweepImportance.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { SweepPoint } from './pointRun.ts';

/**
 * A spec's points, built one at a time and in order (expand.ts's `pointStream` makes one); iterate
 * `points()` as often as needed. Planning reads only each point's fold key from the builder.
 */
export interface PointStream {
  total: number;
  builder: { foldKey(point: SweepPoint): string };
  points(): Generator<SweepPoint>;
}

const epochAxisNames = new Set(['epochs', 'hyperparameters.epochs']);

const roleCodes = { impossible: 0, train: 1, derived: 2 } as const;
const roleNames = ['impossible', 'train', 'derived'] as const;

/**
 * What a sweep will do, point by point, in a few bytes each: role, epochs, the point it is
 * folded into, what each trained point evaluates at, and what it costs. Built in one pass over
 * the point stream (planSweep), so a preview of 10⁶ points never holds 10⁶ points.
 */
export class PointPlan {
  readonly total: number;
  readonly folding: Folding;
  readonly #role: Uint8Array;
  readonly #epochs: Int32Array;
  readonly #foldedInto: Int32Array;
  readonly #evaluateAt: Map<number, number[]>;
  readonly #derivedOf: Map<number, number[]>;
  /** Per point: seconds of one epoch of training (+ validation) and of one test evaluation, in FLOPs. */
  readonly #epochFlops: Float64Array;
  readonly #testFlops: Float64Array;
  /** The axis values of points that take part in folding, kept when asked (queueing names derived runs). */
  readonly values: Map<number, Record<string, AxisValue>>;
  /** The first impossible points with why (the rest are counted). */
  readonly impossibleSample: ImpossiblePoint[];
  readonly counts: { train: number; derived: number; impossible: number };

  constructor(init: {
    total: number;
    folding: PointPlan['folding'];
    role: Uint8Array;
    epochs: Int32Array;
    foldedInto: Int32Array;
    evaluateAt: Map<number, number[]>;
    derivedOf: Map<number, number[]>;
    epochFlops: Float64Array;
    testFlops: Float64Array;
    values: Map<number, Record<string, AxisValue>>;
    impossibleSample: PointPlan['impossibleSample'];
  }) {
    this.total = init.total;
    this.folding = init.folding;
    this.#role = init.role;
    this.#epochs = init.epochs;
    this.#foldedInto = init.foldedInto;
    this.#evaluateAt = init.evaluateAt;
    this.#derivedOf = init.derivedOf;
    this.#epochFlops = init.epochFlops;
    this.#testFlops = init.testFlops;
    this.values = init.values;
    this.impossibleSample = init.impossibleSample;
    const counts = { train: 0, derived: 0, impossible: 0 };
    for (const code of init.role) counts[roleNames[code]!]++;
    this.counts = counts;
  }

  role(index: number): SweepPoint['role'] {
    return roleNames[this.#role[index]!]!;
  }

  epochs(index: number): number {
    return this.#epochs[index]!;
  }

  foldedInto(index: number): number | null {
    const into = this.#foldedInto[index]!;
    return into < 0 ? null : into;
  }

  evaluateAtEpochs(index: number): number[] {
    return this.#evaluateAt.get(index) ?? [];
  }

  /** The derived points folded into trained point `index`, in sweep order. */
  derivedOf(index: number): number[] {
    return this.#derivedOf.get(index) ?? [];
  }

  /** A point as the plan decided it (role, folding), from the point the stream built. */
  apply(point: SweepPoint): SweepPoint {
    point.role = this.role(point.index);
    point.foldedInto = this.foldedInto(point.index);
    point.evaluateAtEpochs = this.evaluateAtEpochs(point.index);
    return point;
  }

  /** FLOPs one worker spends on a trained point (0 for derived and impossible ones). */
  pointFlops(index: number): number {
    if (this.#role[index] !== roleCodes.train) return 0;
    return this.#epochs[index]! * this.#epochFlops[index]! + (1 + this.evaluateAtEpochs(index).length) * this.#testFlops[index]!;
  }
}

/** Runs a plan step by step: synchronously, or yielding to the event loop between time slices. */
type PlanSteps = Generator<number, PointPlan, undefined>;

/** Plans a sweep synchronously (small sweeps, tests); large ones use planSweepAsync. */
export function planSweep(stream: PointStream, spec: SweepSpec, options: { keepValues?: boolean } = {}): PointPlan {
  const steps = planSteps(stream, spec, options.keepValues ?? false);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * The longest a sweep's planning or queueing holds the event loop at a time (ms) before it yields:
 * the server answers other calls in between (app.health < 100 ms while 100,000 points are queued,
 * issue 12), and no other writer waits long for the database.
 */
export const turnMs = 25;

/**
 * Plans a sweep without holding the event loop: it yields after every ~turnMs of work, reports how
 * many points it has built, and stops with the signal (the caller is gone, or the service closes).
 */
export async function planSweepAsync(
  stream: PointStream,
  spec: SweepSpec,
  options: { keepValues?: boolean; signal?: AbortSignal; onProgress?: (built: number) => void } = {},
): Promise<PointPlan> {
  const steps = planSteps(stream, spec, options.keepValues ?? false);
  let sliceStart = performance.now();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (performance.now() - sliceStart < turnMs) continue;
    options.onProgress?.(step.value);
    await new Promise((resolve) => setImmediate(resolve));
    options.signal?.throwIfAborted();
    sliceStart = performance.now();
  }
}

/**
 * One pass over the points: roles, epochs, costs, and epoch folding — among points that differ
 * only in their epoch count, the longest trains once and the shorter ones are derived from its
 * per-epoch metrics, per-epoch test evaluations and checkpoints. Folding is valid only when
 * nothing in training depends on the total epoch count: per-epoch shuffling is seeded by
 * (seed, epoch), no learning-rate schedule exists, and early stopping (which can end a run before
 * a shorter point would have) turns folding off for that point. Yields the number of points built
 * every 64 points (the first 256 took 23 ms cold, past a turn).
 */
function* planSteps(stream: PointStream, spec: SweepSpec, keepValues: boolean): PlanSteps {
  const survey = newSurvey(stream.total, spec);
  let built = 0;
  for (const point of stream.points()) {
    surveyPoint(survey, point, stream.builder, keepValues);
    if (++built % 64 === 0) yield built;
  }
  const folds = assignFolds(survey);
  const { values, role } = survey;
  if (!keepValues) values.clear();
  else for (const i of values.keys()) if (role[i] !== roleCodes.derived) values.delete(i);
  return new PointPlan({
    total: survey.total,
    folding: foldingVerdict(spec, survey, folds.derived),
    role,
    epochs: survey.epochs,
    foldedInto: survey.foldedInto,
    evaluateAt: folds.evaluateAt,
    derivedOf: folds.derivedOf,
    epochFlops: survey.epochFlops,
    testFlops: survey.testFlops,
    values,
    impossibleSample: survey.impossibleSample,
  });
}

/** What the pass over the points gathers, point by point, before folds are assigned. */
interface Survey {
  total: number;
  /** Whether folding can apply at all: it is on and epochs is an axis. */
  foldable: boolean;
  role: Uint8Array;
  epochs: Int32Array;
  /** Per point: its fold group (points equal but for epochs), or -1. */
  group: Int32Array;
  foldedInto: Int32Array;
  epochFlops: Float64Array;
  testFlops: Float64Array;
  values: Map<number, Record<string, AxisValue>>;
  impossibleSample: PointPlan['impossibleSample'];
  /** Fold group key → group number; per group, the point that trains (the longest). */
  groups: Map<string, number>;
  source: number[];
  skippedEarlyStopping: number;
}

function newSurvey(n: number, spec: SweepSpec): Survey {
  return {
    total: n,
    foldable: spec.fold && Object.keys(spec.axes).some((name) => epochAxisNames.has(name)),
    role: new Uint8Array(n),
    epochs: new Int32Array(n),
    group: new Int32Array(n).fill(-1),
    foldedInto: new Int32Array(n).fill(-1),
    epochFlops: new Float64Array(n),
    testFlops: new Float64Array(n),
    values: new Map(),
    impossibleSample: [],
    groups: new Map(),
    source: [],
    skippedEarlyStopping: 0,
  };
}

/** Records one point's role, epochs and costs, and puts a trainable point in its fold group. */
function surveyPoint(survey: Survey, point: SweepPoint, builder: PointStream['builder'], keepValues: boolean): void {
  const i = point.index;
  survey.epochs[i] = point.epochs;
  if (point.role !== 'train') {
    if (survey.impossibleSample.length < 100)
      survey.impossibleSample.push({ index: i, values: point.values, error: point.error!, errorCodes: point.errorCodes ?? [] });
    return;
  }
  survey.role[i] = roleCodes.train;
  const images = trainingImages(point);
  survey.epochFlops[i] = images.train * 3 * point.forwardFlops + images.validation * point.forwardFlops;
  survey.testFlops[i] = images.test * point.forwardFlops;
  if (!survey.foldable) return;
  if (point.hyperparameters!.earlyStopping) {
    survey.skippedEarlyStopping++;
    return;
  }
  const { groups, source, epochs } = survey;
  const key = builder.foldKey(point);
  let g = groups.get(key);
  if (g === undefined) {
    g = source.length;
    groups.set(key, g);
    source.push(i);
  } else if (point.epochs > epochs[source[g]!]!) source[g] = i; // the longest trains; a tie keeps the first
  survey.group[i] = g;
  if (keepValues) survey.values.set(i, point.values);
}

/** Marks every shorter point of a fold group derived from the group's longest, and what that one evaluates at. */
function assignFolds(survey: Survey): { evaluateAt: Map<number, number[]>; derivedOf: Map<number, number[]>; derived: number } {
  const { group, source, epochs, role, foldedInto } = survey;
  const evaluateAt = new Map<number, number[]>();
  const derivedOf = new Map<number, number[]>();
  let derived = 0;
  for (let i = 0; i < survey.total; i++) {
    const g = group[i]!;
    if (g < 0) continue;
    const src = source[g]!;
    // An equal epoch count (a repeated random draw) gains nothing from folding: it trains.
    if (i === src || epochs[i] === epochs[src]) continue;
    role[i] = roleCodes.derived;
    foldedInto[i] = src;
    derived++;
    let list = derivedOf.get(src);
    if (!list) derivedOf.set(src, (list = []));
    list.push(i);
  }
  for (const [src, list] of derivedOf)
    evaluateAt.set(
      src,
      [...new Set(list.map((i) => epochs[i]!))].sort((a, b) => a - b),
    );
  return { evaluateAt, derivedOf, derived };
}

/** Whether folding applies to this sweep, and why (not), as the preview shows it. */
function foldingVerdict(spec: SweepSpec, survey: Survey, derived: number): PointPlan['folding'] {
  const { skippedEarlyStopping, total } = survey;
  const off = (reason: string, reasonCode: CoreText) => ({ enabled: false, reason, reasonCode });
  if (spec.method === 'tpe') return off('TPE proposes one point at a time from finished ones', coreText('folding_tpe', {}));
  if (!spec.fold) return off('turned off (fold: false)', coreText('folding_off', {}));
  if (!survey.foldable) return off('epochs is not an axis', coreText('folding_no_epochs_axis', {}));
  if (derived === 0)
    return skippedEarlyStopping > 0
      ? off('early stopping depends on the total epoch count', coreText('folding_early_stopping', {}))
      : off('no two points differ only in epochs', coreText('folding_no_pairs', {}));
  if (skippedEarlyStopping > 0)
    return {
      enabled: true,
      reason: `${derived} of ${total} runs derived from longer runs; ${skippedEarlyStopping} points with early stopping train separately`,
      reasonCode: coreText('folding_derived_some_separate', { derived, total, separate: skippedEarlyStopping }),
    };
  return {
    enabled: true,
    reason: `${derived} of ${total} runs derived from longer runs`,
    reasonCode: coreText('folding_derived', { derived, total }),
  };
}

/** Training images of a point after its subset and validation split. */
export function trainingImages(point: Pick<SweepPoint, 'dataset' | 'subset' | 'hyperparameters'>): {
  train: number;
  validation: number;
  test: number;
} {
  const splits = registry[point.dataset].variants[0]!.splits;
  const all = point.subset?.train ?? splits.train.count;
  const test = point.subset?.test ?? splits.test.count;
  const hp = point.hyperparameters;
  const validation = hp && hp.validateOn === 'split' ? Math.round(all * hp.validationSplit) : 0;
  return { train: all - validation, validation: hp?.validateOn === 'test' ? test : validation, test };
}
