/**
 * Why a runs export is not JSON KernelLab reads (core/db/scanReasons.ts), part of coreTextParams
 * (coreText.ts): JSON.parse's complaint by where it stopped, and each reason of the byte scanner
 * (at a byte of a file) and of the slicer (at a character of a text).
 */
import { z } from 'zod';

const count = z.number().int().nonnegative();
const word = z.string().max(1000);

export const importTextParams = {
  import_not_json_at: z.object({ at: count }).strict(),
  import_not_json_ends_early: z.object({}).strict(),
  import_not_json_token: z.object({ token: word }).strict(),
  import_scan_byte_member_name_not_string: z.object({ at: count }).strict(),
  import_scan_character_member_name_not_string: z.object({ at: count }).strict(),
  import_scan_byte_expected_object: z.object({ at: count }).strict(),
  import_scan_character_expected_object: z.object({ at: count }).strict(),
  import_scan_byte_expected_member_name: z.object({ at: count }).strict(),
  import_scan_character_expected_member_name: z.object({ at: count }).strict(),
  import_scan_byte_expected_colon: z.object({ at: count }).strict(),
  import_scan_character_expected_colon: z.object({ at: count }).strict(),
  import_scan_byte_runs_expected_list: z.object({ at: count }).strict(),
  import_scan_character_runs_expected_list: z.object({ at: count }).strict(),
  import_scan_byte_expected_list: z.object({ at: count }).strict(),
  import_scan_character_expected_list: z.object({ at: count }).strict(),
  import_scan_byte_text_after_object: z.object({ at: count }).strict(),
  import_scan_character_text_after_object: z.object({ at: count }).strict(),
  import_scan_byte_unexpected_bracket: z.object({ at: count }).strict(),
  import_scan_character_unexpected_bracket: z.object({ at: count }).strict(),
  import_scan_byte_value_missing: z.object({ at: count }).strict(),
  import_scan_character_value_missing: z.object({ at: count }).strict(),
  import_scan_byte_expected_comma_or_bracket: z.object({ at: count }).strict(),
  import_scan_character_expected_comma_or_bracket: z.object({ at: count }).strict(),
  import_scan_byte_expected_comma_or_brace: z.object({ at: count, close: word }).strict(),
  import_scan_character_expected_comma_or_brace: z.object({ at: count, close: word }).strict(),
  import_scan_byte_ends_early: z.object({ at: count }).strict(),
  import_scan_character_ends_early: z.object({ at: count }).strict(),
  import_scan_byte_string_not_closed: z.object({ at: count }).strict(),
  import_scan_character_string_not_closed: z.object({ at: count }).strict(),
  import_scan_byte_not_closed: z.object({ at: count }).strict(),
  import_scan_character_not_closed: z.object({ at: count }).strict(),
} as const;
