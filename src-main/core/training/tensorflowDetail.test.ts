/**
 * The tensorflow engine's row on This machine and in `kernellab info`, in the user's language
 * (issue 17): the GPU's and CPU's names and the versions pass as they are; in English the coded
 * row reads exactly as the run's recorded device line (describeTensorflow).
 */
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { describeTensorflow, gpuLeftUnused, tensorflowDetailText, type TensorflowRuntime } from './tensorflowEngine.ts';

/** What loadTensorflowEngine answers for a CUDA engine on an H200, and for the CPU engine. */
const gpu: TensorflowRuntime = {
  tensorflowVersion: '2.18.0',
  usingGpu: true,
  threads: 16,
  gpu: { name: 'NVIDIA H200', memoryMiB: 143_771, driver: '570.124.06', cuda: '12.8' },
  fallback: null,
  fallbackText: null,
  variant: 'gpu',
};
const cpu: TensorflowRuntime = {
  tensorflowVersion: '2.9.1',
  usingGpu: false,
  threads: 4,
  gpu: null,
  fallback: null,
  fallbackText: null,
  variant: 'cpu',
};
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

  it('says a GPU left unused and why in Korean after the CPU line, and in English exactly as before', () => {
    const h200 = gpu.gpu!;
    const old = { ...h200, driver: '470.57.02', cuda: '11.4' };
    const cases: [TensorflowRuntime, string, string][] = [
      [
        { ...cpu, gpu: h200, ...gpuLeftUnused(h200, 'cpu') },
        'this is the CPU engine (install it with --gpu to train on the GPU)',
        'CPU 엔진입니다(GPU에서 학습하려면 --gpu로 설치하세요)',
      ],
      [
        { ...cpu, variant: 'gpu', gpu: old, ...gpuLeftUnused(old, 'gpu') },
        'its driver 470.57.02 supports CUDA 11.4, the engine needs CUDA 12',
        '드라이버 470.57.02은(는) CUDA 11.4까지 지원하고 엔진에는 CUDA 12가 필요합니다',
      ],
      [
        { ...cpu, variant: 'gpu', gpu: h200, ...gpuLeftUnused(h200, 'gpu') },
        'TensorFlow could not use it (its log in the worker output says why)',
        'TensorFlow가 이 GPU를 쓰지 못했습니다(이유는 워커 출력의 로그에 있습니다)',
      ],
    ];
    for (const [runtime, why, koWhy] of cases) {
      const line = `CPU libtensorflow 2.9.1: ${model}, 4 threads — GPU NVIDIA H200 present but unused: ${why}; trained on the CPU with libtensorflow`;
      expect(describeTensorflow(runtime)).toBe(line);
      expect(coreTextOf(tensorflowDetailText(runtime), '', 'en')).toBe(line);
      expect(coreTextOf(tensorflowDetailText(runtime), '', 'ko')).toBe(
        `CPU libtensorflow 2.9.1: ${model}, 스레드 4개 — GPU NVIDIA H200이(가) 있지만 쓰지 않습니다: ${koWhy}. libtensorflow로 CPU에서 학습합니다`,
      );
    }
  });

  it('says a CUDA GPU it cannot name in Korean too', () => {
    const unnamed = { ...gpu, gpu: null };
    expect(coreTextOf(tensorflowDetailText(unnamed), '', 'ko')).toBe('이름을 알 수 없는 CUDA GPU, libtensorflow 2.18.0');
    expect(coreTextOf(tensorflowDetailText(unnamed), '', 'en')).toBe(describeTensorflow(unnamed));
  });
});
