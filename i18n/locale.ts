/**
 * Which language KernelLab speaks, decided the same way in the renderer and in Node. Pure
 * functions over the candidates each shell has (the app's remembered switch, KERNELLAB_LANG,
 * `--lang`, the system locale); the shells call setLocale once with the answer.
 */
import { baseLocale, locales, type Locale } from './paraglide/runtime.js';

export { baseLocale, locales, type Locale };

/** The language names shown in the switch, each in its own language. */
export const localeNames: Record<Locale, string> = { en: 'English', ko: '한국어' };

/**
 * The catalogue's locale for a language tag or POSIX locale: 'ko', 'ko-KR', 'ko_KR.UTF-8' → 'ko';
 * 'C', 'POSIX', '', 'fr-FR' → undefined.
 */
export function localeOf(tag: string | null | undefined): Locale | undefined {
  if (!tag) return undefined;
  const language = tag
    .trim()
    .split(/[-_.@]/)[0]
    ?.toLowerCase();
  return locales.find((l) => l === language);
}

/** The first candidate the catalogue speaks, else English. */
export function pickLocale(candidates: Iterable<string | null | undefined>): Locale {
  for (const candidate of candidates) {
    const locale = localeOf(candidate);
    if (locale) return locale;
  }
  return baseLocale;
}

/**
 * A language the user asked for by name (`--lang`, KERNELLAB_LANG): a tag the catalogue does not
 * speak is a mistake to report, not a fallback to make silently. `field` names where it came from.
 */
export function parseLangSetting(value: string, field: string): Locale {
  const locale = localeOf(value);
  if (!locale) {
    throw new Error(`${field} must be one of ${locales.join(', ')} (or a tag such as ko-KR); got ${JSON.stringify(value.slice(0, 40))}.`);
  }
  return locale;
}

/**
 * Node's choice: `--lang`, then KERNELLAB_LANG, then the system locale (the first of LC_ALL,
 * LC_MESSAGES, LANG that is set decides, as POSIX says; 'C' means English), then Intl's default.
 */
export function nodeLocale(options: { flag?: string | undefined; env: Record<string, string | undefined>; intlLocale?: string }): Locale {
  if (options.flag !== undefined) return parseLangSetting(options.flag, '--lang');
  const fromEnv = options.env.KERNELLAB_LANG;
  if (fromEnv) return parseLangSetting(fromEnv, 'KERNELLAB_LANG');
  const posix = [options.env.LC_ALL, options.env.LC_MESSAGES, options.env.LANG].find((v) => v);
  if (posix) return localeOf(posix) ?? baseLocale;
  return pickLocale([options.intlLocale ?? Intl.DateTimeFormat().resolvedOptions().locale]);
}

/**
 * `--lang` as written anywhere on the command line (`--lang ko`, `--lang=ko`): read before the
 * commands are built, since their help texts come from the catalogue in that language.
 */
export function langFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return undefined;
    if (arg === '--lang') return argv[i + 1] ?? '';
    if (arg.startsWith('--lang=')) return arg.slice('--lang='.length);
  }
  return undefined;
}
