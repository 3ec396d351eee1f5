/**
 * The adapter a browser GPU host trained on, as a run records it, and the one judgement of
 * whether it is a GPU at all: WebGPU's isFallbackAdapter, or a renderer that is a known software
 * rasteriser (SwiftShader, llvmpipe, WARP). A software adapter is never called a GPU: its speed
 * says nothing about a graphics card, only its numbers can be trusted.
 */
import { GpuAdapter } from '../contract/app.ts';

export { GpuAdapter };

/** Software rasterisers that browsers fall back to when no GPU is usable. */
const softwareRenderers = /swiftshader|llvmpipe|softpipe|lavapipe|microsoft basic render|\bwarp\b|software/i;

/** True for a software implementation: never a GPU, whatever its vendor string says. */
export function isSoftwareAdapter(adapter: GpuAdapter): boolean {
  return adapter.isFallbackAdapter || softwareRenderers.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
}

/**
 * The device line a run shows: the adapter by what the browser says of it, and for a software
 * adapter that it is one, e.g. "WebGPU on google swiftshader — software adapter (SwiftShader), not a GPU".
 */
export function describeAdapter(adapter: GpuAdapter): string {
  const api = adapter.api === 'webgpu' ? 'WebGPU' : 'WebGL';
  const parts = [adapter.vendor, adapter.architecture].filter((p) => p.trim() !== '');
  const named = parts.length > 0 ? parts.join(' ') : 'an adapter the browser does not name';
  const description = adapter.description.trim() !== '' ? ` (${adapter.description.trim()})` : '';
  if (!isSoftwareAdapter(adapter)) return `${api} on GPU ${named}${description}`;
  const rasteriser = softwareRenderers.exec(`${adapter.architecture} ${adapter.description} ${adapter.vendor}`)?.[0];
  const which = rasteriser && !/software/i.test(rasteriser) ? ` (${rasteriser === 'swiftshader' ? 'SwiftShader' : rasteriser})` : '';
  return `${api} on ${named}${description} — software adapter${which}, not a GPU`;
}
