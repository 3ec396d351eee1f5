/**
 * What main itself shows (desktopText.ts), in both languages: the import dialog's title (English as
 * before) and the error boxes. The boxes' reasons are the service client's own errors: see
 * serviceHost.test.ts, which renders them from a real host that crashed or could not start.
 */
import { describe, expect, it } from 'vitest';
import { KernelLabError } from '../core/errors.ts';
import { gpuHostTokenLabel, importDialogOptions, startFailedBox } from './desktopText.ts';

describe("main's own words", () => {
  it("names the GPU window's token in main's language, the English as before", () => {
    expect(gpuHostTokenLabel('en')).toBe("a browser's GPU");
    expect(gpuHostTokenLabel('ko')).toBe('브라우저의 GPU');
  });

  it("titles the import dialog in main's language, the English as before", () => {
    expect(importDialogOptions('folder', 'en')).toEqual({ title: 'Choose a folder to import', properties: ['openDirectory'] });
    expect(importDialogOptions('files', 'en')).toEqual({ title: 'Choose files to import', properties: ['openFile', 'multiSelections'] });
    expect(importDialogOptions('folder', 'ko')).toEqual({ title: '가져올 폴더를 고르세요', properties: ['openDirectory'] });
    expect(importDialogOptions('files', 'ko')).toEqual({ title: '가져올 파일을 고르세요', properties: ['openFile', 'multiSelections'] });
  });

  it('says an error that has no code (not one of KernelLab) as it is, under a title in the language', () => {
    expect(startFailedBox(new Error('spawn EACCES'), 'ko')).toEqual({ title: 'KernelLab을 시작하지 못했습니다', body: 'spawn EACCES' });
    expect(startFailedBox('thrown text', 'en')).toEqual({ title: 'KernelLab could not start', body: 'thrown text' });
    expect(startFailedBox(new KernelLabError('internal', 'no code'), 'ko').body).toBe('no code');
  });
});
