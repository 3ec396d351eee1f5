import type * as tf from '@tensorflow/tfjs-core';
import { heapOf, type KernelArgs } from './kernelUtil.ts';

/** The Relu gradient kernel's name (wasmKernels.ts routes tfjs' Relu gradient to it). */
export const reluGradKernel = 'KernelLabReluGrad';

/**
 * tfjs' Relu gradient is dy · cast(step(x)): three kernels, three passes over the activation.
 * One pass here, with the same numbers (NaN in x gives NaN, as step does; NaN or ∞ in dy times 0
 * stays NaN).
 */
export function reluGrad(args: KernelArgs): tf.TensorInfo {
  const backend = heapOf(args.backend);
  const { dy, x } = args.inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
  const out = backend.makeOutput(x.shape, 'float32');
  const dys = backend.typedArrayFromHeap(dy);
  const xs = backend.typedArrayFromHeap(x);
  const dx = backend.typedArrayFromHeap(out);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i]!;
    dx[i] = dys[i]! * (v > 0 ? 1 : v === v ? 0 : NaN);
  }
  return out;
}
