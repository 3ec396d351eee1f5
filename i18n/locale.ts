/**
 * Which language KernelLab speaks, decided the same way in the renderer and in Node. Pure
 * functions over the candidates each shell has (the app's remembered switch, KERNELLAB_LANG,
 * `--lang`, the system locale); the shells call setLocale once with the answer.
 */
import { m } from './paraglide/messages.js';
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

/** A language asked for by name that the catalogue does not speak: where it came from and what it was. */
export class LangSettingError extends Error {
  readonly field: string;
  /** The value as written, cut to 40 characters. */
  readonly value: string;

  constructor(field: string, value: string) {
    const shown = JSON.stringify(value.slice(0, 40));
    super(`${field} must be one of ${locales.join(', ')} (or a tag such as ko-KR); got ${shown}.`);
    this.name = 'LangSettingError';
    this.field = field;
    this.value = value.slice(0, 40);
  }
}

/**
 * A language the user asked for by name (`--lang`, KERNELLAB_LANG): a tag the catalogue does not
 * speak is a mistake to report, not a fallback to make silently. `field` names where it came from.
 */
export function parseLangSetting(value: string, field: string): Locale {
  const locale = localeOf(value);
  if (!locale) throw new LangSettingError(field, value);
  return locale;
}

/** The system's language: the first of LC_ALL, LC_MESSAGES, LANG that is set decides, as POSIX says ('C' means English), then Intl's default. */
function systemLocale(env: Record<string, string | undefined>, intlLocale?: string): Locale {
  const posix = [env.LC_ALL, env.LC_MESSAGES, env.LANG].find((v) => v);
  if (posix) return localeOf(posix) ?? baseLocale;
  return pickLocale([intlLocale ?? Intl.DateTimeFormat().resolvedOptions().locale]);
}

/**
 * Node's choice: `--lang`, then KERNELLAB_LANG, then the system locale (the first of LC_ALL,
 * LC_MESSAGES, LANG that is set decides, as POSIX says; 'C' means English), then Intl's default.
 */
export function nodeLocale(options: { flag?: string | undefined; env: Record<string, string | undefined>; intlLocale?: string }): Locale {
  if (options.flag !== undefined) return parseLangSetting(options.flag, '--lang');
  const fromEnv = options.env.KERNELLAB_LANG;
  if (fromEnv) return parseLangSetting(fromEnv, 'KERNELLAB_LANG');
  return systemLocale(options.env, options.intlLocale);
}

/**
 * Why nodeLocale refused, said before any language is set: in the language the user's other
 * settings name (a KERNELLAB_LANG the catalogue speaks when `--lang` was the wrong one, else the
 * system's), since the one asked for is not known. Any other error: its message.
 */
export function langRefusalText(error: unknown, options: { env: Record<string, string | undefined>; intlLocale?: string }): string {
  if (!(error instanceof LangSettingError)) return error instanceof Error ? error.message : String(error);
  const fromEnv = error.field === '--lang' ? localeOf(options.env.KERNELLAB_LANG) : undefined;
  const locale = fromEnv ?? systemLocale(options.env, options.intlLocale);
  return m.lang_setting_unknown({ field: error.field, languages: locales.join(', '), value: JSON.stringify(error.value) }, { locale });
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
