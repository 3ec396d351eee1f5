/**
 * Loads a GPU backend into this browser context's tfjs (a Web Worker's, or a page's): webgpu,
 * falling back to webgl, or the one a run pins. Says which adapter it got, read from the browser
 * itself (GPUAdapterInfo; WebGL's unmasked renderer) — never guessed. No Node imports: this runs
 * where Node is not (loopImports.test.ts walks it).
 *
 * Chromium 156 in a Worker: tfjs-webgpu's synchronous read (an OffscreenCanvas 'webgpu' context
 * drawn into a 2d one) answers zeros, and every GPUBuffer.mapAsync after it fails with "A valid
 * external Instance reference no longer exists". The training loop therefore reads the backend
 * only asynchronously (trainStep.ts PendingSteps, evaluate.ts, checkpointCodec.ts); anything
 * run on webgpu in a Worker must do the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GpuHostBackend } from '../contract/app.ts';
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import { KernelLabError } from '../errors.ts';
import { adapterLine, isSoftwareAdapter, type GpuAdapter } from './gpuAdapter.ts';

/** The parts of WebGPU this file touches (the node-side tsconfig has no DOM types). */
interface GpuAdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<{
    info?: GpuAdapterInfoLike;
    /** Before Chromium 136 the flag sat on the adapter itself. */
    isFallbackAdapter?: boolean;
  } | null>;
}
interface WebGlLike {
  getExtension(name: 'WEBGL_debug_renderer_info'): { UNMASKED_VENDOR_WEBGL: number; UNMASKED_RENDERER_WEBGL: number } | null;
  getParameter(name: number): unknown;
  readonly VENDOR: number;
  readonly RENDERER: number;
}

export interface GpuBackend {
  name: GpuHostBackend;
  adapter: GpuAdapter;
  /** The device line of the run (describeAdapter), and coded for the user's language. */
  device: string;
  deviceCode: CoreText;
  software: boolean;
  /** Why webgpu did not load when the host fell back to webgl; null otherwise. */
  fallback: string | null;
}

function gpuOf(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
}

async function loadWebGpu(): Promise<GpuBackend> {
  const gpu = gpuOf();
  if (!gpu)
    throw notLoaded(
      'this browser exposes no WebGPU (navigator.gpu is missing; Linux Chromium needs --enable-unsafe-webgpu)',
      coreText('gpu_backend_no_webgpu', {}),
    );
  // The same request tfjs makes (high-performance unless WEBGPU_USE_LOW_POWER_GPU), so the info is of the adapter it trains on.
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw notLoaded('WebGPU offers no adapter here (requestAdapter() answered null)', coreText('gpu_backend_no_adapter', {}));
  const info = adapter.info ?? {};
  await import('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu')))
    throw notLoaded('the webgpu backend did not initialise', coreText('gpu_backend_webgpu_not_initialised', {}));
  // Measured in a Worker (Chromium 156, SwiftShader): with tfjs-webgpu's defaults — commands
  // submitted in batches of 15, small ops on CPU-resident tensors run on the CPU — the steps'
  // numbers read back wrong (an epoch's loss 0.009 where wasm has 2.17) and the weights drift;
  // with every kernel submitted at once and nothing forwarded to the CPU, a LeNet-5 run gives
  // wasm's losses to 1e-6 (gpuHost.browser.spec.ts). Which of the two is the cause is not yet narrowed down.
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1);
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const described: GpuAdapter = {
    api: 'webgpu',
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    description: info.description ?? '',
    isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
  };
  return withLabel('webgpu', described);
}

async function loadWebGl(): Promise<GpuBackend> {
  await import('@tensorflow/tfjs-backend-webgl');
  if (!(await tf.setBackend('webgl')))
    throw notLoaded('the webgl backend did not initialise (no WebGL 2 context)', coreText('gpu_backend_webgl_not_initialised', {}));
  const gl = (tf.backend() as unknown as { gpgpu?: { gl?: WebGlLike } }).gpgpu?.gl;
  if (!gl) throw notLoaded('the webgl backend has no WebGL context to describe', coreText('gpu_backend_webgl_no_context', {}));
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const vendor = String(gl.getParameter(debug ? debug.UNMASKED_VENDOR_WEBGL : gl.VENDOR) ?? '');
  const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  const described: GpuAdapter = { api: 'webgl', vendor, architecture: '', description: renderer, isFallbackAdapter: false };
  return withLabel('webgl', { ...described, isFallbackAdapter: isSoftwareAdapter(described) });
}

/** Why a backend did not load, in English with its coded form (the run's failure says it in the user's language). */
function notLoaded(sentence: string, text: CoreText): KernelLabError {
  return new KernelLabError('unavailable', sentence, undefined, { text });
}

function withLabel(name: GpuHostBackend, adapter: GpuAdapter): GpuBackend {
  return { name, adapter, ...adapterLine(adapter), software: isSoftwareAdapter(adapter), fallback: null };
}

/**
 * The pinned backend, or webgpu then webgl. Throws with every reason when none loads: a run
 * pinned to a GPU must fail saying why, not train somewhere else.
 */
export async function loadGpuBackend(pinned?: GpuHostBackend): Promise<GpuBackend> {
  const reasons: ProblemText[] = [];
  for (const name of pinned ? [pinned] : (['webgpu', 'webgl'] as const)) {
    try {
      const loaded = name === 'webgpu' ? await loadWebGpu() : await loadWebGl();
      return reasons.length > 0 ? { ...loaded, fallback: `${reasons.map((r) => r.sentence).join('; ')}; fell back to ${name}` } : loaded;
    } catch (error) {
      // Ours are coded; tfjs' and the browser's own words are kept as they are, in every language.
      const sentence = `${name}: ${error instanceof Error ? error.message : String(error)}`;
      reasons.push({ sentence: sentence.slice(0, 4000), path: name, text: error instanceof KernelLabError ? (error.text ?? null) : null });
    }
  }
  const sentences = reasons.map((r) => r.sentence).join('; ');
  throw new KernelLabError('unavailable', `no GPU backend loads in this browser — ${sentences}`, undefined, {
    text: coreText('gpu_no_backend_loads', { reasons }),
  });
}
