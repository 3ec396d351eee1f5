/**
 * The switch the user made in the app, remembered by main in a file (languageFile.ts), so that
 * main's first second (a start-failure box before the page has loaded) speaks it: real files in a
 * temp folder, main's start in the page's order, and every file it ignores said on the console in
 * both languages, never thrown.
 */
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../i18n/coreText.ts';
import { coded } from '../core/errors.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { startFailedBox } from './desktopText.ts';
import type { MainLanguage } from './language.ts';
import { languageFileName, readLanguageFile, startMainLanguage, writeLanguageFile } from './languageFile.ts';

const hangul = /[\uac00-\ud7a3]/;
/** English words a Korean console line of main must not keep (names, paths, codes and locales aside). */
const englishWords =
  /\b(the|language|remembered|ignored|file|bytes|more|than|cannot|read|must|one|of|got|chosen|app|start|system|page|is|not)\b/i;

let tmp: { dir: string; cleanup: () => void };
let file: string;
let said: string[];
beforeEach(() => {
  tmp = makeTempDir('kernellab-language-file-');
  file = join(tmp.dir, 'userData', languageFileName);
  said = [];
});
afterEach(() => tmp.cleanup());

function start(envLang: string | undefined, systemLanguages: readonly string[]): MainLanguage {
  return startMainLanguage({ file, envLang, systemLanguages, say: (line) => said.push(line) });
}

/** The remembered file as something else wrote it. */
function put(content: string | Buffer): void {
  mkdirSync(join(tmp.dir, 'userData'), { recursive: true });
  writeFileSync(file, content);
}

/** A Korean console line: Hangul, and no English word once the path and the given names are taken out. */
function expectKorean(line: string, ...names: string[]): void {
  expect(line).toMatch(hangul);
  let rest = line.replaceAll(file, '');
  for (const name of ['kernellab', 'KERNELLAB_LANG', 'ko-KR', ...names]) rest = rest.replaceAll(name, '');
  expect(rest).not.toMatch(englishWords);
}

describe("main remembers the page's switch", () => {
  it('starts in the switch the user made last time, over KERNELLAB_LANG and the system, as the page does', () => {
    // First start: nothing remembered, so KERNELLAB_LANG speaks, and nothing is said about the missing file.
    const first = start('en', ['en-US']);
    expect(first.locale).toBe('en');
    expect(said).toEqual([]);
    // The user switches to Korean; the reloaded page says so, and main remembers it.
    expect(first.fromPage('ko', true)).toEqual({ ok: true, result: 'ko' });
    expect(readFileSync(file, 'utf8')).toBe('ko\n');

    // Next start, still with KERNELLAB_LANG=en on an English desktop: the page's switch wins, so main's does.
    const second = start('en', ['en-US']);
    expect(second.locale).toBe('ko');
    expect(said).toEqual([]);
    // A box before the page loads (the data folder refused) is Korean.
    const box = startFailedBox(
      coded('unavailable', 'The data folder cannot be used', 'error_page_language', { locales: 'en, ko', value: '"x"' }),
      second.locale,
    );
    expect(box.title).toMatch(hangul);
    expect(box.body).toBe('페이지 언어는 en, ko 중 하나여야 합니다. 받은 값: "x"');
  });

  it('forgets the switch when the page has none, so the next start follows KERNELLAB_LANG, else the system', () => {
    put('ko\n');
    const language = start(undefined, ['en-US']);
    expect(language.locale).toBe('ko');
    // Same language, but no longer the user's switch (storage cleared): the file goes.
    expect(language.fromPage('ko', false)).toEqual({ ok: true, result: 'ko' });
    expect(existsSync(file)).toBe(false);
    expect(start(undefined, ['en-US']).locale).toBe('en');
    expect(start('ko', ['en-US']).locale).toBe('ko');
    expect(said).toEqual([]);
  });

  it('writes only when the switch changes, and a page that says nothing of it has none', () => {
    const language = start(undefined, ['en-US']);
    expect(language.fromPage('en')).toEqual({ ok: true, result: 'en' });
    expect(existsSync(file)).toBe(false);
    language.fromPage('ko', true);
    writeFileSync(file, 'en\n'); // changed behind main's back: main does not write the same switch again
    language.fromPage('ko', true);
    expect(readFileSync(file, 'utf8')).toBe('en\n');
    language.fromPage('en', true);
    expect(readFileSync(file, 'utf8')).toBe('en\n');
  });

  it('refuses a word on the switch that is not true or false, in both languages, and changes nothing', () => {
    const language = start(undefined, ['en-US']);
    for (const [value, shown] of [
      ['yes', '"yes"'],
      [1, 'number'],
      [null, 'null'],
      [{}, 'object'],
    ] as const) {
      const reply = language.fromPage('ko', value);
      if (reply.ok) throw new Error(`${String(value)} was taken`);
      expect(reply.error.code).toBe('invalid_input');
      expect(reply.error.message).toBe(`Whether the page's language is the user's choice must be true or false; got ${shown}`);
      expect(errorBodyText(reply.error, 'en')).toBe(reply.error.message);
      const ko = errorBodyText(reply.error, 'ko');
      expect(ko).toBe(`페이지 언어가 사용자가 고른 것인지는 true 또는 false여야 합니다. 받은 값: ${shown}`);
    }
    expect(language.locale).toBe('en');
    expect(existsSync(file)).toBe(false);
  });
});

