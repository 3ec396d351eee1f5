import type * as tf from '@tensorflow/tfjs-core';
import { fallbackTo, single, wasmKernel, withIntermediates, type KernelFn } from './kernelUtil.ts';

/**
 * wasm's BatchMatMul is fast only without transposes (XNNPACK); with transposeA or transposeB it
 * takes a scalar path 10–20× slower, and every dense layer's backward pass asks for one. Moving
 * the transpose into an explicit Transpose keeps the product on the fast path.
 */
export function makeBatchMatMul(original: tf.KernelConfig): KernelFn {
  const product = fallbackTo(original);
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    const run = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo =>
      single(product({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }));
    if (!attrs.transposeA && !attrs.transposeB) return run(inputs['a']!, inputs['b']!);
    const transpose = wasmKernel('Transpose');
    return withIntermediates(backend, (keep) => {
      const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
        const rank = t.shape.length;
        const perm = [...Array(rank).keys()];
        [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
        return keep(transpose({ inputs: { x: t }, backend, attrs: { perm } }));
      };
      return run(attrs.transposeA ? swapLast(inputs['a']!) : inputs['a']!, attrs.transposeB ? swapLast(inputs['b']!) : inputs['b']!);
    });
  };
}
