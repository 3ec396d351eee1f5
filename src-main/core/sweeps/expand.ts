/**
 * Expanding a sweep spec into points: the grid (or seeded random draws), repeats with their own
 * seeds, each point validated by the model schema and shape inference, and the epoch-folding plan.
 * Everything here is pure: no database, no workers, so the preview and `start` agree exactly.
 */
import { createHash } from 'node:crypto';
import type { Dimension } from './search/space.ts';
import type { z } from 'zod';
import { coded, issueText, KernelLabError } from '../errors.ts';
import type { DatasetName } from '../datasets/registry.ts';
import { deriveSeed, SeededRandom } from '../random.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { getPreset } from '../models/presets.ts';
import { inferShapes, type ModelSummary } from '../models/shapeInference.ts';
import { runSizeProblem, sizeRun } from './runSize.ts';
import type { SweepPoint } from './pointRun.ts';
import { followDataset, isRange, listValues, rangeValues, resolveAxis, sampleRange, type AxisDef, type PointDraft } from './axes.ts';
import type { AxisValue } from '../contract/runs.ts';
import { hardLimit, type AxisRange, type Folding, type SweepSpec } from '../contract/sweeps.ts';
import { confirmAbove, confirmEpochsAbove } from './sweepSpec.ts';
import { coreText, type ProblemText } from '../contract/coreText.ts';
import { planSweep, type PointStream } from './pointPlan.ts';

export interface ExpandedSweep {
  points: SweepPoint[];
  /** Whether epoch folding applies and why (not). */
  folding: Folding;
}

export interface ResolvedAxis {
  name: string;
  def: AxisDef;
  /** Grid values, or for random search a list to pick from or a range to sample. */
  list: AxisValue[] | null;
  range: AxisRange | null;
}

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
  // TPE proposes its points one at a time: only its trial budget is known up front.
  if (spec.method === 'tpe') return (spec.trials ?? 0) * spec.repeats;
  const axes = resolveAxes(spec);
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

/** Each zod issue as a problem of the point, its path under `prefix` (model, hyperparameters), coded from its kind. */
function issueProblems(prefix: string, issues: z.core.$ZodIssue[]): ProblemText[] {
  return issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].join('.');
    return { sentence: `${path}: ${issue.message}`, path, text: issueText(issue) };
  });
}

/** The point's problems, and its English error joined from them as the API has always sent it. */
function setProblems(point: SweepPoint, problems: ProblemText[]): void {
  point.error = problems.map((p) => p.sentence).join('; ');
  point.errorCodes = problems;
}

/** The model side of a point, shared by every point with the same model-side axis values. */
interface ModelPart {
  dataset: DatasetName;
  model: ModelSpec | null;
  /** The model's zod issues, then its shape-inference refusal, as the point's error lists them. */
  modelProblems: ProblemText[];
  shapeProblem: ProblemText | null;
  /** The shape inference's parameters and outputs (null when it refused), for sizing each point's run. */
  summary: ModelSummary | null;
  forwardFlops: number;
  /** The model spec as JSON, for the folding key. */
  json: string;
}

/**
 * Builds points. The model side (model-target axes and the dataset) is built, validated and
 * shape-checked once per distinct combination of those values and shared; only the
 * hyperparameters are built per point. A learning-rate sweep of 10⁶ points parses one model.
 */
class PointBuilder {
  readonly #spec: SweepSpec;
  readonly #axes: ResolvedAxis[];
  readonly #modelAxes: ResolvedAxis[];
  readonly #hyperAxes: ResolvedAxis[];
  readonly #base: PointDraft;
  readonly #models = new Map<string, ModelPart>();

  constructor(spec: SweepSpec, axes: ResolvedAxis[]) {
    this.#spec = spec;
    this.#axes = axes;
    this.#modelAxes = axes.filter((a) => a.def.target === 'model');
    this.#hyperAxes = axes.filter((a) => a.def.target === 'hyperparameters');
    this.#base = baseDraft(spec);
  }

