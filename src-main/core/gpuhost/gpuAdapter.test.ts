import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { adapterLine, describeAdapter, GpuAdapter, isSoftwareAdapter } from './gpuAdapter.ts';

/** What Chromium 156 reports here with --enable-unsafe-webgpu and no GPU (gpuHost.browser.spec.ts sees the same). */
const swiftShaderWebGpu = GpuAdapter.parse({
  api: 'webgpu',
  vendor: 'google',
  architecture: 'swiftshader',
  description: '',
  isFallbackAdapter: true,
});
const swiftShaderWebGl = GpuAdapter.parse({
  api: 'webgl',
  vendor: 'Google Inc. (Google)',
  architecture: '',
  description: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver)',
  isFallbackAdapter: false,
});

describe('a GPU host adapter', () => {
  it('calls SwiftShader a software adapter, never a GPU, on WebGPU and on WebGL', () => {
    expect(isSoftwareAdapter(swiftShaderWebGpu)).toBe(true);
    expect(describeAdapter(swiftShaderWebGpu)).toBe('WebGPU on google swiftshader — software adapter (SwiftShader), not a GPU');
    expect(isSoftwareAdapter(swiftShaderWebGl)).toBe(true);
    expect(describeAdapter(swiftShaderWebGl)).toMatch(
      /^WebGL on Google Inc\. \(Google\) \(ANGLE .*\) — software adapter \(SwiftShader\), not a GPU$/,
    );
  });

  it('trusts isFallbackAdapter even when the names look like hardware', () => {
    const adapter = { api: 'webgpu' as const, vendor: 'nvidia', architecture: 'ampere', description: '', isFallbackAdapter: true };
    expect(isSoftwareAdapter(adapter)).toBe(true);
    expect(describeAdapter(adapter)).toMatch(/software adapter, not a GPU$/);
  });

  it('recognises the other software rasterisers by name (llvmpipe, WARP)', () => {
    const base = { api: 'webgl' as const, vendor: 'Mesa', architecture: '', isFallbackAdapter: false };
    expect(isSoftwareAdapter({ ...base, description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ ...base, description: 'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11)' })).toBe(true);
  });

  it('names a hardware adapter a GPU, with what the browser says of it', () => {
    const apple = { api: 'webgpu' as const, vendor: 'apple', architecture: 'metal-3', description: 'Apple M2', isFallbackAdapter: false };
    expect(isSoftwareAdapter(apple)).toBe(false);
    expect(describeAdapter(apple)).toBe('WebGPU on GPU apple metal-3 (Apple M2)');
    const hidden = { api: 'webgpu' as const, vendor: '', architecture: '', description: '', isFallbackAdapter: false };
    expect(describeAdapter(hidden)).toBe('WebGPU on GPU an adapter the browser does not name');
  });

  it('says each kind of adapter line in Korean, names as the browser gives them, and in English as describeAdapter does', () => {
    const cases: [GpuAdapter, string][] = [
      [swiftShaderWebGpu, 'google swiftshader의 WebGPU(소프트웨어 어댑터 SwiftShader, GPU 아님)'],
      [
        swiftShaderWebGl,
        'Google Inc. (Google) (ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero) (0x0000C0DE)), SwiftShader driver))의 WebGL(소프트웨어 어댑터 SwiftShader, GPU 아님)',
      ],
      [
        { api: 'webgl', vendor: 'Mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)', isFallbackAdapter: false },
        'Mesa (llvmpipe (LLVM 15.0.6, 256 bits))의 WebGL(소프트웨어 어댑터 llvmpipe, GPU 아님)',
      ],
      [
        { api: 'webgpu', vendor: 'nvidia', architecture: 'ampere', description: '', isFallbackAdapter: true },
        'nvidia ampere의 WebGPU(소프트웨어 어댑터, GPU 아님)',
      ],
      [
        { api: 'webgpu', vendor: 'apple', architecture: 'metal-3', description: 'Apple M2', isFallbackAdapter: false },
        'GPU apple metal-3 (Apple M2)의 WebGPU',
      ],
      [
        { api: 'webgpu', vendor: '', architecture: '', description: '', isFallbackAdapter: false },
        'GPU 브라우저가 이름을 알려 주지 않는 어댑터의 WebGPU',
      ],
      [
        { api: 'webgl', vendor: ' ', architecture: '', description: 'Radeon', isFallbackAdapter: false },
        'GPU 브라우저가 이름을 알려 주지 않는 어댑터(Radeon)의 WebGL',
      ],
      [
        { api: 'webgpu', vendor: '', architecture: '', description: '', isFallbackAdapter: true },
        '브라우저가 이름을 알려 주지 않는 어댑터의 WebGPU(소프트웨어 어댑터, GPU 아님)',
      ],
    ];
    for (const [adapter, korean] of cases) {
      const line = adapterLine(adapter);
      expect(line.device).toBe(describeAdapter(adapter));
      expect(coreTextOf(line.deviceCode, '', 'en')).toBe(line.device);
      expect(coreTextOf(line.deviceCode, '', 'ko')).toBe(korean);
    }
  });

  it('refuses an adapter record with unknown fields or an unknown API', () => {
    expect(GpuAdapter.safeParse({ ...swiftShaderWebGpu, extra: 1 }).success).toBe(false);
    expect(GpuAdapter.safeParse({ ...swiftShaderWebGpu, api: 'metal' }).success).toBe(false);
  });
});
