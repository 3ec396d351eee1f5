import type * as tf from '@tensorflow/tfjs-core';
import { fallbackTo, single, wasmKernel, withIntermediates, type KernelFn } from './kernelUtil.ts';

/**
 * wasm's BatchMatMul is fast only without transposes and with a batch of one (XNNPACK's fully
 * connected operator); with transposeA or transposeB it takes a scalar path 10–20× slower, and
 * every dense layer's backward pass asks for one. So transposes are made explicit.
 *
 * XNNPACK also copies its right operand into a packed layout whenever that operand is a new tensor
 * — every call in training, since weights change every step — and the packing costs about 10 ns
 * a float against 1.5 ns for a transpose (6272×512 weights: 34 ms of an 86 ms product, measured).
 * So each product is computed either as op(A)·op(B) or as (op(B)ᵀ·op(A)ᵀ)ᵀ, whichever moves
 * fewer floats through transposes and packing: a Fashion-MNIST dense layer's forward pass packs
 * the 128×6272 batch instead of the 6272×512 weights.
 */
const transposeCost = 1.5;
const packCost = 10;
/** A kernel call's own cost in the same units (ns), so small products do not take extra transposes for nothing. */
const callCost = 60_000;

export function makeBatchMatMul(original: tf.KernelConfig): KernelFn {
  const product = fallbackTo(original);
  return (args) => {
    const { inputs, backend } = args;
    const { transposeA, transposeB } = args.attrs as unknown as tf.BatchMatMulAttrs;
    const a = inputs['a']!;
    const b = inputs['b']!;
    const run = (left: tf.TensorInfo, right: tf.TensorInfo): tf.TensorInfo =>
      single(product({ inputs: { a: left, b: right }, backend, attrs: { transposeA: false, transposeB: false } }));
    const transpose = wasmKernel('Transpose');
    const swapLast = (t: tf.TensorInfo): tf.TensorInfo => {
      const rank = t.shape.length;
      const perm = [...Array(rank).keys()];
      [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
      return single(transpose({ inputs: { x: t }, backend, attrs: { perm } }));
    };
    const [aRows, aCols] = a.shape.slice(-2) as [number, number];
    const [bRows, bCols] = b.shape.slice(-2) as [number, number];
    const [m, k] = transposeA ? [aCols, aRows] : [aRows, aCols];
    const n = transposeB ? bRows : bCols;
    const batchOfOne = a.shape.slice(0, -2).every((d) => d === 1) && b.shape.slice(0, -2).every((d) => d === 1);
    const direct =
      (transposeA ? transposeCost * m * k + callCost : 0) + (transposeB ? transposeCost * k * n + callCost : 0) + packCost * k * n;
    const swapped =
      (transposeB ? 0 : transposeCost * k * n + callCost) +
      (transposeA ? 0 : transposeCost * m * k + callCost) +
      packCost * k * m +
      transposeCost * m * n +
      callCost;
    return withIntermediates(backend, (keep) => {
      if (batchOfOne && swapped < direct) {
        const left = transposeB ? b : keep(swapLast(b));
        const right = transposeA ? a : keep(swapLast(a));
        return swapLast(keep(run(left, right)));
      }
      return run(transposeA ? keep(swapLast(a)) : a, transposeB ? keep(swapLast(b)) : b);
    });
  };
}
