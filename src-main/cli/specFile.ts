import { parse as parseYaml } from 'yaml';
import { SweepSpec } from '../core/contract/index.ts';
import { invalidInput, KernelLabError } from '../core/errors.ts';

/**
 * Reads the text of a sweep spec file: JSON when the name ends in .json, YAML (a superset of
 * JSON) otherwise. Errors name the file and the field; sweeps.preview checks the rest.
 */
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
  const parsed = SweepSpec.safeParse(data);
  if (!parsed.success) throw invalidInput(`sweep spec ${fileName}`, parsed.error);
  return parsed.data;
}
