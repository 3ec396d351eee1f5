/**
 * What the wasm backend needs to train well, registered once per process before training on it:
 * the gradient kernels tfjs lacks or runs as scalar loops, and kernels a training step calls
 * thousands of times that tfjs implements wastefully (see each file under wasm/). The kernels
 * read and write the wasm heap directly or compose wasm's own XNNPACK kernels; every one is
 * checked against the cpu backend in wasmKernels.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchNormTrainingGradKernel, batchNormTrainingKernel } from '../models/batchNormTraining.ts';
import { adamUpdateKernel } from './fusedAdam.ts';
import { adamUpdate } from './wasm/adam.ts';
import { batchNormTraining, batchNormTrainingGrad } from './wasm/batchNorm.ts';
import { conv2DBackpropFilter, makeConv2DBackpropInput } from './wasm/convGradients.ts';
import { replaceWasmKernel, type KernelFn } from './wasm/kernelUtil.ts';
import { makeBatchMatMul } from './wasm/matMul.ts';
import { maxPoolGrad } from './wasm/poolGradients.ts';
import { makeSum } from './wasm/reductions.ts';
import { makeCast, makeIdentity } from './wasm/shared.ts';

/** Wraps a tfjs kernel we improve; when tfjs has none, ours stands alone or the name is skipped. */
function improve(name: string, make: (original: tf.KernelConfig) => KernelFn): void {
  replaceWasmKernel(name, (original) => {
    if (!original) throw new Error(`the wasm backend has no ${name} kernel to improve`);
    return make(original);
  });
}

/** Registers the kernels once per process; call before training on wasm. */
export function registerWasmTrainingKernels(): void {
  // The kernel registry is process-wide; another copy of this module may have been first.
  if (tf.getKernel(batchNormTrainingKernel, 'wasm')) return;
  replaceWasmKernel('Conv2DBackpropFilter', () => conv2DBackpropFilter);
  improve('Conv2DBackpropInput', makeConv2DBackpropInput);
  replaceWasmKernel('MaxPoolGrad', () => maxPoolGrad);
  improve('BatchMatMul', makeBatchMatMul);
  improve('Identity', makeIdentity);
  improve('Cast', makeCast);
  improve('Sum', makeSum);
  replaceWasmKernel(adamUpdateKernel, () => adamUpdate);
  replaceWasmKernel(batchNormTrainingGradKernel, () => batchNormTrainingGrad);
  replaceWasmKernel(batchNormTrainingKernel, () => batchNormTraining);
}

/**
 * Autodiff needs tfjs' gradient registry (a process-wide global). Under Node the tfjs-layers
 * bundle fills it when imported; where the ESM sources are loaded instead (vitest), it stays
 * empty, so load tfjs-core's own registration then.
 */
export async function ensureGradients(): Promise<void> {
  if (!tf.getGradient('Conv2D')) await import('@tensorflow/tfjs-layers');
  if (!tf.getGradient('Conv2D')) {
    const specifier = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
    await import(specifier);
  }
  if (!tf.getGradient('Conv2D')) throw new Error('tfjs gradients could not be registered');
}
