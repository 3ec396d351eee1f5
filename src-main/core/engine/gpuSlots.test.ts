import { describe, expect, it } from 'vitest';
import type { EngineManifest } from '../contract/engines.ts';
import { GpuSlots, tensorflowWorkers } from './gpuSlots.ts';

const manifest = (variant: 'cpu' | 'gpu', usingGpu: boolean): EngineManifest => ({
  engine: 'tensorflow',
  variant,
  source: 'wheel',
  origin: [],
  tfjsNodeVersion: '4.22.0',
  platform: 'linux-x64',
  cuda: variant === 'gpu' ? '12.9' : null,
  cudnn: null,
  libraryPaths: [],
  installedAt: new Date(0).toISOString(),
  bytes: 0,
  check: { tensorflowVersion: '2.21.0', devices: [], usingGpu, maxRelativeError: 0, note: null },
});

describe('one tensorflow worker per GPU', () => {
  it('sizes the pool by GPUs for a GPU engine that uses them, by cores otherwise', () => {
    expect(tensorflowWorkers(manifest('gpu', true), 8, () => 4)).toBe(4);
    expect(tensorflowWorkers(manifest('gpu', true), 8, () => 0)).toBe(1);
    // A CUDA engine on a machine whose GPU it could not use trains on the CPU like the CPU engine.
    expect(tensorflowWorkers(manifest('gpu', false), 8, () => 4)).toBe(8);
    expect(tensorflowWorkers(manifest('cpu', false), 2, () => 4)).toBe(2);
    expect(tensorflowWorkers(null, 2)).toBe(2);
  });

  it('gives each worker its own GPU and takes it back when the worker exits', () => {
    const slots = new GpuSlots(2);
    const [a, b] = [slots.take(), slots.take()];
    expect([a, b]).toEqual([0, 1]);
    expect(slots.take()).toBeUndefined();
    slots.release(0);
    expect(slots.take()).toBe(0);
  });
});
