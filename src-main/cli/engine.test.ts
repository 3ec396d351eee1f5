/**
 * `kernellab engine ls` in Korean (issue 17): a ready engine's line, its check's note (why a GPU
 * engine trains on the CPU) and the devices its check ran on are said in Korean; the versions,
 * names and paths pass as they are, and the English lines are as they were.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineInfo } from '../core/contract/engines.ts';
import { verifyInWorker } from '../core/engine/installs.ts';
import { gpuLeftUnused } from '../core/training/tensorflowEngine.ts';
import { forkWorker } from '../core/workerHost.ts';
import { engineForTests } from '../test/installedEngine.ts';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { describeEngine } from './engine.ts';

const workerEntry = fileURLToPath(new URL('../core/training/worker.ts', import.meta.url));

afterAll(() => setLocale('en', { reload: false }));

/** A CPU engine as `engines.list` answers for one installed from the official download. */
const ready = EngineInfo.parse({
  name: 'tensorflow',
  status: 'ready',
  dir: '/data/engines/tensorflow',
  manifest: {
    engine: 'tensorflow',
    variant: 'cpu',
    source: 'official',
    origin: ['libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz'],
    tfjsNodeVersion: '4.22.0',
    platform: 'linux-x64',
    cuda: null,
    cudnn: null,
    libraryPaths: ['lib'],
    installedAt: '2026-12-01T17:00:00.000Z',
    bytes: 412_000_000,
    check: { tensorflowVersion: '2.9.1', devices: ['CPU: AMD EPYC'], usingGpu: false, maxRelativeError: 2.4e-7, note: null },
  },
  problem: null,
  progress: null,
  requirements: [],
});

describe('kernellab engine ls', () => {
  it("says a ready engine's state in Korean, the English line unchanged", () => {
    setLocale('ko', { reload: false });
    const ko = describeEngine(ready);
    expect(ko.split('\n')[0]).toBe('tensorflow: 준비됨 — TensorFlow 2.9.1 (CPU, 공식 내려받기), tfjs-node-gpu 4.22.0, 0.41 GB');
    expect(ko).not.toMatch(/ready/);
    setLocale('en', { reload: false });
    expect(describeEngine(ready).split('\n')[0]).toBe(
      'tensorflow: ready — TensorFlow 2.9.1 (CPU, official download), tfjs-node-gpu 4.22.0, 0.41 GB',
    );
  });

  it('says why a GPU engine trains on the CPU in Korean, the English note unchanged; an engine installed before the code keeps its English', () => {
    const h200 = { name: 'NVIDIA H200', memoryMiB: 143_771, driver: '470.57.02', cuda: '11.4' };
    // What the install's check records when the driver is too old for the engine (tensorflowEngine.ts).
    const { fallback, fallbackText } = gpuLeftUnused(h200, 'gpu');
    const check = { ...ready.manifest!.check, note: fallback, noteCode: fallbackText };
    const gpu = EngineInfo.parse({ ...ready, manifest: { ...ready.manifest, variant: 'gpu', check } });
    // The note's row, less its label (padded to the widest label of the language).
    const noteLine = (info: EngineInfo) =>
      describeEngine(info)
        .split('\n')
        .find((l) => l.includes('NVIDIA H200'))
        ?.replace(/^ {2}(note|참고) +/, '');
    setLocale('ko', { reload: false });
    expect(noteLine(gpu)).toBe(
      'GPU NVIDIA H200이(가) 있지만 쓰지 않습니다: 드라이버 470.57.02은(는) CUDA 11.4까지 지원하고 엔진에는 CUDA 12가 필요합니다. libtensorflow로 CPU에서 학습합니다',
    );
    const before = EngineInfo.parse({
      ...ready,
      manifest: { ...ready.manifest, variant: 'gpu', check: { ...check, noteCode: undefined } },
    });
    expect(noteLine(before)).toBe(fallback);
    setLocale('en', { reload: false });
    expect(noteLine(gpu)).toBe(
      'GPU NVIDIA H200 present but unused: its driver 470.57.02 supports CUDA 11.4, the engine needs CUDA 12; trained on the CPU with libtensorflow',
    );
  });
});

const engine = engineForTests('engine ls devices');
describe.runIf(engine !== undefined)('kernellab engine ls, the installed engine checked again', () => {
  it('says the devices its check ran on in Korean, and in English as before', async () => {
    // The same check an install runs: the engine loaded in a fresh worker, one conv step against the cpu backend.
    const check = await verifyInWorker(forkWorker, workerEntry)(engine!.dir, engine!.manifest);
    const info = EngineInfo.parse({ ...ready, dir: engine!.dir, manifest: { ...engine!.manifest, check } });
    const devicesRow = () =>
      describeEngine(info)
        .split('\n')
        .find((l) => /^ {2}(devices|장치) /.test(l))
        ?.replace(/^ {2}(devices|장치) +/, '');
    const cpu = /^CPU: (.+) \((\d+) threads\)$/.exec(check.devices[0]!);
    expect(cpu, check.devices[0]).not.toBeNull();
    setLocale('ko', { reload: false });
    expect(devicesRow()).toBe(`CPU: ${cpu![1]} (스레드 ${cpu![2]}개)`);
    setLocale('en', { reload: false });
    expect(devicesRow()).toBe(check.devices.join('; '));
  }, 120_000);
});