  #modelPart(values: Record<string, AxisValue>): ModelPart {
    const key = JSON.stringify(this.#modelAxes.map((a) => values[a.name]));
    let part = this.#models.get(key);
    if (part) return part;
    // Structural mistakes (no conv layer to set, a layer index out of range) are the spec's, not
    // the point's: they throw and nothing is queued.
    const draft: PointDraft = { model: structuredClone(this.#base.model), hyperparameters: {}, dataset: this.#base.dataset };
    for (const axis of this.#modelAxes) axis.def.apply(draft, values[axis.name]!);
    followDataset(draft);
    const parsed = ModelSpec.safeParse(draft.model);
    part = { dataset: draft.dataset, model: null, modelProblems: [], shapeProblem: null, summary: null, forwardFlops: 0, json: '' };
    if (!parsed.success) part.modelProblems = issueProblems('model', parsed.error.issues);
    else {
      try {
        part.summary = inferShapes(parsed.data);
        part.forwardFlops = part.summary.forwardFlops;
        part.model = parsed.data;
        part.json = JSON.stringify(parsed.data);
      } catch (error) {
        // Shape refusals are coded (model_* codes, starting 'layers[i] (type): '); anything else stays English.
        part.shapeProblem = {
          sentence: error instanceof Error ? error.message : String(error),
          path: '',
          text: error instanceof KernelLabError ? (error.text ?? null) : null,
        };
      }
    }
    this.#models.set(key, part);
    return part;
  }

  build(index: number, values: Record<string, AxisValue>, repeat: number): SweepPoint {
    const part = this.#modelPart(values);
    const hyperparameters: Record<string, unknown> = { ...this.#base.hyperparameters };
    const draft: PointDraft = { model: this.#base.model, hyperparameters, dataset: part.dataset };
    for (const axis of this.#hyperAxes) axis.def.apply(draft, values[axis.name]!);
    const baseSeed = typeof hyperparameters.seed === 'number' ? hyperparameters.seed : 42;
    hyperparameters.seed = baseSeed + repeat;
    const point: SweepPoint = {
      index,
      values,
      repeat,
      seed: baseSeed + repeat,
      dataset: part.dataset,
      subset: this.#spec.base.subset ?? null,
      epochs: typeof hyperparameters.epochs === 'number' ? hyperparameters.epochs : 0,
      modelSpec: null,
      hyperparameters: null,
      error: null,
      errorCodes: null,
      forwardFlops: part.forwardFlops,
      role: 'impossible',
      foldedInto: null,
      evaluateAtEpochs: [],
    };
    const hp = Hyperparameters.safeParse(hyperparameters);
    const problems = [...part.modelProblems, ...(hp.success ? [] : issueProblems('hyperparameters', hp.error.issues))];
    if (part.shapeProblem !== null) problems.push(part.shapeProblem);
    if (problems.length > 0 || !part.model || !hp.success) {
      setProblems(point, problems);
      point.forwardFlops = part.shapeProblem === null ? part.forwardFlops : 0;
      return point;
    }
    if (hp.data.epochs > confirmEpochsAbove && !this.#spec.yes)
      throw new KernelLabError(
        'invalid_input',
        `hyperparameters.epochs: ${hp.data.epochs.toLocaleString('en')} epochs for one run (more than ${confirmEpochsAbove.toLocaleString('en')}); confirm with yes: true (--yes on the command line)`,
        [`hyperparameters.epochs: ${hp.data.epochs} epochs need yes: true`],
        {
          confirm: `Train ${hp.data.epochs.toLocaleString('en')} epochs per run? That is more than ${confirmEpochsAbove.toLocaleString('en')}.`,
          confirmText: coreText('confirm_epochs', { epochs: hp.data.epochs, limit: confirmEpochsAbove }),
          text: coreText('error_sweep_confirm_epochs', { epochs: hp.data.epochs, limit: confirmEpochsAbove }),
        },
      );
    // Sized before anything is allocated: a run that cannot fit this machine or has no image to train on is refused here.
    const tooBig = runSizeProblem(sizeRun(part.model, part.summary!, hp.data, part.dataset, point.subset), hp.data);
    if (tooBig !== null) {
      setProblems(point, [tooBig]);
      return point;
    }
    point.modelSpec = part.model;
    point.hyperparameters = hp.data;
    point.role = 'train';
    return point;
  }

  /** A point's identity without its epoch count: points with equal keys differ only in epochs. */
  foldKey(point: SweepPoint): string {
    const { epochs: _epochs, ...rest } = point.hyperparameters!;
    const json = this.#modelPart(point.values).json;
    return createHash('sha1')
      .update(`[${json},${JSON.stringify([rest, point.dataset, point.subset])}]`)
      .digest('base64');
  }

  get axes(): ResolvedAxis[] {
    return this.#axes;
  }
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

/** Builds one point of a spec on its own (the search proposes points one at a time). */
export function buildPoint(
  spec: SweepSpec,
  index: number,
  values: Record<string, AxisValue>,
  repeat: number,
  axes: ResolvedAxis[],
): SweepPoint {
  return new PointBuilder(spec, axes).build(index, values, repeat);
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

/**
 * Checks a spec's size (a mistake in the spec throws: nothing queued) and returns its points as
 * a stream: none is built before it is asked for, so memory does not grow with the sweep.
 */
export function pointStream(spec: SweepSpec): PointStream {
  const axes = resolveAxes(spec);
  const total = countPoints(spec);
  if (total > hardLimit)
    throw coded(
      'too_large',
      `axes: the sweep expands to ${total.toLocaleString('en')} runs; the limit is ${hardLimit.toLocaleString('en')}`,
      'error_sweep_too_many_runs',
      { total, limit: hardLimit },
    );
  if (total > confirmAbove && !spec.yes)
    throw new KernelLabError(
      'invalid_input',
      `axes: the sweep expands to ${total.toLocaleString('en')} runs (more than ${confirmAbove.toLocaleString('en')}); confirm with yes: true (--yes on the command line)`,
      [`axes: ${total} runs need yes: true`],
      {
        confirm: `Queue all ${total.toLocaleString('en')} runs of this sweep? That is more than ${confirmAbove.toLocaleString('en')}.`,
        confirmText: coreText('confirm_runs', { total, limit: confirmAbove }),
        text: coreText('error_sweep_confirm_runs', { total, limit: confirmAbove }),
      },
    );
  const builder = new PointBuilder(spec, axes);
  // TPE's points are proposed while the sweep runs (sweeps/searchDriver.ts), never expanded here.
  if (spec.method === 'tpe') return { total: 0, builder, *points() {} };
  return {
    total,
    builder,
    *points() {
      let index = 0;
      const combos = spec.method === 'random' ? randomCombinations(spec, axes) : gridCombinations(axes);
      for (const values of combos) {
        for (let repeat = 0; repeat < spec.repeats; repeat++) yield builder.build(index++, values, repeat);
      }
    },
  };
}

/**
 * Expands and validates a spec into every point with its role (a small sweep: tests, a single
 * run). Throws (nothing queued) for a mistake in the spec itself; a point that cannot run is
 * returned with its error and role 'impossible'.
 */
export function expandSweep(spec: SweepSpec): ExpandedSweep {
  const stream = pointStream(spec);
  const plan = planSweep(stream, spec);
  const points = [...stream.points()].map((p) => plan.apply(p));
  return { points, folding: plan.folding };
}
