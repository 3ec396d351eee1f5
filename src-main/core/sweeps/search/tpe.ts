/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna's `TPESampler` with its
 * defaults: the first `nStartupTrials` points are drawn uniformly; after that the finished trials
 * are split by `gamma` into the best few ("below") and the rest ("above"), each axis gets a Parzen
 * estimator l(x) from the below trials and g(x) from the above ones, `nEiCandidates` values are
 * drawn from l(x) and the one with the largest l(x) / g(x) (expected improvement) is proposed.
 * Axes are sampled independently (Optuna's default, univariate TPE).
 *
 * Trials still running count as above ("constant liar"), so workers proposed to at the same time
 * spread out. Infeasible points (a kernel larger than its input) rank below every finished trial
 * and are never proposed again: a candidate point is checked before it is returned, and a rejected
 * one joins the trials as infeasible for the next try.
 *
 * Seeded: the generator for proposal n is derived from (seed, n), so the same history gives the
 * same proposal, after a restart too.
 */
import { deriveSeed, SeededRandom } from '../../random.ts';
import { coreText, type ProblemText } from '../../contract/coreText.ts';
import { coded, KernelLabError } from '../../errors.ts';
import { parzenEstimator, type ParzenEstimatorParameters } from './parzenEstimator.ts';
import {
  isBetter,
  pointKey,
  samplePoint,
  toExternal,
  toInternal,
  type Dimension,
  type Direction,
  type Point,
  type Trial,
} from './space.ts';

/** Optuna's default_gamma: the best 10 %, at most 25. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default_weights: equal up to 25 trials, then older trials ramp down to 1/n. */
export function defaultWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25 === 1 ? [1 / n] : Array.from({ length: n - 25 }, (_, i) => 1 / n + (i * (1 - 1 / n)) / (n - 26));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

export interface TpeOptions {
  seed: number;
  nStartupTrials?: number;
  nEiCandidates?: number;
  gamma?: (n: number) => number;
  weights?: (n: number) => number[];
  priorWeight?: number;
  considerMagicClip?: boolean;
  considerEndpoints?: boolean;
}

/** Why a point cannot run: its English sentence and the same problems coded (null: English only). */
export interface Refusal {
  error: string;
  errorCodes: ProblemText[] | null;
}

/** Why a point cannot run, or null when it can. */
export type Feasibility = (point: Point) => Refusal | null;

export interface Proposal {
  point: Point;
  /** 'startup': drawn uniformly; 'tpe': chosen by l(x)/g(x). */
  how: 'startup' | 'tpe';
  /** Points tried on the way and found infeasible, with why: callers record them so they are not tried again. */
  infeasible: ({ point: Point } & Refusal)[];
}

/** How many candidate points may be infeasible before the sampler gives up on the space. */
const maxAttempts = 200;

/**
 * The space has no point that can run. The last refusal's problems, when coded, follow the
 * sentence as its issues, so the page and a Korean CLI say each one in the user's language.
 */
function noFeasiblePoint(last: Refusal | undefined): KernelLabError {
  const message = `axes: no feasible point found in ${maxAttempts} tries; the last was refused with: ${last?.error ?? 'nothing'}`;
  const problems = last?.errorCodes ?? [];
  if (problems.length === 0)
    return coded('invalid_input', message, 'error_sweep_no_feasible_point', {
      tries: maxAttempts,
      last: (last?.error ?? 'nothing').slice(0, 1000),
    });
  return new KernelLabError(
    'invalid_input',
    message,
    problems.map((p) => p.sentence),
    {
      text: coreText('error_sweep_no_feasible_point_problems', { tries: maxAttempts }),
      issueTexts: problems.map((p) => ({ path: p.path, text: p.text })),
    },
  );
}

export class TpeSampler {
  readonly #space: readonly Dimension[];
  readonly #direction: Direction;
  readonly #seed: number;
  readonly #nStartupTrials: number;
  readonly #nEiCandidates: number;
  readonly #gamma: (n: number) => number;
  readonly #weights: (n: number) => number[];
  readonly #parameters: ParzenEstimatorParameters;

  constructor(space: readonly Dimension[], direction: Direction, options: TpeOptions) {
    this.#space = space;
    this.#direction = direction;
    this.#seed = options.seed;
    this.#nStartupTrials = options.nStartupTrials ?? 10;
    this.#nEiCandidates = options.nEiCandidates ?? 24;
    this.#gamma = options.gamma ?? defaultGamma;
    this.#weights = options.weights ?? defaultWeights;
    this.#parameters = {
      priorWeight: options.priorWeight ?? 1,
      considerMagicClip: options.considerMagicClip ?? true,
      considerEndpoints: options.considerEndpoints ?? false,
    };
  }

  /** The next point to try, given every trial so far; `feasible` says whether a point can run. */
  propose(trials: readonly Trial[], feasible: Feasibility = () => null): Proposal {
    const number = trials.reduce((n, t) => Math.max(n, t.number + 1), 0);
    const rng = new SeededRandom(deriveSeed(this.#seed, `tpe:${number}`));
    const known = [...trials];
    const rejected = new Set(trials.filter((t) => t.state === 'infeasible').map((t) => pointKey(this.#space, t.values)));
    const infeasible: Proposal['infeasible'] = [];
    const finished = trials.filter((t) => t.state === 'complete' || t.state === 'pruned').length;
    const how = finished < this.#nStartupTrials ? 'startup' : 'tpe';
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      // After many rejections TPE's density is spent on infeasible ground: fall back to uniform draws.
      const point = how === 'startup' || attempt >= maxAttempts / 2 ? samplePoint(this.#space, rng) : this.#sample(known, rng);
      const key = pointKey(this.#space, point);
      if (rejected.has(key)) continue;
      const refusal = feasible(point);
      if (refusal === null) return { point, how, infeasible };
      rejected.add(key);
      infeasible.push({ point, ...refusal });
      known.push({ number: number + attempt, values: point, state: 'infeasible', value: null, intermediate: new Map() });
    }
    throw noFeasiblePoint(infeasible.at(-1));
  }

  #sample(trials: readonly Trial[], rng: SeededRandom): Point {
    const { below, above } = this.#split(trials);
    const point: Point = {};
    for (const dim of this.#space) {
      const observe = (group: readonly Trial[]) => {
        const xs = group.map((t) => toInternal(dim, t.values[dim.name]!));
        // A value outside the space (a categorical value no longer among the choices) says nothing here.
        return xs.filter((x) => Number.isFinite(x) && (dim.kind !== 'categorical' || x >= 0));
      };
      const belowX = observe(below);
      const aboveX = observe(above);
      const l = parzenEstimator(dim, belowX, this.#weights(belowX.length), this.#parameters);
      const g = parzenEstimator(dim, aboveX, this.#weights(aboveX.length), this.#parameters);
      const candidates = l.sample(rng, this.#nEiCandidates);
      const logL = l.logPdf(candidates);
      const logG = g.logPdf(candidates);
      let best = 0;
      let bestScore = -Infinity;
      candidates.forEach((_, i) => {
        const score = logL[i]! - logG[i]!;
        if (score > bestScore) {
          bestScore = score;
          best = i;
        }
      });
      point[dim.name] = toExternal(dim, candidates[best]!);
    }
    return point;
  }

  /**
   * Optuna's _split_trials: the best gamma(n) finished trials are "below" — complete ones by
   * value, then pruned ones by how far they got and their last value, then infeasible ones; the
   * rest, and every running trial, are "above". Both keep proposal order (for the weights' ramp).
   */
  #split(trials: readonly Trial[]): { below: Trial[]; above: Trial[] } {
    const running = trials.filter((t) => t.state === 'running');
    const complete = trials.filter((t) => t.state === 'complete');
    const pruned = trials.filter((t) => t.state === 'pruned');
    const infeasible = trials.filter((t) => t.state === 'infeasible');
    let nBelow = this.#gamma(trials.length - running.length);
    const score = (v: number | null) => (v === null || Number.isNaN(v) ? Infinity : this.#direction === 'maximize' ? -v : v);
    complete.sort((a, b) => score(a.value) - score(b.value) || a.number - b.number);
    const lastStep = (t: Trial) => Math.max(-Infinity, ...t.intermediate.keys());
    pruned.sort((a, b) => {
      const sa = lastStep(a);
      const sb = lastStep(b);
      if (sa !== sb) return sb - sa; // further is better
      return score(a.intermediate.get(sa) ?? null) - score(b.intermediate.get(sb) ?? null);
    });
    const below: Trial[] = [];
    const above: Trial[] = [...running];
    for (const group of [complete, pruned, infeasible]) {
      const take = Math.min(nBelow, group.length);
      below.push(...group.slice(0, take));
      above.push(...group.slice(take));
      nBelow -= take;
    }
    below.sort((a, b) => a.number - b.number);
    above.sort((a, b) => a.number - b.number);
    return { below, above };
  }
}

/** The best complete trial so far, or undefined. */
export function bestTrial(trials: readonly Trial[], direction: Direction): Trial | undefined {
  let best: Trial | undefined;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null || Number.isNaN(t.value)) continue;
    if (!best || isBetter(t.value, best.value!, direction)) best = t;
  }
  return best;
}
