/**
 * The truncated normal distribution the TPE sampler's Parzen estimators are made of (as Optuna's
 * `samplers/_tpe/_truncnorm.py`): the standard normal CDF and its log, the log of the Gaussian
 * mass of an interval, the log density of a normal truncated to [a, b], and sampling by inverting
 * the CDF.
 *
 * erfc is Numerical Recipes' Chebyshev fit (erfccheb, about 1e-16): it is computed as
 * t·exp(-x² + …) for x ≥ 0, so it keeps its relative precision far into the tail, which
 * `1 - erf(x)` (what jStat offers) does not; stdlib's erfc would have pulled in 148 packages.
 */

const erfcCoefficients = [
  -1.3026537197817094, 6.419697923564902e-1, 1.9476473204185836e-2, -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4,
  4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6, 1.30365583558e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
  5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11, 2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13,
  3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
];

/** erfc(x) for x ≥ 0 with full relative precision. */
function erfcNonNegative(x: number): number {
  const t = 2 / (2 + x);
  const ty = 4 * t - 2;
  let d = 0;
  let dd = 0;
  for (let j = erfcCoefficients.length - 1; j > 0; j--) {
    const tmp = d;
    d = ty * d - dd + erfcCoefficients[j]!;
    dd = tmp;
  }
  return t * Math.exp(-x * x + 0.5 * (erfcCoefficients[0]! + ty * d) - dd);
}

export function erfc(x: number): number {
  return x >= 0 ? erfcNonNegative(x) : 2 - erfcNonNegative(-x);
}

const logSqrt2Pi = 0.5 * Math.log(2 * Math.PI);

/** Φ(a), the standard normal CDF. */
export function ndtr(a: number): number {
  return 0.5 * erfc(-a / Math.SQRT2);
}

/** log Φ(a), finite far into the left tail (an asymptotic series below -37, where Φ underflows). */
export function logNdtr(a: number): number {
  if (a > 6) return -ndtr(-a); // log(1 - ε) ≈ -ε
  if (a > -37) return Math.log(ndtr(a));
  // log Φ(a) = -a²/2 - log(-a) - log √(2π) + log(1 - 1/a² + 3/a⁴ - …)
  let total = 1;
  let term = 1;
  for (let i = 1; i < 20; i++) {
    const next = (-term * (2 * i - 1)) / (a * a);
    if (Math.abs(next) >= Math.abs(term)) break;
    term = next;
    total += term;
  }
  return -0.5 * a * a - Math.log(-a) - logSqrt2Pi + Math.log(total);
}

/** log(exp(x) - exp(y)) for x ≥ y. */
function logDiff(x: number, y: number): number {
  if (y === -Infinity) return x;
  return x + Math.log1p(-Math.exp(y - x));
}

/** log of the standard normal mass of [a, b] (a ≤ b), accurate in either tail. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  // The interval holds 0: its mass is at least that of one side, so no cancellation.
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** log density at x of N(mu, sigma²) truncated to [low, high]; -Infinity outside. */
export function truncNormLogPdf(x: number, mu: number, sigma: number, low: number, high: number): number {
  if (x < low || x > high) return -Infinity;
  const z = (x - mu) / sigma;
  return -0.5 * z * z - logSqrt2Pi - Math.log(sigma) - logGaussMass((low - mu) / sigma, (high - mu) / sigma);
}

/** Φ⁻¹(p) for p in (0, 1): Acklam's rational approximation, refined by one Halley step. */
export function ndtri(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
      (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  // One Halley step brings the 1e-9 approximation to full precision.
  const e = ndtr(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/**
 * A draw of N(mu, sigma²) truncated to [low, high] from a uniform u in [0, 1), by inverting the
 * CDF on the side of the mean where the tail is thinner (so a far tail keeps its precision).
 */
export function truncNormSample(u: number, mu: number, sigma: number, low: number, high: number): number {
  const a = (low - mu) / sigma;
  const b = (high - mu) / sigma;
  let z: number;
  if (a < 0) {
    const pa = ndtr(a);
    z = ndtri(pa + u * (ndtr(b) - pa));
  } else {
    // Mirror: sample -z from the interval [-b, -a], which lies left of 0.
    const pmb = ndtr(-b);
    z = -ndtri(pmb + (1 - u) * (ndtr(-a) - pmb));
  }
  return Math.min(high, Math.max(low, mu + sigma * z));
}
