/**
 * One-dimensional Parzen estimators, the densities l(x) and g(x) of the TPE sampler (Bergstra et
 * al. 2011; Optuna's `samplers/_tpe/parzen_estimator.py`). Each is a weighted mixture of one
 * kernel per observation plus a prior kernel:
 *
 * - float and int axes: truncated normals (in log space for a log axis). A kernel's sigma is the
 *   larger gap to its sorted neighbours (the search bounds count as neighbours), clipped to
 *   [(high - low) / min(100, 1 + kernels), high - low] ("magic clip"); the prior sits at the middle
 *   with sigma = high - low. An integer owns [k - ½, k + ½]: its probability is that interval's mass.
 * - categorical axes: each kernel puts 1 on its observed choice plus prior_weight / kernels on every
 *   choice; the prior kernel is uniform.
 */
import type { SeededRandom } from '../../random.ts';
import type { Dimension } from './space.ts';
import { logGaussMass, truncNormSample } from './truncnorm.ts';

const logSqrt2Pi = 0.5 * Math.log(2 * Math.PI);

export interface ParzenEstimatorParameters {
  priorWeight: number;
  considerMagicClip: boolean;
  considerEndpoints: boolean;
}

export interface ParzenEstimator {
  /** Draws from the mixture, in the dimension's internal representation (a choice index for categorical). */
  sample(rng: SeededRandom, size: number): number[];
  /** log density (log probability for int and categorical) of each internal value. */
  logPdf(xs: readonly number[]): number[];
}

function normalised(weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / sum);
}

/** Picks a mixture component by its normalised weight. */
function pickComponent(weights: readonly number[], u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i]!;
    if (u < acc) return i;
  }
  return weights.length - 1;
}

function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

class NumericParzenEstimator implements ParzenEstimator {
  readonly #dim: Extract<Dimension, { kind: 'float' | 'int' }>;
  readonly #weights: number[];
  readonly #logWeights: number[];
  readonly #mus: number[];
  readonly #sigmas: number[];
  /** Bounds in the transformed space (log for a log axis; widened by ½ for integers). */
  readonly #low: number;
  readonly #high: number;
  /** log of each kernel's mass inside [low, high], its truncation constant. */
  readonly #logMass: number[];

  constructor(
    observations: readonly number[],
    observationWeights: readonly number[],
    dim: Extract<Dimension, { kind: 'float' | 'int' }>,
    parameters: ParzenEstimatorParameters,
  ) {
    this.#dim = dim;
    const transform = (v: number) => (dim.log ? Math.log(v) : v);
    const half = dim.kind === 'int' ? 0.5 : 0;
    const low = transform(dim.low - half);
    const high = transform(dim.high + half);
    this.#low = low;
    this.#high = high;
    const mus = observations.map(transform);
    const sigmas = this.#sigmasOf(mus, low, high, parameters);
    mus.push(0.5 * (low + high));
    sigmas.push(high - low);
    this.#mus = mus;
    this.#sigmas = sigmas;
    this.#weights = observations.length === 0 ? [1] : normalised([...observationWeights, parameters.priorWeight]);
    this.#logWeights = this.#weights.map(Math.log);
    this.#logMass = mus.map((mu, i) => logGaussMass((low - mu) / sigmas[i]!, (high - mu) / sigmas[i]!));
  }

