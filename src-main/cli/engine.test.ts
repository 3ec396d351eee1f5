/**
 * `kernellab engine ls` in Korean (issue 17): a ready engine's line says its state in Korean; the
 * versions, names and paths pass as they are, and the English line is as it was.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { EngineInfo } from '../core/contract/engines.ts';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { describeEngine } from './engine.ts';

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
});
