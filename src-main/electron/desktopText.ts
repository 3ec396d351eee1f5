/**
 * What main itself says, in the language main speaks (language.ts): the import dialog's title and
 * the error boxes. Kept apart from Electron so both languages are tested without it.
 */
import { KernelLabError } from '../core/errors.ts';
import type { Locale } from '../../i18n/locale.ts';
import { errorBodyText } from '../../i18n/coreText.ts';
import { m } from '../../i18n/paraglide/messages.js';

/** The import dialog main opens for the page (pathGrants.ts): its title and what it lets the user pick. */
export function importDialogOptions(
  kind: 'files' | 'folder',
  locale: Locale,
): { title: string; properties: ('openDirectory' | 'openFile' | 'multiSelections')[] } {
  return kind === 'folder'
    ? { title: m.desktop_dialog_folder({}, { locale }), properties: ['openDirectory'] }
    : { title: m.desktop_dialog_files({}, { locale }), properties: ['openFile', 'multiSelections'] };
}

/** An error as the user reads it: a KernelLabError by its code (errors.ts), anything else by its message. */
function errorWords(error: unknown, locale: Locale): string {
  if (error instanceof KernelLabError) return errorBodyText(error.toBody(), locale);
  return error instanceof Error ? error.message : String(error);
}

/** The box shown when the service host kept crashing and main gave up on it (ServiceClient's onGiveUp). */
export function stoppedBox(error: KernelLabError, locale: Locale): { title: string; body: string } {
  return {
    title: m.desktop_stopped_title({}, { locale }),
    body: m.desktop_stopped_body({ reason: errorWords(error, locale) }, { locale }),
  };
}

/** The box shown when the service could not start (a database newer than the app, a data folder it cannot write). */
export function startFailedBox(error: unknown, locale: Locale): { title: string; body: string } {
  return { title: m.desktop_start_failed_title({}, { locale }), body: errorWords(error, locale) };
}

/** The name of the desktop GPU host window's token, as a page names its own (src-renderer/lib/madeNames.ts gpuJobName). */
export function gpuHostTokenLabel(locale: Locale): string {
  return m.gpu_host_job({}, { locale });
}
