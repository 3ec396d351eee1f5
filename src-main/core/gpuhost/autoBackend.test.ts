/**
 * `auto`: what a browser lending its GPU reported is cached with when, shown by app.info, and a
 * page with a hardware adapter also takes runs that pin no backend while it lends; a software
 * adapter (SwiftShader) is listed but never chosen. Real SQLite, the real agent.* methods with a
 * GPU-host token. The adapters here are what a page sends in agent.hello (the e2e spec
 * browserGpu.browser.spec.ts has real Chromium send its SwiftShader one).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BackendProbe, GpuAdapter, GpuHostReport } from '../contract/app.ts';
import type { MethodName } from '../contract/index.ts';
import { createService, type Service } from '../service.ts';
import { dataDirWithMnist, tinySweep } from '../sweeps/sweepFixture.ts';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { describeTensorflow, tensorflowDetailText, type TensorflowRuntime } from '../training/tensorflowEngine.ts';
import { chooseAutoBackend, gpuHostReportsKey, maxGpuHostReports } from './autoBackend.ts';

const agentId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const swiftShader: GpuAdapter = { api: 'webgpu', vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true };
const radeon: GpuAdapter = {
  api: 'webgpu',
  vendor: 'amd',
  architecture: 'rdna-3',
  description: 'AMD Radeon 780M',
  isFallbackAdapter: false,
};
const llvmpipe: GpuAdapter = {
  api: 'webgl',
  vendor: 'Mesa',
  architecture: '',
  description: 'llvmpipe (LLVM 15.0.6, 256 bits)',
  isFallbackAdapter: false,
};

const wasmOnly: BackendProbe[] = [
  { name: 'tensorflow', available: false, detail: 'not installed' },
  { name: 'wasm', available: true, detail: 'wasm SIMD' },
];
const report = (adapters: GpuAdapter[], lending: boolean, minutesAgo = 3): GpuHostReport => ({
  host: 'a browser on MacIntel',
  adapters: adapters.map((adapter) => ({ adapter, device: adapter.description || adapter.architecture, software: adapter !== radeon })),
  reportedAt: 1_000_000_000 - minutesAgo * 60_000,
  lending,
});

describe('chooseAutoBackend', () => {
  const now = 1_000_000_000;
  it('prefers tensorflow on a CUDA GPU, then a lending hardware adapter, then the worker processes’ choice', () => {
    const cuda: BackendProbe[] = [{ name: 'tensorflow', available: true, detail: 'CUDA GPU NVIDIA A100 (80 GiB, driver 550, CUDA 12.4)' }];
    expect(chooseAutoBackend(cuda, 'tensorflow', [report([radeon], true)], now).backend).toBe('tensorflow');
    const gpu = chooseAutoBackend(wasmOnly, 'wasm', [report([radeon], true)], now);
    expect(gpu.backend).toBe('webgpu');
    expect(gpu.reason).toContain('lends its GPU now');
    const gone = chooseAutoBackend(wasmOnly, 'wasm', [report([radeon], false, 180)], now);
    expect(gone).toMatchObject({
      backend: 'wasm',
      reason: expect.stringContaining('3 h 0 min ago but is not lending now, so runs train on wasm'),
    });
    expect(gone.reasonCode).toEqual({
      code: 'auto_not_lending',
      params: {
        host: 'a browser on MacIntel',
        device: [{ sentence: 'AMD Radeon 780M', path: '', text: null }],
        agoSeconds: 10_800,
        backend: 'wasm',
      },
    });
  });

  it("says the CUDA GPU tensorflow trains on in Korean, from the probe's coded line, and in English as before", () => {
    // What loadTensorflowEngine answers for a CUDA engine on an H200, as the probe describes and codes it.
    const h200: TensorflowRuntime = {
      tensorflowVersion: '2.18.0',
      usingGpu: true,
      threads: 16,
      gpu: { name: 'NVIDIA H200', memoryMiB: 143_771, driver: '570.124.06', cuda: '12.8' },
      fallback: null,
      fallbackText: null,
      variant: 'gpu',
    };
    const probe: BackendProbe = {
      name: 'tensorflow',
      available: true,
      detail: describeTensorflow(h200),
      detailCode: tensorflowDetailText(h200),
    };
    const auto = chooseAutoBackend([probe], 'tensorflow', [], now);
    expect(auto.reason).toBe('tensorflow trains on a CUDA GPU NVIDIA H200 (140 GiB, driver 570.124.06, CUDA 12.8), libtensorflow 2.18.0');
    expect(coreTextOf(auto.reasonCode, auto.reason, 'en')).toBe(auto.reason);
    expect(coreTextOf(auto.reasonCode, auto.reason, 'ko')).toBe(
      'tensorflow가 CUDA GPU NVIDIA H200 (140 GiB, 드라이버 570.124.06, CUDA 12.8), libtensorflow 2.18.0에서 학습합니다',
    );
  });

  it('never picks a software adapter, even while it lends', () => {
    const soft = chooseAutoBackend(wasmOnly, 'wasm', [report([swiftShader, llvmpipe], true)], now);
    expect(soft.backend).toBe('wasm');
    expect(soft.reason).toContain('auto never picks a software adapter');
    expect(chooseAutoBackend(wasmOnly, 'wasm', [], now).reason).toContain('no browser has lent its GPU yet');
    // A page that offered no adapter at all: said in Korean too.
    const none = chooseAutoBackend(wasmOnly, 'wasm', [report([], false)], now);
    expect(none.reason).toContain('the browser adapter reported 3 min 0 s ago is no adapter;');
    expect(coreTextOf(none.reasonCode, none.reason, 'en')).toBe(none.reason);
    expect(coreTextOf(none.reasonCode, none.reason, 'ko')).toContain('3분 0초 전에 보고된 브라우저 어댑터는 어댑터 없음입니다.');
  });
});

describe('auto with a browser lending its GPU (service)', () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  let secret: string;
  let unpinned: number;
  const as = <M extends MethodName>(name: M, input: unknown) => service.call(name, input, { agentToken: secret });

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-auto-backend-');
    service = createService({ dataDir: home.dir, shell: 'cli', leaseMs: 60_000, trains: false });
    const { backend: _pinned, ...hyperparameters } = tinySweep().base.hyperparameters as Record<string, unknown>;
    unpinned = (await service.call('runs.start', { run: { ...tinySweep().base, hyperparameters } })).runId;
    secret = (await service.call('agents.browserGpuToken', {})).secret;
  }, 60_000);
  afterAll(async () => {
    await service.close();
    home.cleanup();
  });

  it('a SwiftShader page is reported with its age but takes no unpinned run', async () => {
    await as('agent.hello', {
      agent: { id: agentId(1), host: 'a browser on Linux x86_64', backends: ['webgpu'], adapters: [swiftShader] },
    });
    const info = await service.call('app.info', {});
    expect(info.gpuHosts[0]).toMatchObject({
      host: 'a browser on Linux x86_64',
      lending: true,
      adapters: [{ software: true, device: 'WebGPU on google swiftshader — software adapter (SwiftShader), not a GPU' }],
    });
    expect(Date.now() - info.gpuHosts[0]!.reportedAt).toBeLessThan(60_000);
    // This machine's browser-GPU list and the auto line say the adapter in the page's language; English as before.
    const listed = info.gpuHosts[0]!.adapters[0]!;
    expect(coreTextOf(listed.deviceCode, '', 'en')).toBe(listed.device);
    expect(coreTextOf(listed.deviceCode, '', 'ko')).toBe('google swiftshader의 WebGPU(소프트웨어 어댑터 SwiftShader, GPU 아님)');
    expect(info.auto.backend).toBe(info.chosenBackend);
    expect(info.auto.reason).toContain('auto never picks a software adapter');
    // The page's English says the time as the catalogue does ('0 s ago' for the core's 'just now'); the device as the core.
    expect(coreTextOf(info.auto.reasonCode, '', 'en')).toContain(`is ${listed.device}; auto never picks`);
    expect(coreTextOf(info.auto.reasonCode, '', 'ko')).toMatch(
      /^이 컴퓨터에는 CUDA GPU가 없습니다\. .+ 전에 보고된 브라우저 어댑터는 google swiftshader의 WebGPU\(소프트웨어 어댑터 SwiftShader, GPU 아님\)입니다\. /,
    );
    expect(await as('agent.claim', { agentId: agentId(1) })).toMatchObject({ job: null });
    expect(service.context.store.getRun(unpinned)?.status).toBe('queued');
  }, 60_000);

  it('a page with a hardware adapter is chosen while it lends and takes the unpinned run; after bye auto falls back', async () => {
    await as('agent.hello', { agent: { id: agentId(2), host: 'a browser on MacIntel', backends: ['webgpu'], adapters: [radeon] } });
    const info = await service.call('app.info', {});
    expect(info.gpuHosts.map((h) => h.host)).toEqual(['a browser on MacIntel', 'a browser on Linux x86_64']);
    expect(info.auto).toMatchObject({ backend: 'webgpu', reason: expect.stringContaining('WebGPU on GPU amd rdna-3 (AMD Radeon 780M)') });
    expect(coreTextOf(info.auto.reasonCode, '', 'en')).toContain('lends its GPU now (WebGPU on GPU amd rdna-3 (AMD Radeon 780M), reported');
    expect(coreTextOf(info.auto.reasonCode, '', 'ko')).toMatch(
      /^이 컴퓨터에는 CUDA GPU가 없습니다\. a browser on MacIntel이\(가\) 지금 GPU를 빌려주고 있으므로\(GPU amd rdna-3 \(AMD Radeon 780M\)의 WebGPU, .+ 전 보고됨\) /,
    );
    const claimed = await as('agent.claim', { agentId: agentId(2) });
    expect(claimed.job).toMatchObject({ runId: unpinned });
    expect(claimed.job!.hyperparameters).not.toHaveProperty('backend');
    await as('agent.finish', { lease: claimed.job!.lease, lastSeq: 0, outcome: { kind: 'interrupted', error: 'the page stopped' } });
    // A single run the page gave back goes to the queue again.
    expect(service.context.store.getRun(unpinned)?.status).toBe('queued');
    await as('agent.bye', { agentId: agentId(2), reason: 'the page stopped lending its GPU' });
    const after = await service.call('app.info', {});
    expect(after.auto.backend).toBe(after.chosenBackend);
    expect(after.auto.reason).toContain('is not lending now');
  }, 60_000);

  it('keeps the newest reports only, and refuses more than one adapter per API in words', async () => {
    // agent 2's bye revoked the page's token: a new press makes a new one.
    secret = (await service.call('agents.browserGpuToken', {})).secret;
    for (let n = 10; n < 10 + maxGpuHostReports + 2; n++)
      await as('agent.hello', { agent: { id: agentId(n), host: `a browser ${n}`, backends: ['webgl'], adapters: [llvmpipe] } });
    const info = await service.call('app.info', {});
    expect(info.gpuHosts).toHaveLength(maxGpuHostReports);
    expect(info.gpuHosts[0]!.host).toBe(`a browser ${10 + maxGpuHostReports + 1}`);
    await expect(
      as('agent.hello', { agent: { id: agentId(99), host: 'x', backends: ['webgl'], adapters: [llvmpipe, llvmpipe, llvmpipe] } }),
    ).rejects.toThrow(/adapters.*at most one adapter per API/);
  }, 60_000);

  it('reads a damaged setting as no reports, or leaves out the bad ones, saying why in the log; never a crash', async () => {
    const warnings: string[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
    try {
      const store = service.context.store;
      store.setSetting(gpuHostReportsKey, { not: 'a list' });
      expect((await service.call('app.info', {})).gpuHosts).toEqual([]);
      expect(warnings.at(-1)).toBe('settings: gpuHostReports is not a list, read as no reports');
      const good = { agentId: agentId(50), host: 'a browser on MacIntel', adapters: [radeon], reportedAt: Date.now() };
      const huge = { ...good, agentId: agentId(51), adapters: [radeon, radeon, radeon] };
      store.setSetting(gpuHostReportsKey, [{ ...good, reportedAt: 'yesterday' }, good, huge, 'x'.repeat(10)]);
      const info = await service.call('app.info', {});
      expect(info.gpuHosts.map((h) => h.host)).toEqual(['a browser on MacIntel']);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^settings: gpuHostReports\[0\] left out: reportedAt: /),
          expect.stringMatching(/^settings: gpuHostReports\[2\] left out: adapters: /),
          expect.stringMatching(/^settings: gpuHostReports\[3\] left out: report: /),
        ]),
      );
      // A page saying hello again writes a sound list over the damaged one.
      await as('agent.hello', { agent: { id: agentId(52), host: 'a browser again', backends: ['webgl'], adapters: [llvmpipe] } });
      expect((await service.call('app.info', {})).gpuHosts.map((h) => h.host)).toEqual(['a browser again', 'a browser on MacIntel']);
    } finally {
      warn.mockRestore();
    }
  }, 60_000);
});
