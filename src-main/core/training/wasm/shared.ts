import type * as tf from '@tensorflow/tfjs-core';
import { fallbackTo, heapOf, single, type KernelFn } from './kernelUtil.ts';

/**
 * tfjs' wasm Identity copies the tensor. The engine clones every input and output it keeps for
 * the gradient tape, so a training step copied each activation once more for nothing (8% of a
 * LeNet-5 step). Tensors are immutable; the cpu backend shares the buffer with a reference count,
 * and so does this.
 */
export function makeIdentity(original: tf.KernelConfig): KernelFn {
  const fallback = fallbackTo(original);
  return (args) => {
    const x = args.inputs['x']!;
    if (x.dtype === 'string') return single(fallback(args));
    heapOf(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * tfjs' wasm Cast copies even when the type does not change, and every relu's gradient casts its
 * float32 step mask to float32 (a copy of each activation per step). A cast to the tensor's own
 * type shares the buffer as Identity does; real conversions keep tfjs' kernel.
 */
export function makeCast(original: tf.KernelConfig): KernelFn {
  const fallback = fallbackTo(original);
  return (args) => {
    const x = args.inputs['x']!;
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (x.dtype !== dtype || dtype === 'string') return single(fallback(args));
    heapOf(args.backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype };
  };
}
