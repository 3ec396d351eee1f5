/**
 * Which language the desktop app's main process speaks (its menu, file dialogs and error boxes),
 * apart from Electron so it is tested without it. The page's switch lives in the renderer
 * (src-renderer/lib/locale.ts, remembered in its localStorage), which main cannot read: the page
 * tells main its language once it has set it, over IPC, and main keeps that. Before the page has
 * said, main speaks KERNELLAB_LANG, else the desktop's languages.
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
 * The language main starts with: KERNELLAB_LANG when it names one the catalogue speaks, else the
 * first of the desktop's languages that it speaks (English when none). A KERNELLAB_LANG it does not
 * speak is said in `warning`, in the language main falls back to.
 */
export function startLanguage(
  envLang: string | undefined,
  systemLanguages: readonly string[],
): { locale: Locale; warning: string | undefined } {
  const system = pickLocale(systemLanguages);
  if (!envLang) return { locale: system, warning: undefined };
  const chosen = localeOf(envLang);
  if (chosen) return { locale: chosen, warning: undefined };
  const warning = m.desktop_lang_env_unknown({ locales: locales.join(', '), value: shown(envLang) }, { locale: system });
  return { locale: system, warning };
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

/** Main's language: where it starts, the page's choice once told, and who redraws when it changes (the menu). */
export class MainLanguage {
  #locale: Locale;
  readonly #listeners: ((locale: Locale) => void)[] = [];

  constructor(locale: Locale) {
    this.#locale = locale;
  }

  get locale(): Locale {
    return this.#locale;
  }

  onChange(listener: (locale: Locale) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * The page's language as the renderer sent it: exactly one of the catalogue's locales (the page
   * sends the locale it set, never a tag), else refused with words and nothing changes.
   */
  fromPage(value: unknown): BridgeReply {
    const locale = typeof value === 'string' ? locales.find((l) => l === value) : undefined;
    if (!locale) return { ok: false, error: pageLanguageRefused(value).toBody() };
    if (locale !== this.#locale) {
      this.#locale = locale;
      for (const listener of this.#listeners) listener(locale);
    }
    return { ok: true, result: locale };
  }
}
