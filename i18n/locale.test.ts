import { describe, expect, it } from 'vitest';
import { langRefusalText, localeOf, nodeLocale, parseLangSetting, pickLocale } from './locale.ts';

describe('choosing the language', () => {
  it('reads language tags and POSIX locales', () => {
    expect(localeOf('ko')).toBe('ko');
    expect(localeOf('ko-KR')).toBe('ko');
    expect(localeOf('ko_KR.UTF-8')).toBe('ko');
    expect(localeOf('EN-us')).toBe('en');
    expect(localeOf('C.UTF-8')).toBeUndefined();
    expect(localeOf('fr-FR')).toBeUndefined();
    expect(localeOf('')).toBeUndefined();
  });

  it('takes the first candidate it speaks, else English', () => {
    expect(pickLocale([null, 'fr-FR', 'ko-KR', 'en-US'])).toBe('ko');
    expect(pickLocale(['de', 'ja'])).toBe('en');
  });

  it('lets --lang beat KERNELLAB_LANG beat the system locale', () => {
    const env = { KERNELLAB_LANG: 'en', LANG: 'ko_KR.UTF-8' };
    expect(nodeLocale({ flag: 'ko', env })).toBe('ko');
    expect(nodeLocale({ env })).toBe('en');
    expect(nodeLocale({ env: { LANG: 'ko_KR.UTF-8' } })).toBe('ko');
    expect(nodeLocale({ env: { LC_ALL: 'C', LANG: 'ko_KR.UTF-8' } })).toBe('en');
    expect(nodeLocale({ env: {}, intlLocale: 'ko-KR' })).toBe('ko');
  });

  it('refuses a language it does not speak, naming where it came from', () => {
    expect(() => nodeLocale({ flag: 'fr', env: {} })).toThrow(/--lang must be one of en, ko .*"fr"/);
    expect(() => nodeLocale({ env: { KERNELLAB_LANG: 'klingon' } })).toThrow(/KERNELLAB_LANG must be one of en, ko/);
    expect(() => parseLangSetting('x'.repeat(1000), 'lang')).toThrow(/"x{40}"/);
  });

  it('says a refused language in the language of the settings left, with no English left in Korean', () => {
    const refusal = (flag: string | undefined, env: Record<string, string>, intlLocale = 'en-US') => {
      try {
        nodeLocale({ flag, env, intlLocale });
      } catch (error) {
        return langRefusalText(error, { env, intlLocale });
      }
      throw new Error('not refused');
    };
    expect(refusal('fr', { LANG: 'C' })).toBe('--lang must be one of en, ko (or a tag such as ko-KR); got "fr".');
    const ko = refusal('fr', {}, 'ko-KR');
    expect(ko).toBe('--lang은(는) en, ko 중 하나(또는 ko-KR 같은 태그)여야 합니다. 받은 값: "fr".');
    expect(ko.replace(/--lang|ko-KR|"fr"|\ben\b|\bko\b/g, '')).not.toMatch(/[A-Za-z]/);
    expect(refusal(undefined, { KERNELLAB_LANG: 'x'.repeat(100), LANG: 'ko_KR.UTF-8' })).toContain(`"${'x'.repeat(40)}"`);
    expect(langRefusalText(new Error('something else'), { env: { LANG: 'ko' } })).toBe('something else');
  });
});
