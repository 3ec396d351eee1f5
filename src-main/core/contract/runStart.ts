/**
 * What one run trains: a preset or model spec, a dataset (or a subset of it), hyperparameters, and
 * named axis values (`kernelSize: 3`) — the input of runs.start and the base of every sweep point.
 */
import { z } from 'zod';
import { DatasetName } from './datasets.ts';
import { PresetId } from './training.ts';

/** A named axis value that is a plain number, word or switch (`kernelSize: 3`, `optimizer: sgd`). */
export const AxisScalar = z.union([z.number(), z.string(), z.boolean()]);
export type AxisScalar = z.infer<typeof AxisScalar>;

/** A pooling axis value: a kind alone, or a kind with pool size and stride. */
export const PoolingValue = z.union([
  z.enum(['max', 'avg']),
  z
    .object({
      type: z.enum(['max', 'avg']),
      poolSize: z.number().int().positive().optional(),
      strides: z.number().int().positive().optional(),
    })
    .strict(),
]);
export type PoolingValue = z.infer<typeof PoolingValue>;

/** One value of a named axis: what `runs.start` sets and what a sweep axis lists. */
export const AxisValue = z.union([AxisScalar, PoolingValue, z.array(z.number())]);
export type AxisValue = z.infer<typeof AxisValue>;

export const SubsetSpec = z
  .object({
    /** Training images, stratified by class (the validation split is taken from these). */
    train: z.number().int().positive().optional(),
    /** Test images used for the final evaluation. */
    test: z.number().int().positive().optional(),
  })
  .strict();
export type SubsetSpec = z.infer<typeof SubsetSpec>;

/** What one run trains, and the base of every point of a sweep. */
export const RunBase = z
  .object({
    preset: PresetId.optional(),
    /** A full model spec; its inputShape and numClasses follow the dataset. */
    model: z.unknown().optional(),
    dataset: DatasetName,
    subset: SubsetSpec.optional(),
    /** Overrides of the preset's hyperparameters (or all of them with a model spec). */
    hyperparameters: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .superRefine((base, ctx) => {
    if ((base.preset === undefined) === (base.model === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of preset or model', path: ['preset'] });
  });
export type RunBase = z.output<typeof RunBase>;

/** One run to train: a run base and named axes with one value each (a queue of one). */
export const StartRunInput = z
  .object({
    run: RunBase,
    /** Named axes with one value each, e.g. { kernelSize: 3 } for every conv layer (same names as sweep axes). */
    set: z.record(z.string(), AxisValue).default({}),
    name: z.string().trim().min(1).max(200).optional(),
    priority: z.number().int().min(-1000).max(1000).default(0),
    experiment: z.string().trim().min(1).max(200).optional(),
    /** Only this process trains the run (`kernellab train` runs the run it queued, never another's). */
    runHere: z.boolean().default(false),
    /** Confirms a run of more than 10,000 epochs (as a sweep's `yes` confirms more than 10,000 runs). */
    yes: z.boolean().default(false),
  })
  .strict();
export type StartRunInput = z.input<typeof StartRunInput>;
