import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cliPath } from '../test/servedKernellab.ts';
import { langFlag } from '../../i18n/locale.ts';

describe('kernellab --lang', () => {
  it('finds --lang anywhere before --', () => {
    expect(langFlag(['runs', 'ls', '--lang', 'ko'])).toBe('ko');
    expect(langFlag(['--lang=en', 'info'])).toBe('en');
    expect(langFlag(['call', 'app.info', '--', '--lang', 'ko'])).toBeUndefined();
    expect(langFlag(['info'])).toBeUndefined();
  });

  it('refuses a language it does not speak, naming the flag or the variable, with exit code 2', () => {
    const { KERNELLAB_LANG: _ignored, LC_ALL: _all, LC_MESSAGES: _messages, ...inherited } = process.env;
    const env = { ...inherited, LANG: 'C' };
    const flag = spawnSync(process.execPath, [cliPath, '--lang', 'fr', 'info'], { encoding: 'utf8', env });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('--lang must be one of en, ko');
    const variable = spawnSync(process.execPath, [cliPath, 'info'], { encoding: 'utf8', env: { ...env, KERNELLAB_LANG: 'fr' } });
    expect(variable.status).toBe(2);
    expect(variable.stderr).toContain('KERNELLAB_LANG must be one of en, ko');
  });

  it("says the refusal in the system locale's language, since the one asked for is unknown", () => {
    const { KERNELLAB_LANG: _ignored, LC_ALL: _all, LC_MESSAGES: _messages, LANG: _lang, ...env } = process.env;
    const run = (extra: Record<string, string>, ...args: string[]) =>
      spawnSync(process.execPath, [cliPath, ...args, 'info'], { encoding: 'utf8', env: { ...env, ...extra } });
    const ko = run({ LANG: 'ko_KR.UTF-8' }, '--lang', 'xx');
    expect(ko.status).toBe(2);
    expect(ko.stderr).toBe('kernellab: --lang은(는) en, ko 중 하나(또는 ko-KR 같은 태그)여야 합니다. 받은 값: "xx".\n');
    const english = run({ LANG: 'C' }, '--lang', 'xx');
    expect(english.status).toBe(2);
    expect(english.stderr).toBe('kernellab: --lang must be one of en, ko (or a tag such as ko-KR); got "xx".\n');
    // LC_ALL decides over LANG, as POSIX says; a KERNELLAB_LANG it speaks decides over both when --lang is the wrong one.
    expect(run({ LC_ALL: 'C', LANG: 'ko_KR.UTF-8' }, '--lang', 'xx').stderr).toContain('must be one of');
    expect(run({ LANG: 'C', KERNELLAB_LANG: 'ko' }, '--lang', 'xx').stderr).toContain('--lang은(는) en, ko 중 하나');
    const variable = run({ LC_MESSAGES: 'ko_KR.UTF-8', KERNELLAB_LANG: 'klingon' });
    expect(variable.status).toBe(2);
    expect(variable.stderr).toBe('kernellab: KERNELLAB_LANG은(는) en, ko 중 하나(또는 ko-KR 같은 태그)여야 합니다. 받은 값: "klingon".\n');
  });
});
