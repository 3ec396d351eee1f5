/**
 * Expanding a sweep spec into points: the grid (or seeded random draws), repeats with their own
 * seeds, each point validated by the model schema and shape inference, and the epoch-folding plan.
 * Everything here is pure: no database, no workers, so the preview and `start` agree exactly.
 */
import { KernelLabError } from '../errors.ts';
import { registry, type DatasetName } from '../datasets/registry.ts';
import { deriveSeed, SeededRandom } from '../random.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { getPreset } from '../models/presets.ts';
import { inferShapes } from '../models/shapeInference.ts';
import { followDataset, isRange, listValues, rangeValues, resolveAxis, sampleRange, type AxisDef, type PointDraft } from './axes.ts';
import type { Dimension } from './search/space.ts';
import type { AxisValue, SubsetSpec } from '../contract/runs.ts';
import { hardLimit, type AxisRange, type SweepSpec } from '../contract/sweeps.ts';
import { confirmAbove } from './sweepSpec.ts';

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
  /** Why the point cannot run (the field and the problem), or null. */
  error: string | null;
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

export interface ExpandedSweep {
  points: SweepPoint[];
  /** Whether epoch folding applies and why (not). */
  folding: { enabled: boolean; reason: string };
}

export interface ResolvedAxis {
  name: string;
  def: AxisDef;
  /** Grid values, or for random search a list to pick from or a range to sample. */
  list: AxisValue[] | null;
  range: AxisRange | null;
}

const epochAxisNames = new Set(['epochs', 'hyperparameters.epochs']);

export function resolveAxes(spec: SweepSpec): ResolvedAxis[] {
  return Object.entries(spec.axes).map(([name, values]) => {
    const def = resolveAxis(name);
    const where = `axes.${name}`;
    if (isRange(values)) {
      if (spec.method === 'grid') return { name, def, list: rangeValues(def, values, where), range: null };
      rangeValues(def, { ...values, steps: values.steps ?? 2 }, where);
      return { name, def, list: null, range: values };
    }
    return { name, def, list: listValues(def, values, where), range: null };
  });
}

/** How many points a spec expands to (repeats included), computed without expanding. */
export function countPoints(spec: SweepSpec): number {
  const axes = resolveAxes(spec);
  // TPE proposes its points one at a time: only its trial budget is known up front.
  if (spec.method === 'tpe') return (spec.trials ?? 0) * spec.repeats;
  const perRepeat = spec.method === 'random' ? spec.trials! : axes.reduce((n, a) => n * a.list!.length, 1);
  return perRepeat * spec.repeats;
}

function baseDraft(spec: SweepSpec): PointDraft {
  const { base } = spec;
  if (base.preset !== undefined) {
    const preset = getPreset(base.preset);
    return {
      model: structuredClone(preset.spec) as unknown as PointDraft['model'],
      hyperparameters: { ...structuredClone(preset.hyperparameters), ...structuredClone(base.hyperparameters) },
      dataset: base.dataset,
    };
  }
  // checkBase has validated base.model; parse again to get defaults filled in.
  return {
    model: ModelSpec.parse(base.model) as unknown as PointDraft['model'],
    hyperparameters: structuredClone(base.hyperparameters),
    dataset: base.dataset,
  };
}