  #sigmasOf(mus: readonly number[], low: number, high: number, parameters: ParzenEstimatorParameters): number[] {
    const n = mus.length;
    if (n === 0) return [];
    const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
    const sorted = [low, ...order.map((i) => mus[i]!), high];
    const sortedSigmas = order.map((_, k) => Math.max(sorted[k + 1]! - sorted[k]!, sorted[k + 2]! - sorted[k + 1]!));
    if (!parameters.considerEndpoints && n >= 2) {
      sortedSigmas[0] = sorted[2]! - sorted[1]!;
      sortedSigmas[n - 1] = sorted[n]! - sorted[n - 1]!;
    }
    const maxSigma = high - low;
    const minSigma = parameters.considerMagicClip ? (high - low) / Math.min(100, 1 + (n + 1)) : 1e-12;
    const sigmas = new Array<number>(n);
    order.forEach((i, k) => (sigmas[i] = Math.min(maxSigma, Math.max(minSigma, sortedSigmas[k]!))));
    return sigmas;
  }

  sample(rng: SeededRandom, size: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < size; s++) {
      const k = pickComponent(this.#weights, rng.next());
      const t = truncNormSample(rng.next(), this.#mus[k]!, this.#sigmas[k]!, this.#low, this.#high);
      const v = this.#dim.log ? Math.exp(t) : t;
      out.push(this.#dim.kind === 'int' ? Math.min(this.#dim.high, Math.max(this.#dim.low, Math.round(v))) : v);
    }
    return out;
  }

  logPdf(xs: readonly number[]): number[] {
    const k = this.#mus.length;
    const terms = new Array<number>(k);
    // Integer candidates repeat: each distinct value is computed once.
    const seen = new Map<number, number>();
    return xs.map((x) => {
      const known = seen.get(x);
      if (known !== undefined) return known;
      for (let i = 0; i < k; i++) {
        const mu = this.#mus[i]!;
        const sigma = this.#sigmas[i]!;
        let logP: number;
        if (this.#dim.kind === 'int') {
          const left = this.#dim.log ? Math.log(x - 0.5) : x - 0.5;
          const right = this.#dim.log ? Math.log(x + 0.5) : x + 0.5;
          logP = logGaussMass((left - mu) / sigma, (right - mu) / sigma) - this.#logMass[i]!;
        } else {
          const t = this.#dim.log ? Math.log(x) : x;
          // truncNormLogPdf with the kernel's truncation constant computed once, in the constructor.
          const z = (t - mu) / sigma;
          logP = t < this.#low || t > this.#high ? -Infinity : -0.5 * z * z - logSqrt2Pi - Math.log(sigma) - this.#logMass[i]!;
        }
        terms[i] = this.#logWeights[i]! + logP;
      }
      const value = logSumExp(terms);
      seen.set(x, value);
      return value;
    });
  }
}

class CategoricalParzenEstimator implements ParzenEstimator {
  /** The mixture's probability of each choice. */
  readonly #probabilities: number[];

  constructor(
    observations: readonly number[],
    observationWeights: readonly number[],
    choices: number,
    parameters: ParzenEstimatorParameters,
  ) {
    if (observations.length === 0) {
      this.#probabilities = new Array<number>(choices).fill(1 / choices);
      return;
    }
    const kernels = observations.length + 1;
    const weights = normalised([...observationWeights, parameters.priorWeight]);
    const probabilities = new Array<number>(choices).fill(0);
    const base = parameters.priorWeight / kernels;
    observations.forEach((choice, i) => {
      const rowSum = base * choices + 1;
      for (let c = 0; c < choices; c++) probabilities[c]! += (weights[i]! * (base + (c === choice ? 1 : 0))) / rowSum;
    });
    // The prior kernel: uniform over the choices.
    for (let c = 0; c < choices; c++) probabilities[c]! += weights[kernels - 1]! / choices;
    this.#probabilities = probabilities;
  }

  sample(rng: SeededRandom, size: number): number[] {
    return Array.from({ length: size }, () => pickComponent(this.#probabilities, rng.next()));
  }

  logPdf(xs: readonly number[]): number[] {
    return xs.map((x) => Math.log(this.#probabilities[x] ?? 0));
  }
}

/** The Parzen estimator of one dimension from its observations (internal values) and their weights. */
export function parzenEstimator(
  dim: Dimension,
  observations: readonly number[],
  weights: readonly number[],
  parameters: ParzenEstimatorParameters,
): ParzenEstimator {
  return dim.kind === 'categorical'
    ? new CategoricalParzenEstimator(observations, weights, dim.choices.length, parameters)
    : new NumericParzenEstimator(observations, weights, dim, parameters);
}
