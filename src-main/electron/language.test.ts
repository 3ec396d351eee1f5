/**
 * Which language the desktop app's main process speaks (language.ts): KERNELLAB_LANG, else the
 * desktop's languages, until the page says which it set; a page language that is not one of ours
 * is refused in words and changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { errorBodyText } from '../../i18n/coreText.ts';
import { langSwitch, MainLanguage, startLanguage } from './language.ts';

const hangul = /[\uac00-\ud7a3]/;
/** English words a Korean sentence of main must not keep (KernelLab, KERNELLAB_LANG, ko-KR and the locales aside). */
const englishWords = /\b(must|one of|or|tag|such|got|app|follows|system|language|page)\b/i;

describe("main's language at start", () => {
  it('speaks KERNELLAB_LANG when it names a language of ours, as a tag too', () => {
    expect(startLanguage('ko', ['en-US'])).toEqual({ locale: 'ko', warning: undefined });
    expect(startLanguage('ko_KR.UTF-8', ['en-US'])).toEqual({ locale: 'ko', warning: undefined });
    expect(startLanguage('en', ['ko-KR'])).toEqual({ locale: 'en', warning: undefined });
    expect(langSwitch('ko-KR')).toBe('ko');
    expect(langSwitch(undefined)).toBeUndefined();
    expect(langSwitch('xx')).toBeUndefined();
  });

  it("else speaks the first of the desktop's languages that it knows, English when none", () => {
    expect(startLanguage(undefined, ['fr-FR', 'ko-KR', 'en-US'])).toEqual({ locale: 'ko', warning: undefined });
    expect(startLanguage('', ['ko'])).toEqual({ locale: 'ko', warning: undefined });
    expect(startLanguage(undefined, ['fr-FR', 'de'])).toEqual({ locale: 'en', warning: undefined });
    expect(startLanguage(undefined, [])).toEqual({ locale: 'en', warning: undefined });
  });

  it("says an unknown KERNELLAB_LANG in the system's language, the English as before, and follows the system", () => {
    const english = startLanguage('xx', ['en-GB']);
    expect(english).toEqual({
      locale: 'en',
      warning:
        'kernellab: KERNELLAB_LANG must be one of en, ko (or a tag such as ko-KR); got "xx". The app follows the system\'s language.',
    });
    const korean = startLanguage('fr', ['ko-KR']);
    expect(korean.locale).toBe('ko');
    expect(korean.warning).toBe(
      'kernellab: KERNELLAB_LANG은(는) en, ko 중 하나(또는 ko-KR 같은 태그)여야 합니다. 받은 값: "fr". 앱은 시스템 언어를 따릅니다.',
    );
    expect(korean.warning!.replace(/KERNELLAB_LANG|ko-KR|kernellab/g, '')).not.toMatch(englishWords);
    // A long value is cut, as the CLI's refusal cuts it.
    expect(startLanguage('x'.repeat(500), []).warning).toContain(`got "${'x'.repeat(40)}".`);
  });
});

describe("the page's language, told to main", () => {
  it('keeps a locale of ours and tells who listens, once per change', () => {
    const language = new MainLanguage('en');
    const heard: string[] = [];
    language.onChange((locale) => heard.push(locale));
    expect(language.fromPage('ko')).toEqual({ ok: true, result: 'ko' });
    expect(language.locale).toBe('ko');
    expect(language.fromPage('ko')).toEqual({ ok: true, result: 'ko' });
    expect(language.fromPage('en')).toEqual({ ok: true, result: 'en' });
    expect(heard).toEqual(['ko', 'en']);
  });

  it('refuses anything but a locale of ours, in words in both languages, and changes nothing', () => {
    const language = new MainLanguage('ko');
    const heard: string[] = [];
    language.onChange((locale) => heard.push(locale));
    // A tag is the page's job to resolve: main takes the locale the page set, exactly.
    for (const [value, shown] of [
      ['fr', '"fr"'],
      ['ko-KR', '"ko-KR"'],
      ['', '""'],
      ['EN', '"EN"'],
      [3, 'number'],
      [null, 'null'],
      [undefined, 'undefined'],
      [{ locale: 'ko' }, 'object'],
      ['k'.repeat(10_000), JSON.stringify('k'.repeat(40))],
    ] as const) {
      const reply = language.fromPage(value);
      if (reply.ok) throw new Error(`${String(value)} was taken`);
      expect(reply.error.code).toBe('invalid_input');
      expect(reply.error.message).toBe(`The page's language must be one of en, ko; got ${shown}`);
      expect(errorBodyText(reply.error, 'en')).toBe(reply.error.message);
      const ko = errorBodyText(reply.error, 'ko');
      expect(ko).toBe(`페이지 언어는 en, ko 중 하나여야 합니다. 받은 값: ${shown}`);
      expect(ko).toMatch(hangul);
    }
    expect(language.locale).toBe('ko');
    expect(heard).toEqual([]);
  });
});
