import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { coreText } from '../contract/coreText.ts';
import { uncapturedError } from './gpuDeviceWatch.ts';
import { gpuFailure, gpuFailureText } from './gpuFailure.ts';

describe('gpuFailure', () => {
  it("names a lost GPU process, keeping the browser's own words", () => {
    const raw = "Failed to execute 'mapAsync' on 'GPUBuffer': A valid external Instance reference no longer exists.";
    expect(gpuFailure(raw)).toBe(
      `the browser's GPU process stopped during the run (it crashed or its driver reset it); the next run gets a fresh GPU Worker: ${raw}`,
    );
    expect(gpuFailure('Device was lost: destroyed')).toMatch(/^the browser's GPU process stopped/);
  });

  it('names a GPU out of memory, and leaves other failures as they are', () => {
    expect(gpuFailure("Failed to execute 'createBuffer' on 'GPUDevice': Out of memory")).toMatch(
      /^the browser's GPU ran out of memory for this model \(a smaller batch size or model fits\): /,
    );
    expect(gpuFailure('Buffer size (4294967296) exceeds the max buffer size limit (268435456).')).toMatch(/ran out of memory/);
    expect(gpuFailure('the loss function is unknown')).toBe('the loss function is unknown');
    expect(gpuFailure('x'.repeat(5000))).toHaveLength(3000);
  });

  it('codes a WebGPU internal error, and otherwise the coded form sent with the words, never for words cut short', () => {
    class GPUInternalError {
      readonly message = 'D3D12 device removed';
    }
    const internal = uncapturedError(new GPUInternalError());
    expect(internal.fatal).toBe(true);
    const failure = gpuFailureText(internal.text);
    expect(failure).toEqual({
      text: 'WebGPU failed inside the driver (an internal error): D3D12 device removed',
      code: { code: 'gpu_failure_internal', params: { error: 'D3D12 device removed' } },
    });
    expect(coreTextOf(failure.code, failure.text, 'en')).toBe(failure.text);
    expect(coreTextOf(failure.code, failure.text, 'ko')).toBe('WebGPU가 드라이버 안에서 실패했습니다(내부 오류): D3D12 device removed');

    const sent = { code: coreText('run_paused', {}), issues: [] };
    expect(gpuFailureText('paused; resume to continue from the last checkpoint', sent)).toEqual({
      text: 'paused; resume to continue from the last checkpoint',
      ...sent,
    });
    // A lost GPU is named even when the words came coded: its sentence says what to do.
    expect(gpuFailureText('Device was lost', sent).code?.code).toBe('gpu_failure_lost');
    expect(gpuFailureText('y'.repeat(3001), sent)).toEqual({ text: 'y'.repeat(3000), code: null });
  });
});
