/**
 * A mirror refused (`datasets download --mirror`, KERNELLAB_DATASET_MIRROR, the app's setting) in
 * the user's language (issue 17): each refusal is coded; the English sentence stays as it was.
 */
import { describe, expect, it } from 'vitest';
import { errorBodyText } from '../../../i18n/coreText.ts';
import { KernelLabError } from '../errors.ts';
import { parseMirror } from './mirror.ts';

function refusal(value: string): KernelLabError {
  try {
    parseMirror(value, '--mirror');
  } catch (error) {
    if (error instanceof KernelLabError) return error;
    throw error;
  }
  throw new Error(`${value} was taken`);
}

describe('a refused mirror', () => {
  it('is said in Korean, the flag, the URL and the way out as given', () => {
    const cases = [
      ['https://[bad', "--mirror: 'https://[bad'은(는) URL도 폴더도 아닙니다"],
      ['file://otherhost/share', "--mirror: 'file://otherhost/share'은(는) 이 컴퓨터의 file URL이 아닙니다. 폴더 경로를 주세요"],
      [
        'http://mirror.example/data',
        '--mirror: 암호화하지 않은 http는 이 컴퓨터(127.0.0.1, ::1, localhost)에서만 쓸 수 있습니다. https://mirror.example/data 또는 폴더를 쓰세요',
      ],
      ['ftp://mirror.example/', '--mirror: ftp: URL은 지원하지 않습니다. 폴더, https:// 또는 http://127.0.0.1을 쓰세요'],
    ] as const;
    for (const [value, korean] of cases) {
      const body = refusal(value).toBody();
      expect(body.messageCode, value).toBeDefined();
      expect(errorBodyText(body, 'en')).toBe(body.message);
      expect(errorBodyText(body, 'ko')).toBe(korean);
    }
  });
});
