/**
 * Which language the desktop app's main process speaks (its menu, file dialogs and error boxes),
 * apart from Electron so it is tested without it. The page's switch lives in the renderer
 * (src-renderer/lib/locale.ts, remembered in its localStorage), which main cannot read: the page
 * tells main its language once it has set it, over IPC, and whether that is the user's switch;
 * main keeps the language and remembers the switch in a file (languageFile.ts). Before the page
 * has said, main speaks in the page's order: the remembered switch, then KERNELLAB_LANG, then the
 * desktop's languages.
 */
import type { BridgeReply } from '../core/contract/index.ts';
import { coded, type KernelLabError } from '../core/errors.ts';
import { localeOf, locales, pickLocale, type Locale } from '../../i18n/locale.ts';
import { m } from '../../i18n/paraglide/messages.js';

/** A value from outside as a short quoted word for a refusal: a string quoted and cut, anything else by its type. */
function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : value === null ? 'null' : typeof value;
}

/**
 * The language main starts with, in the page's order (src-renderer/lib/locale.ts): the switch the
 * user made in the app (`chosen`, remembered by languageFile.ts), then KERNELLAB_LANG when it names
 * one the catalogue speaks (the page reads it as Chromium's --lang), else the first of the
 * desktop's languages that it speaks (English when none). A KERNELLAB_LANG it does not speak is
 * said in `warning`, in the language main speaks instead.
 */
export function startLanguage(
  envLang: string | undefined,
  systemLanguages: readonly string[],
  chosen?: Locale,
): { locale: Locale; warning: string | undefined } {
  const system = pickLocale(systemLanguages);
  const fromEnv = envLang ? localeOf(envLang) : undefined;
  const locale = chosen ?? fromEnv ?? system;
  if (!envLang || fromEnv) return { locale, warning: undefined };
  // The refusal is the CLI's (i18n/locale.ts), then what the app does instead.
  const refusal = m.lang_setting_unknown({ field: 'KERNELLAB_LANG', languages: locales.join(', '), value: shown(envLang) }, { locale });
  const warning = chosen ? m.desktop_lang_env_unknown_chosen({ refusal }, { locale }) : m.desktop_lang_env_unknown({ refusal }, { locale });
  return { locale, warning };
}

/** KERNELLAB_LANG as Chromium's --lang (the page's navigator.languages): the locale it names, else none. */
export function langSwitch(envLang: string | undefined): Locale | undefined {
  return envLang ? localeOf(envLang) : undefined;
}

/** The refusal of a page language that is not one of the catalogue's locales. */
export function pageLanguageRefused(value: unknown): KernelLabError {
  const params = { locales: locales.join(', '), value: shown(value) };
  return coded('invalid_input', `The page's language must be one of ${params.locales}; got ${params.value}`, 'error_page_language', params);
}

/** The refusal of a page's word on its switch that is not true or false. */
export function pageChoiceRefused(value: unknown): KernelLabError {
  const params = { value: shown(value) };
  return coded(
    'invalid_input',
    `Whether the page's language is the user's choice must be true or false; got ${params.value}`,
    'error_page_language_chosen',
    params,
  );
}

/**
 * Main's language: where it starts, the page's language once told, who redraws when it changes
 * (the menu), and the user's switch as the page last said it, with who remembers it (the file).
 */
export class MainLanguage {
  #locale: Locale;
  #chosen: Locale | undefined;
  readonly #listeners: ((locale: Locale) => void)[] = [];
  readonly #choiceListeners: ((chosen: Locale | undefined) => void)[] = [];

  /** `chosen`: the switch main remembered from the last session, if any. */
  constructor(locale: Locale, chosen?: Locale) {
    this.#locale = locale;
    this.#chosen = chosen;
  }

  get locale(): Locale {
    return this.#locale;
  }

  onChange(listener: (locale: Locale) => void): void {
    this.#listeners.push(listener);
  }

  /** Called when the user's switch differs from the one main knew: a locale, or none (the page has no switch). */
  onChoice(listener: (chosen: Locale | undefined) => void): void {
    this.#choiceListeners.push(listener);
  }

  /**
   * The page's language as the renderer sent it: exactly one of the catalogue's locales (the page
   * sends the locale it set, never a tag), and `chosen`, true when that locale is the user's switch
   * (absent means false); anything else is refused with words and nothing changes.
   */
  fromPage(value: unknown, chosen: unknown = false): BridgeReply {
    const locale = typeof value === 'string' ? locales.find((l) => l === value) : undefined;
    if (!locale) return { ok: false, error: pageLanguageRefused(value).toBody() };
    if (typeof chosen !== 'boolean') return { ok: false, error: pageChoiceRefused(chosen).toBody() };
    if (locale !== this.#locale) {
      this.#locale = locale;
      for (const listener of this.#listeners) listener(locale);
    }
    const choice = chosen ? locale : undefined;
    if (choice !== this.#chosen) {
      this.#chosen = choice;
      for (const listener of this.#choiceListeners) listener(choice);
    }
    return { ok: true, result: locale };
  }
}
