/**
 * What sweeps.importance answers: which axis mattered (fANOVA), each axis's marginal effect, the
 * best value as runs finished, and the runs the pruner stopped. Re-exported by sweeps.ts.
 */
import { z } from 'zod';
import { AxisValue } from './runs.ts';
import { ProblemText } from './coreText.ts';

/**
 * A sweep point that cannot run, with why: `error` in English (its problems joined with '; ') and
 * `errorCodes` the same problems coded (absent in plans stored before them, and for TPE's).
 */
export const ImpossiblePoint = z.object({
  index: z.number().int(),
  values: z.record(z.string(), AxisValue),
  error: z.string(),
  errorCodes: z.array(ProblemText).optional(),
});
export type ImpossiblePoint = z.infer<typeof ImpossiblePoint>;

const Id = z.number().int().positive();

/** Which axis mattered, how each moved the metric, and how the search went (sweeps.importance). */
export const SweepImportance = z.object({
  sweepId: Id,
  metric: z.string(),
  direction: z.enum(['maximize', 'minimize']),
  /** Completed runs with a value of the metric (derived runs included): what importance is fitted on. */
  trials: z.number().int(),
  /** fANOVA importance per axis, best first: each axis's share of the metric's variance (sums to 1). */
  axes: z.array(z.object({ name: z.string(), importance: z.number(), std: z.number() })),
  /** Why importance could not be computed (too few runs, a metric that never varies), or null. */
  note: z.string().nullable(),
  /** Each axis's marginal effect: the metric against the axis value, with its spread. */
  marginals: z.array(
    z.object({
      axis: z.string(),
      numeric: z.boolean(),
      log: z.boolean(),
      bins: z.array(
        z.object({
          value: AxisValue,
          low: z.number().nullable(),
          high: z.number().nullable(),
          label: z.string(),
          count: z.number().int(),
          mean: z.number(),
          std: z.number(),
          min: z.number(),
          max: z.number(),
        }),
      ),
      points: z.array(z.object({ value: AxisValue, metric: z.number(), runId: Id })),
    }),
  ),
  /** The best value so far as runs finished, in order (trained runs only). */
  bestSoFar: z.array(z.object({ runId: Id, endedAt: z.number(), value: z.number(), best: z.number() })),
  /** Runs stopped by the pruner, with where and why. */
  pruned: z.array(
    z.object({
      runId: Id,
      values: z.record(z.string(), AxisValue),
      epoch: z.number().int(),
      rung: z.number().int().nullable(),
      reason: z.string(),
    }),
  ),
  /** Points proposed and waiting for a worker (TPE's next). */
  proposed: z.array(z.object({ runId: Id, values: z.record(z.string(), AxisValue) })),
  /** Points found impossible (TPE learns them and never proposes them again). */
  impossible: z.array(ImpossiblePoint),
});
export type SweepImportance = z.infer<typeof SweepImportance>;
