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
    const acc = new Float64Array(cols);
    for (let r = 0, base = 0; r < rows; r++, base += cols) for (let c = 0; c < cols; c++) acc[c] = acc[c]! + xs[base + c]!;
    backend.typedArrayFromHeap(out).set(acc);
    return out;
  };
}
