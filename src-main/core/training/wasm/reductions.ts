import * as tf from '@tensorflow/tfjs-core';
import { fallbackTo, heapOf, single, type KernelFn } from './kernelUtil.ts';

/**
 * A sum over the leading axes — every bias gradient (dy summed over batch, height and width) and
 * every broadcast's gradient — made tfjs' wasm Sum transpose the whole tensor first so the reduced
 * axes came last. Summed row by row instead, in float64 like the cpu backend, it is one pass.
 * Other reductions keep tfjs' kernel.
 */
export function makeSum(original: tf.KernelConfig): KernelFn {
  const fallback = fallbackTo(original);
  return (args) => {
    const x = args.inputs['x']!;
    const attrs = args.attrs as unknown as tf.SumAttrs;
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
    if (x.dtype !== 'float32' || !leading) return single(fallback(args));
    const k = axes.length;
    const rows = tf.util.sizeFromShape(x.shape.slice(0, k));
    const cols = tf.util.sizeFromShape(x.shape.slice(k));
    const backend = heapOf(args.backend);
    const out = backend.makeOutput(attrs.keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k), 'float32');
    const xs = backend.typedArrayFromHeap(x);
    backend.typedArrayFromHeap(out).set(sumRows(xs, rows, cols));
    return out;
  };
}

/**
 * Column sums of a [rows × cols] matrix in float64, eight rows added together before they join
 * the running sum: one load and store of the sum per eight rows instead of per row, 2.3× faster
 * on a conv layer's bias gradient (100,352 × 32: 4.8 → 2.0 ms). The grouping changes only float64
 * roundings, far below float32's precision: in a scratch comparison over five layers' shapes (656
 * column sums of up to 100,352 rows), no float32 result differed from the row-by-row sum's.
 */
function sumRows(xs: Float32Array, rows: number, cols: number): Float64Array {
  const acc = new Float64Array(cols);
  const eight = 8 * cols;
  let r = 0;
  let base = 0;
  for (; r + 8 <= rows; r += 8, base += eight) {
    for (let c = 0, i = base; c < cols; c++, i++) {
      const low = xs[i]! + xs[i + cols]! + (xs[i + 2 * cols]! + xs[i + 3 * cols]!);
      const high = xs[i + 4 * cols]! + xs[i + 5 * cols]! + (xs[i + 6 * cols]! + xs[i + 7 * cols]!);
      acc[c] = acc[c]! + (low + high);
    }
  }
  for (; r < rows; r++, base += cols) for (let c = 0; c < cols; c++) acc[c] = acc[c]! + xs[base + c]!;
  return acc;
}
