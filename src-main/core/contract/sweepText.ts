/**
 * What a sweep's preview and queueing say about the sweep itself (core/sweeps: estimate.ts,
 * axes.ts, queueing.ts, sweepSpec.ts): part of coreTextParams (coreText.ts), which passes in its
 * list schema of coded sentences (this file cannot import it: coreText.ts imports this file).
 * Axis names, field paths and values pass as they are.
 */
import { z } from 'zod';

// The same kinds of parameter as coreText.ts's.
const count = z.number().int().nonnegative();
const word = z.string().max(1000);
const number = z.number();

/** `problems`: coreText.ts's schema of a list of coded sentences. */
export function sweepTextParams<Problems extends z.ZodType>(problems: Problems) {
  return {
    // The estimate's basis (estimate.ts): GFLOP/s as the core wrote them (3.4, 12.35).
    sweep_estimate_rough_default: z.object({ gflops: word }).strict(),
    sweep_estimate_measured: z.object({ runs: count, gflops: word }).strict(),
    // An axis value refused (axes.ts): `where` is the axis and index as written, `value` the value as JSON.
    sweep_axis_not_integer: z.object({ where: word, value: word }).strict(),
    sweep_axis_not_number: z.object({ where: word, value: word }).strict(),
    sweep_axis_not_at_least: z.object({ where: word, value: word, min: number }).strict(),
    sweep_axis_not_greater_than: z.object({ where: word, value: word, min: number }).strict(),
    sweep_axis_not_at_most: z.object({ where: word, value: word, max: number }).strict(),
    sweep_axis_not_less_than: z.object({ where: word, value: word, max: number }).strict(),
    sweep_axis_not_one_of: z.object({ where: word, value: word, options: word }).strict(),
    sweep_axis_not_boolean: z.object({ where: word, value: word }).strict(),
    sweep_axis_not_pooling: z.object({ where: word, value: word, form: word }).strict(),
    sweep_axis_not_positive_ints: z.object({ where: word, value: word }).strict(),
    // The same as an issue of the axis' field.
    issue_sweep_integer: z.object({}).strict(),
    issue_sweep_number: z.object({}).strict(),
    issue_sweep_boolean: z.object({}).strict(),
    issue_sweep_pooling: z.object({}).strict(),
    issue_sweep_positive_ints: z.object({}).strict(),
    // A sweep none of whose points can run (queueing.ts): the first point's values and why.
    sweep_no_point_runs: z.object({ index: count, values: word, problems }).strict(),
    sweep_no_point_runs_base: z.object({ index: count, problems }).strict(),
    sweep_no_points: z.object({}).strict(),
    // A sweep spec (or its base, or the CLI's spec file) that fails its schema: a heading for the coded issues.
    error_invalid_sweep_spec: z.object({}).strict(),
    error_invalid_sweep_spec_file: z.object({ file: word }).strict(),
  } as const;
}
