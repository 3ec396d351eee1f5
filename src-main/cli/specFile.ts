import { parse as parseYaml } from 'yaml';
import { SweepSpec } from '../core/contract/index.ts';
import { invalidInput, KernelLabError } from '../core/errors.ts';
import { coreText } from '../core/contract/coreText.ts';
import { m } from '../../i18n/paraglide/messages.js';

/**
 * Reads the text of a sweep spec file: JSON when the name ends in .json, YAML (a superset of
 * JSON) otherwise. Errors name the file and the field; sweeps.preview checks the rest.
 */
export function parseSweepSpecText(text: string, fileName: string): SweepSpec {
  let data: unknown;
  try {
    data = fileName.toLowerCase().endsWith('.json') ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const kind = fileName.toLowerCase().endsWith('.json') ? 'JSON' : m.cli_flags_yaml_or_json();
    throw new KernelLabError(
      'invalid_input',
      m.cli_flags_sweep_not_valid({ file: fileName, kind, reason: (error as Error).message.split('\n')[0]! }),
    );
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new KernelLabError(
      'invalid_input',
      m.cli_flags_sweep_must_hold({ file: fileName, what: Array.isArray(data) ? m.cli_flags_a_list() : typeof data }),
    );
  }
  const parsed = SweepSpec.safeParse(data);
  if (!parsed.success)
    throw invalidInput(
      `sweep spec ${fileName}`,
      parsed.error,
      coreText('error_invalid_sweep_spec_file', { file: fileName.slice(0, 1000) }),
    );
  return parsed.data;
}
