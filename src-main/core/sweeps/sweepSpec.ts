/**
 * Checks a sweep spec beyond its schema (contract/sweeps.ts): the base model spec and the names
 * of the base hyperparameters, with errors that name the field.
 */
import type { z } from 'zod';
import { Hyperparameters, ModelSpec, SweepSpec } from '../contract/index.ts';
import { coded, invalidInput, issueText, KernelLabError } from '../errors.ts';
import { coreText } from '../contract/coreText.ts';

/** Grids larger than this are refused unless the caller says yes (`yes: true`, `--yes`). */
export const confirmAbove = 10_000;
/** Runs of more epochs than this, too (epochs: 1e9 was accepted with a 3·10¹⁰ s ETA). */
export const confirmEpochsAbove = 10_000;

/** Validates the base model spec (shape checks come per point) and the base hyperparameter names. */
export function checkBase(spec: SweepSpec): void {
  if (spec.base.model !== undefined) {
    const parsed = ModelSpec.safeParse(spec.base.model);
    if (!parsed.success) throw prefixed('base.model', parsed.error);
  }
  const known = new Set(Object.keys(Hyperparameters.shape));
  for (const key of Object.keys(spec.base.hyperparameters)) {
    if (!known.has(key))
      throw coded(
        'invalid_input',
        `Invalid sweep spec: base.hyperparameters.${key}: unknown hyperparameter; expected one of ${[...known].join(', ')}`,
        'error_sweep_unknown_hyperparameter',
        { key: key.slice(0, 200), known: [...known].join(', ') },
        [`base.hyperparameters.${key}: unknown hyperparameter`],
      );
  }
}

/** A sweep spec's part that fails its schema: the issues with their paths under `prefix`, each coded (errors.ts issueText). */
function prefixed(prefix: string, error: z.ZodError): KernelLabError {
  const paths = error.issues.map((issue) => [prefix, ...issue.path.map(String)].join('.'));
  const issues = error.issues.map((issue, i) => `${paths[i]}: ${issue.message}`);
  return new KernelLabError('invalid_input', `Invalid sweep spec: ${issues.join('; ')}`, issues, {
    text: coreText('error_invalid_sweep_spec', {}),
    issueTexts: error.issues.map((issue, i) => ({ path: paths[i]!, text: issueText(issue) })),
  });
}

/** Parses an object as a sweep spec; errors name the field. */
export function parseSweepSpec(input: unknown, source = 'sweep spec'): SweepSpec {
  const parsed = SweepSpec.safeParse(input);
  if (!parsed.success)
    throw invalidInput(source, parsed.error, source === 'sweep spec' ? coreText('error_invalid_sweep_spec', {}) : undefined);
  checkBase(parsed.data);
  return parsed.data;
}
