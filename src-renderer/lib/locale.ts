/**
 * The renderer's language: the switch in the app (remembered in localStorage), then a `lang`
 * the shell put in the page's address (`kernellab serve` passes KERNELLAB_LANG/--lang so), then the
 * browser's or the desktop's languages. Set once before the app mounts; switching reloads the
 * page, so every message (script-level labels too) is read again in the new language.
 */
import { getLocale, setLocale } from '../../i18n/paraglide/runtime.js';
import { localeOf, pickLocale, type Locale } from '../../i18n/locale.ts';

const storageKey = 'kernellab.lang';

function remembered(): string | null {
  try {
    return localStorage.getItem(storageKey);
  } catch {
    // Storage can be disabled (private windows, policies): then the switch lasts for the page only.
    return null;
  }
}

/** Whether the page's language is the user's switch (it wins over everything else in startLocale). */
export function localeChosen(): boolean {
  return localeOf(remembered()) !== undefined;
}

export function startLocale(): Locale {
  const fromAddress = new URLSearchParams(window.location.search).get('lang');
  const locale = pickLocale([remembered(), fromAddress, ...navigator.languages, navigator.language]);
  setLocale(locale, { reload: false });
  document.documentElement.lang = locale;
  return locale;
}

export function currentLocale(): Locale {
  return getLocale();
}

/** Remembers the choice and reloads the page in that language. */
export function switchLocale(value: string): void {
  const locale = localeOf(value);
  if (!locale || locale === getLocale()) return;
  try {
    localStorage.setItem(storageKey, locale);
  } catch {
    // Not remembered (storage disabled); the reload still shows it once through the address.
    const url = new URL(window.location.href);
    url.searchParams.set('lang', locale);
    window.history.replaceState(null, '', url);
  }
  window.location.reload();
}
