/**
 * The tensorflow engine's row on This machine and in `kernellab info`, in the user's language
 * (issue 17): the GPU's and CPU's names and the versions pass as they are; in English the coded
 * row reads exactly as the run's recorded device line (describeTensorflow).
 */
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { describeTensorflow, tensorflowDetailText, type TensorflowRuntime } from './tensorflowEngine.ts';

/** What loadTensorflowEngine answers for a CUDA engine on an H200, and for the CPU engine. */
const gpu: TensorflowRuntime = {
  tensorflowVersion: '2.18.0',
  usingGpu: true,
  threads: 16,
  gpu: { name: 'NVIDIA H200', memoryMiB: 143_771, driver: '570.124.06', cuda: '12.8' },
  fallback: null,
  variant: 'gpu',
};
const cpu: TensorflowRuntime = { tensorflowVersion: '2.9.1', usingGpu: false, threads: 4, gpu: null, fallback: null, variant: 'cpu' };
const model = cpus()[0]!.model.trim();

describe("the tensorflow engine's row, coded", () => {
  it('says the GPU and the CPU it trains on in Korean, and in English as the device line', () => {
    expect(coreTextOf(tensorflowDetailText(gpu), '', 'ko')).toBe(
      'CUDA GPU NVIDIA H200 (140 GiB, 드라이버 570.124.06, CUDA 12.8), libtensorflow 2.18.0',
    );
    expect(coreTextOf(tensorflowDetailText(cpu), '', 'ko')).toBe(`CPU libtensorflow 2.9.1: ${model}, 스레드 4개`);
    expect(coreTextOf(tensorflowDetailText({ ...cpu, threads: 1 }), '', 'ko')).toBe(`CPU libtensorflow 2.9.1: ${model}, 스레드 1개`);
    for (const runtime of [gpu, cpu, { ...cpu, threads: 1 }])
      expect(coreTextOf(tensorflowDetailText(runtime), '', 'en')).toBe(describeTensorflow(runtime));
  });

  it('leaves a GPU left unused to its English, which it cannot code', () => {
    const unused = { ...cpu, gpu: gpu.gpu, fallback: 'GPU NVIDIA H200 present but unused: this is the CPU engine' };
    expect(tensorflowDetailText(unused)).toBeUndefined();
  });
});
