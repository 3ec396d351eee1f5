/**
 * The sweep spec: a base run (a preset or a model spec, a dataset with an optional subset,
 * hyperparameters), axes to vary, and how to pick points from them (grid or seeded random).
 * The same schema reads a CLI file (YAML or JSON), an IPC message and an HTTP body.
 *
 *   name: kernel size vs epochs
 *   base:
 *     preset: lenet5-swish            # or model: { inputShape, numClasses, layers: [...] }
 *     dataset: cifar10                # input shape and classes follow the dataset
 *     subset: { train: 6000, test: 1000 }
 *     hyperparameters: { learningRate: 0.001, batchSize: 64 }
 *   axes:
 *     kernelSize: [3, 5, 7]           # every conv layer; layers[2].kernelSize for one
 *     epochs: [5, 10, 15]             # folded: one 15-epoch run per kernel size
 *     learningRate: { min: 0.0001, max: 0.01, steps: 3, scale: log }
 *   method: grid                      # or random, with trials: N and samplerSeed
 *   repeats: 3                        # seeds seed, seed+1, seed+2
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { invalidInput, KernelLabError } from '../errors.ts';
import { datasetNames } from '../datasets/registry.ts';
import { Hyperparameters, ModelSpec } from '../models/modelSpec.ts';
import { PresetId } from '../models/presets.ts';

/** Grids larger than this are refused unless the caller says yes (`yes: true`, `--yes`). */
export const confirmAbove = 10_000;
/** Never expanded, even with yes: a million runs is a typo, not a plan. */
export const hardLimit = 1_000_000;

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

export const AxisValue = z.union([AxisScalar, PoolingValue, z.array(z.number())]);
export type AxisValue = z.infer<typeof AxisValue>;

export const AxisRange = z
  .object({
    min: z.number({ error: 'must be a number' }),
    max: z.number({ error: 'must be a number' }),
    /** Grid: how many values from min to max inclusive. Random search samples the interval and ignores it. */
    steps: z.number().int().min(1).max(100_000).optional(),
    scale: z.enum(['linear', 'log']).default('linear'),
  })
  .strict()
  .superRefine((range, ctx) => {
    if (range.min > range.max)
      ctx.addIssue({ code: 'custom', message: `min (${range.min}) is greater than max (${range.max})`, path: ['min'] });
    if (range.scale === 'log' && range.min <= 0)
      ctx.addIssue({ code: 'custom', message: `a log scale needs min > 0 (got ${range.min})`, path: ['min'] });
  });
export type AxisRange = z.output<typeof AxisRange>;

export const AxisValues = z.union([z.array(AxisValue).min(1, 'an axis needs at least one value'), AxisRange]);
export type AxisValues = z.output<typeof AxisValues>;

export const SubsetSpec = z
  .object({
    /** Training images, stratified by class (the validation split is taken from these). */
    train: z.number().int().positive().optional(),
    /** Test images used for the final evaluation. */
    test: z.number().int().positive().optional(),
  })
  .strict();
export type SubsetSpec = z.infer<typeof SubsetSpec>;

export const DatasetNameSchema = z.enum(datasetNames);

export const SweepBase = z
  .object({
    preset: PresetId.optional(),
    /** A full model spec; its inputShape and numClasses follow the dataset. */
    model: z.unknown().optional(),
    dataset: DatasetNameSchema,
    subset: SubsetSpec.optional(),
    /** Overrides of the preset's hyperparameters (or all of them with a model spec). */
    hyperparameters: z.record(z.string(), z.unknown()).default({}),
  })
  .strict()
  .superRefine((base, ctx) => {
    if ((base.preset === undefined) === (base.model === undefined))
      ctx.addIssue({ code: 'custom', message: 'give exactly one of preset or model', path: ['preset'] });
  });
export type SweepBase = z.output<typeof SweepBase>;

export const SweepSpec = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    /** Experiment to file the sweep under (created when missing). */
    experiment: z.string().trim().min(1).max(200).optional(),
    base: SweepBase,
    axes: z.record(z.string(), AxisValues).default({}),
    method: z.enum(['grid', 'random']).default('grid'),
    /** Random search: how many points to draw. */
    trials: z.number().int().min(1).max(hardLimit).optional(),
    /** Seed of the random-search sampler (not of the runs). */
    samplerSeed: z.number().int().nonnegative().default(0),
    /** Runs per point; repeat r trains with seed + r, so the spread of a point is visible. */
    repeats: z.number().int().min(1).max(100).default(1),
    /** Epoch folding (on by default where valid): train the largest epoch count once, derive the others. */
    fold: z.boolean().default(true),
    /** Higher runs first; the scheduler breaks ties by age. */
    priority: z.number().int().min(-1000).max(1000).default(0),
    /** Confirms a grid larger than 10,000 runs. */
    yes: z.boolean().default(false),
    // Pruner hook (out of scope): a `pruner` field (e.g. median stopping on val_accuracy after N
    // epochs) would be declared here and consulted by the scheduler on each epochEnd of a sweep run.
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.method === 'random' && spec.trials === undefined)
      ctx.addIssue({ code: 'custom', message: 'random search needs a trial count', path: ['trials'] });
    if (spec.method === 'grid' && spec.trials !== undefined)
      ctx.addIssue({ code: 'custom', message: 'trials applies to method random only', path: ['trials'] });
  });
export type SweepSpec = z.output<typeof SweepSpec>;
export type SweepSpecInput = z.input<typeof SweepSpec>;

/** Validates the base model spec (shape checks come per point) and the base hyperparameter names. */
export function checkBase(spec: SweepSpec): void {
  if (spec.base.model !== undefined) {
    const parsed = ModelSpec.safeParse(spec.base.model);
    if (!parsed.success) throw prefixed('sweep spec', 'base.model', parsed.error);
  }
  const known = new Set(Object.keys(Hyperparameters.shape));
  for (const key of Object.keys(spec.base.hyperparameters)) {
    if (!known.has(key))
      throw new KernelLabError(
        'invalid_input',
        `Invalid sweep spec: base.hyperparameters.${key}: unknown hyperparameter; expected one of ${[...known].join(', ')}`,
        [`base.hyperparameters.${key}: unknown hyperparameter`],
      );
  }
}

function prefixed(what: string, prefix: string, error: z.ZodError): KernelLabError {
  const issues = error.issues.map((issue) => `${[prefix, ...issue.path.map(String)].join('.')}: ${issue.message}`);
  return new KernelLabError('invalid_input', `Invalid ${what}: ${issues.join('; ')}`, issues);
}

/** Parses an object as a sweep spec; errors name the field. */
export function parseSweepSpec(input: unknown, source = 'sweep spec'): SweepSpec {
  const parsed = SweepSpec.safeParse(input);
  if (!parsed.success) throw invalidInput(source, parsed.error);
  checkBase(parsed.data);
  return parsed.data;
}

/** Reads the text of a spec file: JSON when the name ends in .json, YAML (a superset of JSON) otherwise. */
export function parseSweepSpecText(text: string, fileName: string): SweepSpec {
  let data: unknown;
  try {
    data = fileName.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const kind = fileName.toLowerCase().endsWith('.json') ? 'JSON' : 'YAML or JSON';
    throw new KernelLabError('invalid_input', `${fileName} is not valid ${kind}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new KernelLabError(
      'invalid_input',
      `${fileName} must hold a sweep spec object (base, axes, …), not ${Array.isArray(data) ? 'a list' : typeof data}`,
    );
  }
  return parseSweepSpec(data, `sweep spec ${fileName}`);
}
