import type * as tf from '@tensorflow/tfjs-core';
import type { AdamUpdateAttrs } from '../fusedAdam.ts';
import { heapOf, type KernelArgs } from './kernelUtil.ts';

const f = Math.fround;

/**
 * FusedAdam's update of one variable in one pass over the wasm heap. Every intermediate is
 * rounded to float32 in the order tfjs' Adam computes it with separate kernels (each an IEEE
 * float32 operation: wasm SIMD has no fused multiply-add), so the results are bitwise the same.
 */
export function adamUpdate(args: KernelArgs): tf.TensorInfo[] {
  const backend = heapOf(args.backend);
  const { value, m, v, gradient, accBeta1, accBeta2 } = args.inputs as Record<
    'value' | 'm' | 'v' | 'gradient' | 'accBeta1' | 'accBeta2',
    tf.TensorInfo
  >;
  const { learningRate, beta1, beta2, epsilon } = args.attrs as unknown as AdamUpdateAttrs;
  const outValue = backend.makeOutput(value.shape, 'float32');
  const outM = backend.makeOutput(value.shape, 'float32');
  const outV = backend.makeOutput(value.shape, 'float32');
  const w = backend.typedArrayFromHeap(value);
  const ms = backend.typedArrayFromHeap(m);
  const vs = backend.typedArrayFromHeap(v);
  const g = backend.typedArrayFromHeap(gradient);
  const w1 = backend.typedArrayFromHeap(outValue);
  const m1 = backend.typedArrayFromHeap(outM);
  const v1 = backend.typedArrayFromHeap(outV);
  // The scalars tfjs makes float32 tensors of: beta1, 1 − beta1, …, 1 − beta1^t, ε, −lr.
  const b1 = f(beta1);
  const c1 = f(1 - beta1);
  const b2 = f(beta2);
  const c2 = f(1 - beta2);
  const correct1 = f(1 - backend.typedArrayFromHeap(accBeta1)[0]!);
  const correct2 = f(1 - backend.typedArrayFromHeap(accBeta2)[0]!);
  const eps = f(epsilon);
  const step = f(-learningRate);
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = f(f(ms[i]! * b1) + f(gi * c1));
    const vi = f(f(vs[i]! * b2) + f(f(gi * gi) * c2));
    const mHat = f(mi / correct1);
    const vHat = f(vi / correct2);
    m1[i] = mi;
    v1[i] = vi;
    w1[i] = f(f(f(mHat / f(f(Math.sqrt(vHat)) + eps)) * step) + w[i]!);
  }
  return [outValue, outM, outV];
}
