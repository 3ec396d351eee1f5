import * as tf from '@tensorflow/tfjs-core';
import { heapOf, type KernelArgs } from './kernelUtil.ts';

/**
 * wasm's MaxPoolGrad is a scalar loop that cost as much as a convolution in LeNet-5 profiles.
 * This one walks each window once in JavaScript on views of the wasm heap, channels innermost (the
 * NHWC layout's contiguous axis), and routes dy to the first maximum of the window in row-major
 * order, as the cpu backend does (so ties resolve the same way).
 */
export function maxPoolGrad(args: KernelArgs): tf.TensorInfo {
  const { inputs } = args;
  const backend = heapOf(args.backend);
  const attrs = args.attrs as unknown as tf.MaxPoolGradAttrs;
  const x = inputs['input']!;
  const dy = inputs['dy']!;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const out = backend.makeOutput(x.shape, 'float32');
  // Views are taken after the allocation: growing the heap would detach earlier ones.
  const dx = backend.typedArrayFromHeap(out);
  dx.fill(0);
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  const { batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, strideHeight, strideWidth } = info;
  const fh = info.effectiveFilterHeight;
  const fw = info.effectiveFilterWidth;
  const padTop = info.padInfo.top;
  const padLeft = info.padInfo.left;
  if (fh === 2 && fw === 2 && strideHeight === 2 && strideWidth === 2 && padTop === 0 && padLeft === 0) {
    pool2x2Grad(xs, dys, dx, batchSize, inHeight, inWidth, channels, outHeight, outWidth);
    return out;
  }
  const best = new Float64Array(channels);
  const at = new Int32Array(channels);
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * channels;
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * strideHeight - padTop;
      const rStart = Math.max(0, r0);
      const rEnd = Math.min(inHeight, r0 + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const c0 = ow * strideWidth - padLeft;
        const cStart = Math.max(0, c0);
        const cEnd = Math.min(inWidth, c0 + fw);
        if (rStart >= rEnd || cStart >= cEnd) continue;
        let first = true;
        for (let r = rStart; r < rEnd; r++) {
          for (let c = cStart; c < cEnd; c++) {
            const pixel = image + (r * inWidth + c) * channels;
            if (first) {
              for (let d = 0; d < channels; d++) {
                best[d] = xs[pixel + d]!;
                at[d] = pixel + d;
              }
              first = false;
              continue;
            }
            for (let d = 0; d < channels; d++) {
              const v = xs[pixel + d]!;
              if (v > best[d]!) {
                best[d] = v;
                at[d] = pixel + d;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let d = 0; d < channels; d++) dx[at[d]!] = dx[at[d]!]! + dys[dyBase + d]!;
      }
    }
  }
  return out;
}

/**
 * The pooling every preset uses (2×2, stride 2, no padding): windows do not overlap, so each
 * maximum's pixel takes its dy outright, four candidates compared in row-major order.
 */
function pool2x2Grad(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  batchSize: number,
  inHeight: number,
  inWidth: number,
  channels: number,
  outHeight: number,
  outWidth: number,
): void {
  const row = inWidth * channels;
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * row;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const p0 = image + 2 * oh * row + 2 * ow * channels;
        const p1 = p0 + channels;
        const p2 = p0 + row;
        const p3 = p2 + channels;
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let d = 0; d < channels; d++) {
          let best = xs[p0 + d]!;
          let at = p0 + d;
          let v = xs[p1 + d]!;
          if (v > best) {
            best = v;
            at = p1 + d;
          }
          v = xs[p2 + d]!;
          if (v > best) {
            best = v;
            at = p2 + d;
          }
          v = xs[p3 + d]!;
          if (v > best) at = p3 + d;
          dx[at] = dys[dyBase + d]!;
        }
      }
    }
  }
}
