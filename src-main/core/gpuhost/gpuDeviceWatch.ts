/**
 * Watches the GPU a Worker trains on for the failures tfjs never sees: WebGPU reports a lost
 * device (a GPU process crash, a driver reset, `device.destroy()`) only through `device.lost`, and
 * an allocation that did not fit (GPUOutOfMemoryError) or a command the GPU refused
 * (GPUValidationError) only as an `uncapturederror` event. Without a listener the run's next
 * read waits forever or trains on garbage. The words produced here are the ones gpuFailure.ts
 * turns into the run's coded error. No Node imports: the Worker uses it.
 */

/** What this file uses of a GPUDevice (the node-side tsconfig has no DOM types). */
export interface GpuDeviceLike {
  readonly lost: Promise<{ reason?: unknown; message?: unknown }>;
  addEventListener(type: 'uncapturederror', listener: (event: { error?: unknown }) => void): void;
  destroy(): void;
}

/** What this file uses of a WebGL context's canvas. */
interface CanvasLike {
  addEventListener(type: 'webglcontextlost', listener: () => void): void;
}

const words = (value: unknown): string => (typeof value === 'string' ? value : '').slice(0, 1000);

/** The device tfjs' webgpu backend trains on, or null when the backend is another one. */
export function webGpuDeviceOf(backend: unknown): GpuDeviceLike | null {
  const device = (backend as { device?: Partial<GpuDeviceLike> } | null)?.device;
  return device && device.lost instanceof Promise && typeof device.addEventListener === 'function' ? (device as GpuDeviceLike) : null;
}

/** The canvas of tfjs' webgl backend, or null when the backend is another one. */
function webGlCanvasOf(backend: unknown): CanvasLike | null {
  const canvas = (backend as { gpgpu?: { gl?: { canvas?: Partial<CanvasLike> } } } | null)?.gpgpu?.gl?.canvas;
  return canvas && typeof canvas.addEventListener === 'function' ? (canvas as CanvasLike) : null;
}

/** A lost device in words (they say "device was lost": gpuFailure.ts names it). */
export function deviceLostText(info: { reason?: unknown; message?: unknown }): string {
  const reason = words(info.reason) || 'unknown';
  const message = words(info.message);
  return `the WebGPU device was lost (reason: ${reason})${message ? `: ${message}` : ''}`;
}

/** A buffer bigger than the device allows: the model or batch does not fit. */
const overBufferLimit = /buffer size.*exceeds|exceeds.*buffer size|maxBufferSize|maxStorageBufferBindingSize/i;

/**
 * An uncaptured WebGPU error in words, by its class (GPUOutOfMemoryError, GPUValidationError,
 * GPUInternalError), and whether it ends the run. Out of memory, a buffer over the device's size
 * limit and an internal error do. Other validation errors do not: tfjs-webgpu 4.22 raises some
 * in ordinary training (measured on SwiftShader: an AddN pipeline with 11 storage buffers over the
 * per-stage limit of 8, in every LeNet-5 run) and its results still match wasm's, so they are
 * logged, not fatal.
 */
export function uncapturedError(error: unknown): { text: string; fatal: boolean } {
  const name = (error as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  const message = words((error as { message?: unknown } | null)?.message) || 'no message';
  switch (name) {
    case 'GPUOutOfMemoryError':
      return { text: `WebGPU is out of memory: ${message}`, fatal: true };
    case 'GPUValidationError':
      return overBufferLimit.test(message)
        ? { text: `WebGPU is out of memory: a buffer is over the device's size limit: ${message}`, fatal: true }
        : { text: `WebGPU refused a command of the run (a validation error): ${message}`, fatal: false };
    case 'GPUInternalError':
      return { text: `WebGPU failed inside the driver (an internal error): ${message}`, fatal: true };
    default:
      return { text: `WebGPU reported an error nobody caught: ${message}`, fatal: false };
  }
}

/**
 * Calls `fail` with the words of the first GPU failure of `backend` (tfjs' current backend): a
 * lost WebGPU device, a fatal uncaptured WebGPU error, a lost WebGL context; `warn` with the words
 * of an uncaptured error that is not fatal. Answers the WebGPU device (for the test hook that
 * destroys it), or null.
 */
export function watchGpu(backend: unknown, fail: (text: string) => void, warn: (text: string) => void): GpuDeviceLike | null {
  const device = webGpuDeviceOf(backend);
  if (device) {
    void device.lost.then((info) => fail(deviceLostText(info)));
    device.addEventListener('uncapturederror', (event) => {
      const error = uncapturedError(event.error);
      (error.fatal ? fail : warn)(error.text);
    });
    return device;
  }
  // "context lost": gpuFailure.ts names it as a lost GPU.
  webGlCanvasOf(backend)?.addEventListener('webglcontextlost', () => fail('the WebGL context lost (the GPU process crashed or was reset)'));
  return null;
}
