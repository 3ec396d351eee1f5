import { describe, expect, it } from 'vitest';
import { deviceLostText, uncapturedError, watchGpu, webGpuDeviceOf } from './gpuDeviceWatch.ts';
import { gpuFailureText } from './gpuFailure.ts';

// WebGPU's error classes, as the browser names them (Node has none).
class GPUOutOfMemoryError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}
class GPUValidationError {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** A device as tfjs' webgpu backend holds it: `lost` settles once, errors arrive as events. */
function device() {
  let lose!: (info: { reason: string; message: string }) => void;
  const listeners: ((event: { error?: unknown }) => void)[] = [];
  let destroyed = 0;
  return {
    backend: {
      device: {
        lost: new Promise<{ reason?: unknown; message?: unknown }>((resolve) => (lose = resolve)),
        addEventListener: (_type: 'uncapturederror', listener: (event: { error?: unknown }) => void) => listeners.push(listener),
        destroy: () => destroyed++,
      },
    },
    lose: (reason: string, message: string) => lose({ reason, message }),
    raise: (error: unknown) => listeners.forEach((l) => l({ error })),
    destroyed: () => destroyed,
  };
}

const code = (text: string) => gpuFailureText(text).code?.code ?? null;

describe('GPU failures tfjs does not see', () => {
  it('a lost device fails the run with words gpuFailure names as a lost GPU', async () => {
    const d = device();
    const failures: string[] = [];
    expect(
      watchGpu(
        d.backend,
        (text) => failures.push(text),
        () => undefined,
      ),
    ).toBe(d.backend.device);
    d.lose('destroyed', 'Device was destroyed.');
    await Promise.resolve();
    await Promise.resolve();
    expect(failures).toEqual(['the WebGPU device was lost (reason: destroyed): Device was destroyed.']);
    expect(code(failures[0]!)).toBe('gpu_failure_lost');
  });

  it('an uncaptured out-of-memory error or a buffer over the size limit fails the run naming GPU memory; other validation errors only warn', () => {
    const d = device();
    const failures: string[] = [];
    const warnings: string[] = [];
    watchGpu(
      d.backend,
      (text) => failures.push(text),
      (text) => warnings.push(text),
    );
    d.raise(new GPUOutOfMemoryError('Allocation of 3 GB failed.'));
    d.raise(new GPUValidationError('Buffer size (300000000) exceeds the max buffer size limit (268435456).'));
    // What tfjs-webgpu raises in ordinary LeNet-5 training on SwiftShader: not fatal.
    d.raise(new GPUValidationError('The number of storage buffers (11) in the Compute stage exceeds the maximum per-stage limit (8).'));
    expect(failures).toEqual([
      'WebGPU is out of memory: Allocation of 3 GB failed.',
      "WebGPU is out of memory: a buffer is over the device's size limit: Buffer size (300000000) exceeds the max buffer size limit (268435456).",
    ]);
    expect(failures.map(code)).toEqual(['gpu_failure_out_of_memory', 'gpu_failure_out_of_memory']);
    expect(warnings).toEqual([
      'WebGPU refused a command of the run (a validation error): The number of storage buffers (11) in the Compute stage exceeds the maximum per-stage limit (8).',
    ]);
    expect(uncapturedError(null)).toEqual({ text: 'WebGPU reported an error nobody caught: no message', fatal: false });
  });

  it('a lost WebGL context is a lost GPU; a backend with neither is not watched', () => {
    const listeners: (() => void)[] = [];
    const failures: string[] = [];
    const webgl = { gpgpu: { gl: { canvas: { addEventListener: (_t: string, l: () => void) => listeners.push(l) } } } };
    expect(
      watchGpu(
        webgl,
        (text) => failures.push(text),
        () => undefined,
      ),
    ).toBeNull();
    listeners.forEach((l) => l());
    expect(failures).toHaveLength(1);
    expect(code(failures[0]!)).toBe('gpu_failure_lost');
    expect(
      watchGpu(
        { kernels: {} },
        () => undefined,
        () => undefined,
      ),
    ).toBeNull();
    expect(webGpuDeviceOf(null)).toBeNull();
  });

  it('bounds the browser words it keeps', () => {
    expect(deviceLostText({ reason: 'unknown', message: 'x'.repeat(5000) }).length).toBeLessThan(1100);
    expect(deviceLostText({})).toBe('the WebGPU device was lost (reason: unknown)');
  });
});
