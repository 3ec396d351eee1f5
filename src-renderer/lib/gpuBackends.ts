/**
 * What GPU this page (a browser tab lending its GPU, or the desktop app's hidden GPU host window)
 * can offer, read from the browser itself. No Node, no Svelte: both pages import it.
 */
import type { GpuAdapter, GpuHostBackend } from '../../src-main/core/contract/app.ts';

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}
interface GpuLike {
  requestAdapter(options?: {
    powerPreference?: 'high-performance';
  }): Promise<{ info?: AdapterInfoLike; isFallbackAdapter?: boolean } | null>;
}

const clip = (text: unknown, max: number) => String(text ?? '').slice(0, max);

/**
 * Which GPU backends this browser offers, with the adapter behind each as the browser names it:
 * WebGPU when an adapter answers (the same high-performance request tfjs makes), WebGL 2 when a
 * context can be made (its unmasked renderer). The server judges which are software.
 */
export async function backendsHere(): Promise<{ backends: GpuHostBackend[]; adapters: GpuAdapter[] }> {
  const backends: GpuHostBackend[] = [];
  const adapters: GpuAdapter[] = [];
  // Before Chromium 136 isFallbackAdapter sat on the adapter itself, which the DOM types no longer know.
  const gpu = (navigator as unknown as { gpu?: GpuLike }).gpu;
  const adapter = gpu ? await gpu.requestAdapter({ powerPreference: 'high-performance' }).catch(() => null) : null;
  if (adapter) {
    const info = adapter.info ?? {};
    backends.push('webgpu');
    adapters.push({
      api: 'webgpu',
      vendor: clip(info.vendor, 200),
      architecture: clip(info.architecture, 200),
      description: clip(info.description, 500),
      isFallbackAdapter: info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false,
    });
  }
  const gl = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(1, 1).getContext('webgl2') : null;
  if (gl) {
    backends.push('webgl');
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    adapters.push({
      api: 'webgl',
      vendor: clip(gl.getParameter(debug ? debug.UNMASKED_VENDOR_WEBGL : gl.VENDOR), 200),
      architecture: '',
      description: clip(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER), 500),
      isFallbackAdapter: false,
    });
  }
  return { backends, adapters };
}
