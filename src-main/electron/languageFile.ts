/**
 * The language the user chose in the app's switch, remembered by main in a small file in the
 * app's user data folder. The page keeps its switch in localStorage, which main cannot read, and
 * tells main only once it has loaded (language.ts); without this file a box main shows before
 * then (a start failure) speaks KERNELLAB_LANG or the system's language, not the one the user
 * chose. The file holds one locale (`ko`) and is removed when the page has no switch, so main
 * starts in the order the page does. Apart from Electron so it is tested on real files.
 *
 * Nothing here throws: a file that is too big, unreadable or holds something else is ignored and
 * said on the console (languageFileProblemText), and main starts as if there were none. A missing
 * file is the usual case (no switch made) and is said nowhere.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { locales, type Locale } from '../../i18n/locale.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { MainLanguage, startLanguage } from './language.ts';

export const languageFileName = 'language.txt';

/** More than a locale and a newline: the file is not ours (or was written over), so it is not read. */
export const languageFileMaxBytes = 64;

export type LanguageFileProblem =
  | { kind: 'not_file'; path: string }
  | { kind: 'too_big'; path: string; bytes: number }
  | { kind: 'unreadable'; path: string; reason: string }
  | { kind: 'wrong'; path: string; value: string }
  | { kind: 'unwritten'; path: string; reason: string };

/** An OS error as a short word: its code (EACCES, EISDIR) when it has one, else its message, cut. */
function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code) return code;
  return (error instanceof Error ? error.message : String(error)).slice(0, 200);
}

/** The remembered choice: a locale, or none (no file, or one that is ignored, with why). */
export function readLanguageFile(path: string): { locale: Locale | undefined; problem: LanguageFileProblem | undefined } {
  let fd: number | undefined;
  try {
    // Non-blocking, so a pipe put in its place is refused instead of waited on.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { locale: undefined, problem: { kind: 'not_file', path } };
    const size = stat.size;
    if (size > languageFileMaxBytes) return { locale: undefined, problem: { kind: 'too_big', path, bytes: size } };
    const buffer = Buffer.alloc(languageFileMaxBytes + 1);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    // It grew between the size and the read: as too big as it says now.
    if (read > languageFileMaxBytes) return { locale: undefined, problem: { kind: 'too_big', path, bytes: read } };
    const value = buffer.subarray(0, read).toString('utf8').trim();
    const locale = locales.find((l) => l === value);
    if (!locale) return { locale: undefined, problem: { kind: 'wrong', path, value: JSON.stringify(value.slice(0, 40)) } };
    return { locale, problem: undefined };
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return { locale: undefined, problem: undefined };
    return { locale: undefined, problem: { kind: 'unreadable', path, reason: reasonOf(error) } };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Remembers the page's switch (a locale), or forgets it (none): written to a temporary file and
 * renamed, so a crash mid-write leaves the old choice or the new one, never half of one.
 */
export function writeLanguageFile(path: string, locale: Locale | undefined): LanguageFileProblem | undefined {
  try {
    if (locale === undefined) {
      rmSync(path, { force: true });
      return undefined;
    }
    mkdirSync(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    writeFileSync(temporary, `${locale}\n`);
    renameSync(temporary, path);
    return undefined;
  } catch (error) {
    return { kind: 'unwritten', path, reason: reasonOf(error) };
  }
}

/** What the console says about a file ignored or not written, in the language main speaks. */
export function languageFileProblemText(problem: LanguageFileProblem, locale: Locale): string {
  const path = problem.path.slice(0, 1000);
  switch (problem.kind) {
    case 'not_file':
      return m.desktop_lang_file_not_file({ path }, { locale });
    case 'too_big':
      return m.desktop_lang_file_too_big({ path, bytes: problem.bytes, limit: languageFileMaxBytes }, { locale });
    case 'unreadable':
      return m.desktop_lang_file_unreadable({ path, reason: problem.reason }, { locale });
    case 'wrong':
      return m.desktop_lang_file_wrong({ path, locales: locales.join(', '), value: problem.value }, { locale });
    case 'unwritten':
      return m.desktop_lang_file_unwritten({ path, reason: problem.reason }, { locale });
    default: {
      const never: never = problem;
      throw new Error(`Unknown language file problem ${JSON.stringify(never)}`);
    }
  }
}

/**
 * Main's language at start and from then on: the switch remembered in `file`, then KERNELLAB_LANG,
 * then the desktop's languages (startLanguage), written back to `file` whenever the page's switch
 * changes. What is ignored or not written is passed to `say` (the console), never thrown.
 */
export function startMainLanguage(options: {
  file: string;
  envLang: string | undefined;
  systemLanguages: readonly string[];
  say: (line: string) => void;
}): MainLanguage {
  const remembered = readLanguageFile(options.file);
  const start = startLanguage(options.envLang, options.systemLanguages, remembered.locale);
  if (remembered.problem) options.say(languageFileProblemText(remembered.problem, start.locale));
  if (start.warning) options.say(start.warning);
  const language = new MainLanguage(start.locale, remembered.locale);
  language.onChoice((chosen) => {
    const problem = writeLanguageFile(options.file, chosen);
    if (problem) options.say(languageFileProblemText(problem, language.locale));
  });
  return language;
}
