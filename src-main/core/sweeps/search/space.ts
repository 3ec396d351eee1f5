/**
 * What the search algorithms see of a sweep: its axes as dimensions (float, int, categorical; a
 * range on a log scale is searched in log space) and its trials (the points tried so far, how
 * each ended and its metric at every epoch). Nothing here knows about runs or the store; the
 * sweep driver turns runs into trials.
 */
import type { AxisValue } from '../../contract/runs.ts';
import type { SeededRandom } from '../../random.ts';

export type Dimension =
  | { kind: 'float'; name: string; low: number; high: number; log: boolean }
  | { kind: 'int'; name: string; low: number; high: number; log: boolean }
  | { kind: 'categorical'; name: string; choices: readonly AxisValue[] };

/** One value per dimension, keyed by the axis name. */
export type Point = Record<string, AxisValue>;

export type Direction = 'maximize' | 'minimize';

/**
 * - complete: ran to its last epoch; `value` is the metric there.
 * - pruned: stopped by the pruner; ranked by its last intermediate value.
 * - running: proposed and not finished (TPE's constant liar counts it as a poor point, so parallel
 *   workers are not all sent to the same place).
 * - infeasible: cannot run at all (a kernel larger than its input); never proposed again.
 */
export type TrialState = 'complete' | 'pruned' | 'running' | 'infeasible';

export interface Trial {
  /** Order of proposal (the sweep point's index); older trials weigh less once there are many. */
  number: number;
  values: Point;
  state: TrialState;
  /** The objective of a complete trial; null otherwise (or when the metric was never recorded). */
  value: number | null;
  /** The metric at each epoch reached, by epoch. */
  intermediate: ReadonlyMap<number, number>;
}

/** Whether `a` is better than `b` in `direction` (a NaN is never better). */
export function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === 'maximize' ? a > b : a < b;
}

const keyOf = (value: AxisValue): string => JSON.stringify(value);

/** The index of a categorical value among the dimension's choices, or -1. */
export function choiceIndex(dim: Extract<Dimension, { kind: 'categorical' }>, value: AxisValue): number {
  const key = keyOf(value);
  return dim.choices.findIndex((c) => keyOf(c) === key);
}

/** A dimension's value as a number: itself, or a categorical choice's index (-1 when not a choice). */
export function toInternal(dim: Dimension, value: AxisValue): number {
  if (dim.kind === 'categorical') return choiceIndex(dim, value);
  return typeof value === 'number' ? value : Number.NaN;
}

export function toExternal(dim: Dimension, x: number): AxisValue {
  if (dim.kind === 'categorical') return dim.choices[x]!;
  if (dim.kind === 'int') return Math.min(dim.high, Math.max(dim.low, Math.round(x)));
  return Number(Math.min(dim.high, Math.max(dim.low, x)).toPrecision(12));
}

/** A uniform draw (log-uniform on a log scale) from one dimension. */
export function sampleUniform(dim: Dimension, rng: SeededRandom): AxisValue {
  switch (dim.kind) {
    case 'categorical':
      return dim.choices[rng.int(dim.choices.length)]!;
    case 'int': {
      if (!dim.log) return dim.low + rng.int(dim.high - dim.low + 1);
      // Each integer owns [k - ½, k + ½] in log space, as the TPE's discrete kernels do.
      const lo = Math.log(dim.low - 0.5);
      const hi = Math.log(dim.high + 0.5);
      return toExternal(dim, Math.exp(lo + rng.next() * (hi - lo)));
    }
    case 'float': {
      const v = dim.log
        ? Math.exp(Math.log(dim.low) + rng.next() * (Math.log(dim.high) - Math.log(dim.low)))
        : dim.low + rng.next() * (dim.high - dim.low);
      return toExternal(dim, v);
    }
  }
}

/** A point drawn uniformly from the whole space. */
export function samplePoint(space: readonly Dimension[], rng: SeededRandom): Point {
  return Object.fromEntries(space.map((d) => [d.name, sampleUniform(d, rng)]));
}

/** A point's identity for "was this exact point tried". */
export function pointKey(space: readonly Dimension[], point: Point): string {
  return JSON.stringify(space.map((d) => point[d.name] ?? null));
}
