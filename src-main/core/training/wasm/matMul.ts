import type * as tf from '@tensorflow/tfjs-core';
import { fallbackTo, single, wasmKernel, withIntermediates, type KernelFn } from './kernelUtil.ts';

/**
 * wasm's BatchMatMul is fast only without transposes (XNNPACK); with transposeA or transposeB it
 * takes a scalar path 10–20× slower, and every dense layer's backward pass asks for one. Moving
 * the transpose into an explicit Transpose keeps the product on the fast path.
 *
 * XNNPACK also copies the right operand into its packed layout on every call (a layer's weights
 * change every step), so for A·Bᵀ with a large B — a dense layer's input gradient dy·Wᵀ — it is
 * cheaper to compute (B·Aᵀ)ᵀ: A and the result are transposed instead of B, and the small Aᵀ is
 * what gets packed (Fashion-MNIST's 6272×512 layer: 0.9 M floats moved instead of 6.4 M).
 */
export function makeBatchMatMul(original: tf.KernelConfig): KernelFn {
  const product = fallbackTo(original);
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    const run = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo =>
      single(product({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } }));
    const a = inputs['a']!;
    const b = inputs['b']!;
    if (!attrs.transposeA && !attrs.transposeB) return run(a, b);
    const transpose = wasmKernel('Transpose');
    const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
      const rank = t.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
      return single(transpose({ inputs: { x: t }, backend, attrs: { perm } }));
    };
    return withIntermediates(backend, (keep) => {
      if (attrs.transposeB && !attrs.transposeA) {
        // a [.., M, K], b [.., N, K]: moving B twice (transpose, pack) or A twice and the result once.
        const [m, k] = a.shape.slice(-2) as [number, number];
        const n = b.shape.at(-2)!;
        if (2 * m * k + m * n < 2 * n * k) return swapLast(keep(run(b, keep(swapLast(a)))));
      }
      return run(attrs.transposeA ? keep(swapLast(a)) : a, attrs.transposeB ? keep(swapLast(b)) : b);
    });
  };
}
