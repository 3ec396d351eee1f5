/**
 * A file dropped on New run → from Keras: which files the page sends to training.importKeras, and
 * its own refusal of the others in the page's language (issue 17). The renderer takes the
 * contract as types only, so the limits are the contract's (maxKerasFileBytes, the 8 MB of a
 * model's JSON) written again here.
 */
import { m } from '../../i18n/paraglide/messages.js';
import { getLocale } from '../../i18n/paraglide/runtime.js';

/** A model config is a few hundred kB; the core refuses JSON over 8 MB, so a larger JSON file is not read at all. */
export const maxJsonBytes = 8 << 20;
/** The contract's maxKerasFileBytes: a .keras file crosses whole (weights too) and the core reads its config.json. */
export const maxKerasBytes = 48 << 20;

/** A .keras file is a zip: its first four bytes are PK\x03\x04. */
export function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

/** Why a dropped file is not sent, in the page's language; null when it may be. `zip`: it is a .keras file. */
export function droppedFileRefusal(file: { name: string; size: number }, zip: boolean, locale: 'en' | 'ko' = getLocale()): string | null {
  if (zip)
    return file.size > maxKerasBytes
      ? m.keras_file_too_big({ file: file.name, size: (file.size / 2 ** 20).toFixed(1), limit: maxKerasBytes >> 20 }, { locale })
      : null;
  return file.size > maxJsonBytes ? m.keras_too_big({ file: file.name, size: file.size }, { locale }) : null;
}
