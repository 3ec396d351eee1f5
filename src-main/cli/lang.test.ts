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
    const { KERNELLAB_LANG: _ignored, ...env } = process.env;
    const flag = spawnSync(process.execPath, [cliPath, '--lang', 'fr', 'info'], { encoding: 'utf8', env });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toContain('--lang must be one of en, ko');
    const variable = spawnSync(process.execPath, [cliPath, 'info'], { encoding: 'utf8', env: { ...env, KERNELLAB_LANG: 'fr' } });
    expect(variable.status).toBe(2);
    expect(variable.stderr).toContain('KERNELLAB_LANG must be one of en, ko');
  });
});
