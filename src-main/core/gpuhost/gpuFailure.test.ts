import { describe, expect, it } from 'vitest';
import { gpuFailure } from './gpuFailure.ts';

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
});