function issuesText(prefix: string, issues: { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${[prefix, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
}

export function buildPoint(
  spec: SweepSpec,
  index: number,
  values: Record<string, AxisValue>,
  repeat: number,
  axes: ResolvedAxis[],
): SweepPoint {
  const draft = baseDraft(spec);
  // Structural mistakes (no conv layer to set, a layer index out of range) are the spec's, not the
  // point's: they throw and nothing is queued.
  for (const axis of axes) axis.def.apply(draft, values[axis.name]!);
  followDataset(draft);
  const baseSeed = typeof draft.hyperparameters.seed === 'number' ? draft.hyperparameters.seed : 42;
  draft.hyperparameters.seed = baseSeed + repeat;
  const point: SweepPoint = {
    index,
    values,
    repeat,
    seed: baseSeed + repeat,
    dataset: draft.dataset,
    subset: spec.base.subset ?? null,
    epochs: typeof draft.hyperparameters.epochs === 'number' ? draft.hyperparameters.epochs : 0,
    modelSpec: null,
    hyperparameters: null,
    error: null,
    forwardFlops: 0,
    role: 'impossible',
    foldedInto: null,
    evaluateAtEpochs: [],
  };
  const model = ModelSpec.safeParse(draft.model);
  const hp = Hyperparameters.safeParse(draft.hyperparameters);
  const errors: string[] = [];
  if (!model.success) errors.push(issuesText('model', model.error.issues));
  if (!hp.success) errors.push(issuesText('hyperparameters', hp.error.issues));
  if (model.success) {
    try {
      point.forwardFlops = inferShapes(model.data).forwardFlops;
    } catch (error) {
      errors.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (errors.length > 0 || !model.success || !hp.success) {
    point.error = errors.join('; ');
    return point;
  }
  point.modelSpec = model.data;
  point.hyperparameters = hp.data;
  point.role = 'train';
  return point;
}

function* gridCombinations(axes: ResolvedAxis[]): Generator<Record<string, AxisValue>> {
  const counters = axes.map(() => 0);
  if (axes.some((a) => a.list!.length === 0)) return;
  for (;;) {
    yield Object.fromEntries(axes.map((a, i) => [a.name, a.list![counters[i]!]!]));
    let i = axes.length - 1;
    while (i >= 0) {
      counters[i]!++;
      if (counters[i]! < axes[i]!.list!.length) break;
      counters[i] = 0;
      i--;
    }
    if (i < 0) return;
  }
}

function* randomCombinations(spec: SweepSpec, axes: ResolvedAxis[]): Generator<Record<string, AxisValue>> {
  const rng = new SeededRandom(deriveSeed(spec.samplerSeed, 'sweep-sampler'));
  for (let t = 0; t < spec.trials!; t++) {
    yield Object.fromEntries(
      axes.map((a) => [a.name, a.range ? sampleRange(a.def, a.range, rng.next()) : a.list![rng.int(a.list!.length)]!]),
    );
  }
}

/**
 * Expands and validates a spec. Throws (nothing queued) for a mistake in the spec itself; a point
 * that cannot run is returned with its error and role 'impossible'.
 */
export function expandSweep(spec: SweepSpec): ExpandedSweep {
  const axes = resolveAxes(spec);
  const total = countPoints(spec);
  if (total > hardLimit)
    throw new KernelLabError(
      'too_large',
      `axes: the sweep expands to ${total.toLocaleString('en')} runs; the limit is ${hardLimit.toLocaleString('en')}`,
    );
  if (total > confirmAbove && !spec.yes)
    throw new KernelLabError(
      'invalid_input',
      `axes: the sweep expands to ${total.toLocaleString('en')} runs (more than ${confirmAbove.toLocaleString('en')}); confirm with yes: true (--yes on the command line)`,
      [`axes: ${total} runs need yes: true`],
    );
  const points: SweepPoint[] = [];
  // TPE's points are proposed while the sweep runs (sweeps/searchDriver.ts), never expanded here.
  if (spec.method === 'tpe') return { points, folding: { enabled: false, reason: 'TPE proposes one point at a time from finished ones' } };
  const combos = spec.method === 'random' ? randomCombinations(spec, axes) : gridCombinations(axes);
  for (const values of combos) {
    for (let repeat = 0; repeat < spec.repeats; repeat++) points.push(buildPoint(spec, points.length, values, repeat, axes));
  }
  const folding = planFolding(spec, points);
  return { points, folding };
}

/** A point's identity without its epoch count: points with equal keys differ only in epochs. */
function foldKey(point: SweepPoint): string {
  const { epochs: _epochs, ...rest } = point.hyperparameters!;
  return JSON.stringify([point.modelSpec, rest, point.dataset, point.subset]);
}

/**
 * Epoch folding: among points that differ only in their epoch count, train the longest once and
 * derive the shorter ones from its per-epoch metrics, per-epoch test evaluations and checkpoints.
 * Valid only when nothing in training depends on the total epoch count: per-epoch shuffling is
 * seeded by (seed, epoch), no learning-rate schedule exists, and early stopping (which can end a
 * run before a shorter point would have) turns folding off for that point.
 */
export function planFolding(spec: SweepSpec, points: SweepPoint[]): ExpandedSweep['folding'] {
  if (!spec.fold) return { enabled: false, reason: 'turned off (fold: false)' };
  if (!Object.keys(spec.axes).some((name) => epochAxisNames.has(name))) return { enabled: false, reason: 'epochs is not an axis' };
  const groups = new Map<string, SweepPoint[]>();
  let skippedEarlyStopping = 0;
  for (const point of points) {
    if (point.role !== 'train') continue;
    if (point.hyperparameters!.earlyStopping) {
      skippedEarlyStopping++;
      continue;
    }
    const key = foldKey(point);
    const group = groups.get(key);
    if (group) group.push(point);
    else groups.set(key, [point]);
  }
  let derived = 0;
  for (const group of groups.values()) {
    // The longest run trains; on a tie the first in sweep order does.
    const source = group.reduce((best, p) => (p.epochs > best.epochs ? p : best), group[0]!);
    for (const point of group) {
      // An equal epoch count (a repeated random draw) gains nothing from folding: it trains.
      if (point === source || point.epochs === source.epochs) continue;
      point.role = 'derived';
      point.foldedInto = source.index;
      derived++;
    }
    source.evaluateAtEpochs = [...new Set(group.filter((p) => p !== source && p.epochs < source.epochs).map((p) => p.epochs))].sort(
      (a, b) => a - b,
    );
  }
  if (derived === 0) {
    return {
      enabled: false,
      reason: skippedEarlyStopping > 0 ? 'early stopping depends on the total epoch count' : 'no two points differ only in epochs',
    };
  }
  const note = skippedEarlyStopping > 0 ? `; ${skippedEarlyStopping} points with early stopping train separately` : '';
  return { enabled: true, reason: `${derived} of ${points.length} runs derived from longer runs${note}` };
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

/**
 * The sweep's axes as the search sees them: a range is a float dimension, or an int one for an
 * integer axis (log on a log scale); a list is a categorical dimension over its values.
 */
export function searchSpaceOf(spec: SweepSpec): Dimension[] {
  return resolveAxes(spec).map((axis): Dimension => {
    const values = spec.axes[axis.name]!;
    if (isRange(values)) {
      const log = values.scale === 'log';
      return axis.def.kind.type === 'number'
        ? { kind: 'float', name: axis.name, low: values.min, high: values.max, log }
        : { kind: 'int', name: axis.name, low: Math.ceil(values.min), high: Math.floor(values.max), log };
    }
    return { kind: 'categorical', name: axis.name, choices: values };
  });
}
