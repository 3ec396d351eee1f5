import { afterEach, describe, expect, it } from 'vitest';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { appProfileName, browserHostName, gpuJobName, thisComputerHostName } from './madeNames.ts';

describe('names the app makes', () => {
  afterEach(() => setLocale('en', { reload: false }));

  it('are made in English as before', () => {
    expect(browserHostName('Linux x86_64')).toBe('a browser on Linux x86_64');
    expect(browserHostName('')).toBe('a browser on an unknown platform');
    expect(thisComputerHostName('Win32')).toBe('this computer (Win32)');
    expect(thisComputerHostName('')).toBe('this computer (unknown platform)');
    expect(appProfileName('slurm')).toBe('slurm (from the app)');
    expect(gpuJobName()).toBe("a browser's GPU");
  });

  it('are made in Korean in a Korean page, with no English left but the platform and the scheduler', () => {
    setLocale('ko', { reload: false });
    const names = [
      browserHostName('Linux x86_64'),
      browserHostName(''),
      thisComputerHostName('MacIntel'),
      thisComputerHostName(''),
      appProfileName('kubernetes'),
    ];
    expect(names).toEqual([
      'Linux x86_64의 브라우저',
      '알 수 없는 플랫폼의 브라우저',
      '이 컴퓨터 (MacIntel)',
      '이 컴퓨터 (알 수 없는 플랫폼)',
      'kubernetes (앱에서 보냄)',
    ]);
    expect(gpuJobName()).toBe('브라우저의 GPU');
    for (const name of names) expect(name.replace(/Linux x86_64|MacIntel|kubernetes/, '')).not.toMatch(/[A-Za-z]/);
  });
});
