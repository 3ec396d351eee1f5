/**
 * The adapter a browser GPU host trained on, as a run records it, and the one judgement of
 * whether it is a GPU at all: WebGPU's isFallbackAdapter, or a renderer that is a known software
 * rasteriser (SwiftShader, llvmpipe, WARP). A software adapter is never called a GPU: its speed
 * says nothing about a graphics card, only its numbers can be trusted.
 */
import { GpuAdapter } from '../contract/app.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';

export { GpuAdapter };

/** Software rasterisers that browsers fall back to when no GPU is usable. */
const softwareRenderers = /swiftshader|llvmpipe|softpipe|lavapipe|microsoft basic render|\bwarp\b|software/i;

/** True for a software implementation: never a GPU, whatever its vendor string says. */
export function isSoftwareAdapter(adapter: GpuAdapter): boolean {
  return adapter.isFallbackAdapter || softwareRenderers.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`);
}

/** The adapter's line in English and coded (gpu_adapter_*): the same words, names as the browser gives them. */
export interface AdapterLine {
  device: string;
  deviceCode: CoreText;
}

/**
 * The device line a run shows: the adapter by what the browser says of it, and for a software
 * adapter that it is one, e.g. "WebGPU on google swiftshader — software adapter (SwiftShader), not a GPU".
 */
export function describeAdapter(adapter: GpuAdapter): string {
  return adapterLine(adapter).device;
}

/** describeAdapter's line with its coded form, for the page's and the CLI's language. */
export function adapterLine(adapter: GpuAdapter): AdapterLine {
  const api = adapter.api === 'webgpu' ? 'WebGPU' : 'WebGL';
  const parts = [adapter.vendor, adapter.architecture].filter((p) => p.trim() !== '');
  const described = adapter.description.trim();
  const description = described !== '' ? ` (${described})` : '';
  // The vendor, architecture and description are names: only the words for an adapter the browser does not name are ours.
  const named =
    parts.length > 0
      ? `${parts.join(' ')}${description}`
      : [
          {
            sentence: `an adapter the browser does not name${description}`,
            path: '',
            text:
              described !== ''
                ? coreText('gpu_adapter_unnamed_described', { description: described })
                : coreText('gpu_adapter_unnamed', {}),
          },
        ];
  const namedEnglish = typeof named === 'string' ? named : named[0]!.sentence;
  if (!isSoftwareAdapter(adapter))
    return { device: `${api} on GPU ${namedEnglish}`, deviceCode: coreText('gpu_adapter_gpu', { api, adapter: named }) };
  const rasteriser = softwareRenderers.exec(`${adapter.architecture} ${adapter.description} ${adapter.vendor}`)?.[0];
  const which = rasteriser && !/software/i.test(rasteriser) ? (rasteriser === 'swiftshader' ? 'SwiftShader' : rasteriser) : null;
  return which === null
    ? {
        device: `${api} on ${namedEnglish} — software adapter, not a GPU`,
        deviceCode: coreText('gpu_adapter_software', { api, adapter: named }),
      }
    : {
        device: `${api} on ${namedEnglish} — software adapter (${which}), not a GPU`,
        deviceCode: coreText('gpu_adapter_software_named', { api, adapter: named, rasteriser: which }),
      };
}