describe('a remembered file main cannot use is ignored and said, never thrown', () => {
  it('says a file with something else in it, in the language main falls back to', () => {
    put('fr\n');
    expect(start(undefined, ['en-US']).locale).toBe('en');
    expect(said).toEqual([`kernellab: the language remembered in ${file} is ignored: it must be one of en, ko; got "fr".`]);
    said = [];
    put('KO');
    expect(start(undefined, ['ko-KR']).locale).toBe('ko');
    expect(said).toEqual([`kernellab: ${file}에 기억된 언어를 무시합니다. en, ko 중 하나여야 합니다. 받은 값: "KO".`]);
    expectKorean(said[0]!, 'en', 'ko', 'KO');
    expect(readLanguageFile(file)).toMatchObject({ locale: undefined, problem: { kind: 'wrong' } });
    put(Buffer.from([0xff, 0xfe, 0x00]));
    expect(readLanguageFile(file).problem?.kind).toBe('wrong');
  });

  it('does not read an oversized file', () => {
    put('ko' + ' '.repeat(200));
    expect(start('en', ['en-US']).locale).toBe('en');
    expect(said).toEqual([`kernellab: the language remembered in ${file} is ignored: the file has 202 bytes, more than 64.`]);
    said = [];
    expect(start('ko', ['en-US']).locale).toBe('ko');
    expect(said).toEqual([`kernellab: ${file}에 기억된 언어를 무시합니다. 파일이 202바이트로 64바이트보다 큽니다.`]);
    expectKorean(said[0]!);
  });

  it('says a folder in its place, and a path it cannot open', () => {
    mkdirSync(file, { recursive: true });
    expect(start(undefined, ['en-US']).locale).toBe('en');
    expect(said).toEqual([`kernellab: the language remembered in ${file} is ignored: it is not a file.`]);
    said = [];
    expect(start(undefined, ['ko']).locale).toBe('ko');
    expect(said).toEqual([`kernellab: ${file}에 기억된 언어를 무시합니다. 파일이 아닙니다.`]);
    expectKorean(said[0]!);

    // userData is a file, so nothing under it can be opened (ENOTDIR), even by root.
    writeFileSync(join(tmp.dir, 'plain'), 'x');
    file = join(tmp.dir, 'plain', languageFileName);
    said = [];
    expect(start('ko', ['en-US']).locale).toBe('ko');
    expect(said).toEqual([`kernellab: ${file}에 기억된 언어를 무시합니다. 파일을 읽을 수 없습니다(ENOTDIR).`]);
    expectKorean(said[0]!, 'ENOTDIR');
    said = [];
    expect(start(undefined, ['en-US']).locale).toBe('en');
    expect(said).toEqual([`kernellab: the language remembered in ${file} is ignored: the file cannot be read (ENOTDIR).`]);
  });

  it('says a switch it could not write, in the language the page just set, and keeps going', () => {
    writeFileSync(join(tmp.dir, 'plain'), 'x');
    file = join(tmp.dir, 'plain', languageFileName);
    const language = start(undefined, ['en-US']);
    said = []; // the unreadable file, said at start (above)
    expect(language.fromPage('ko', true)).toEqual({ ok: true, result: 'ko' });
    expect(language.locale).toBe('ko');
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(
      new RegExp(`^kernellab: 앱에서 고른 언어를 ${file.replaceAll('/', '\\/')}에 기억하지 못했습니다\\((ENOTDIR|EEXIST)\\)\\. `),
    );
    expectKorean(said[0]!, 'ENOTDIR', 'EEXIST');
    said = [];
    language.fromPage('en', true);
    expect(said[0]).toMatch(
      /^kernellab: the language chosen in the app could not be remembered in .* \((ENOTDIR|EEXIST)\)\. Until the page has loaded, the next start speaks KERNELLAB_LANG or the system's language\.$/,
    );
    // Forgetting a switch never written is no problem.
    expect(writeLanguageFile(join(tmp.dir, 'userData', languageFileName), undefined)).toBeUndefined();
  });

  it('says an unknown KERNELLAB_LANG in the remembered language, saying the app follows that switch', () => {
    mkdirSync(join(tmp.dir, 'userData'), { recursive: true });
    writeLanguageFile(file, 'ko');
    expect(start('xx', ['en-US']).locale).toBe('ko');
    expect(said).toEqual([
      'kernellab: KERNELLAB_LANG은(는) en, ko 중 하나(또는 ko-KR 같은 태그)여야 합니다. 받은 값: "xx". 앱은 앱에서 고른 언어를 따릅니다.',
    ]);
    expectKorean(said[0]!, 'en', 'ko', 'xx');
    writeLanguageFile(file, 'en');
    said = [];
    expect(start('xx', ['ko-KR']).locale).toBe('en');
    expect(said).toEqual([
      'kernellab: KERNELLAB_LANG must be one of en, ko (or a tag such as ko-KR); got "xx". The app follows the language chosen in the app.',
    ]);
  });
});
