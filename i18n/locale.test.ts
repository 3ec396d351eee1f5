import { describe, expect, it } from 'vitest';
import { localeOf, nodeLocale, parseLangSetting, pickLocale } from './locale.ts';

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
});
