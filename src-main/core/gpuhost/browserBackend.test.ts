/**
 * A run pinned to a browser's GPU where no GPU backend loads fails saying why in the user's
 * language: each backend's reason after its name, ours coded, tfjs' own words kept as they are.
 * Node has no navigator.gpu and no WebGL, so the real loader fails here as in such a browser.
 */
import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { KernelLabError } from '../errors.ts';
import { loadGpuBackend } from './browserBackend.ts';
import { gpuFailureText } from './gpuFailure.ts';
import { gpuWorkerError } from './gpuWorkerProtocol.ts';

async function refusal(pinned?: 'webgpu' | 'webgl'): Promise<KernelLabError> {
  const error: unknown = await loadGpuBackend(pinned).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KernelLabError);
  return error as KernelLabError;
}

const noWebGpuEn = 'this browser exposes no WebGPU (navigator.gpu is missing; Linux Chromium needs --enable-unsafe-webgpu)';
const noWebGpuKo =
  '이 브라우저는 WebGPU를 제공하지 않습니다(navigator.gpu가 없습니다. Linux Chromium은 --enable-unsafe-webgpu가 필요합니다)';
/** tfjs' own words when the webgl backend is not registered (Node): third-party text, the same in both languages. */
const webglTfjs = "Backend name 'webgl' not found in registry";

describe('no GPU backend loads in this browser', () => {
  it('says each reason in the user language, the English as it was', async () => {
    const error = await refusal();
    expect(error.message).toBe(`no GPU backend loads in this browser — webgpu: ${noWebGpuEn}; webgl: ${webglTfjs}`);
    expect(coreTextOf(error.text, '', 'en')).toBe(error.message);
    const ko = coreTextOf(error.text, '', 'ko');
    expect(ko).toBe(`이 브라우저에서 불러올 수 있는 GPU 백엔드가 없습니다 — webgpu: ${noWebGpuKo}; webgl: ${webglTfjs}`);
    // No English of ours left: only names, flags and tfjs' quoted words.
    const left = ko.replace(webglTfjs, '').replace(/navigator\.gpu|--enable-unsafe-webgpu|Linux Chromium|WebGPU|webgpu|webgl|GPU/g, '');
    expect(left).not.toMatch(/[A-Za-z]/);
  });

  it('fails a run pinned to webgpu with the coded reason, as the run stores it', async () => {
    const error = await refusal('webgpu');
    const sent = gpuWorkerError(7, error);
    const failure = gpuFailureText(sent.message, { code: sent.messageCode });
    expect(failure.text).toBe(`no GPU backend loads in this browser — webgpu: ${noWebGpuEn}`);
    expect(coreTextOf(failure.code, failure.text, 'en')).toBe(failure.text);
    expect(coreTextOf(failure.code, failure.text, 'ko')).toBe(
      `이 브라우저에서 불러올 수 있는 GPU 백엔드가 없습니다 — webgpu: ${noWebGpuKo}`,
    );
  });
});
