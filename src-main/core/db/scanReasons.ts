/**
 * Why the byte scanner (exportFile.ts) or the slicer (jsonSlices.ts) found a runs export not to
 * be JSON they read, each reason with its code, so the refusal says it in the user's language:
 * `not JSON KernelLab reads (a value is missing at byte 42)` (a file) and `not JSON (a value is
 * missing at character 42)` (a text). The English phrases are the scanners' own, unchanged.
 */
import { coreText, type CoreText } from '../contract/coreText.ts';
import { jsonComplaint } from '../jsonComplaint.ts';

/** Each reason's code, without the `import_scan_byte_` / `import_scan_character_` prefix. */
const reasonCodes = {
  'a member name is not a JSON string': 'member_name_not_string',
  'expected an object': 'expected_object',
  'expected a member name': 'expected_member_name',
  'expected ":"': 'expected_colon',
  'runs: expected a list': 'runs_expected_list',
  'expected a list': 'expected_list',
  'unexpected text after the object': 'text_after_object',
  'unexpected "]"': 'unexpected_bracket',
  'a value is missing': 'value_missing',
  'expected "," or "]"': 'expected_comma_or_bracket',
  'expected "," or "}"': 'expected_comma_or_brace',
  'the text ends early': 'ends_early',
  'a string is not closed': 'string_not_closed',
  'an object or list is not closed': 'not_closed',
} as const;

/** A reason the scanners give, in their words. */
export type ScanReason = keyof typeof reasonCodes;

/** A reason at byte `at` of a file (the byte scanner), or at character `at` of a text (the slicer). */
export function scanReasonText(reason: ScanReason, at: number, unit: 'byte' | 'character'): CoreText {
  const code = reasonCodes[reason];
  // A brace cannot stand as itself in a catalogue message: that one reason takes it as a parameter.
  if (code === 'expected_comma_or_brace') return coreText(`import_scan_${unit}_${code}`, { at, close: '}' });
  return coreText(`import_scan_${unit}_${code}`, { at });
}

/** JSON.parse's complaint about one part of an export, coded by where it stopped (jsonComplaint.ts). */
export function parseErrorText(message: string): CoreText {
  const complaint = jsonComplaint(message);
  switch (complaint.kind) {
    case 'at':
      return coreText('import_not_json_at', { at: complaint.at });
    case 'ends_early':
      return coreText('import_not_json_ends_early', {});
    case 'token':
      return coreText('import_not_json_token', { token: complaint.token });
    case 'other':
      return coreText('import_not_json', { detail: message.slice(0, 1000) });
  }
}
