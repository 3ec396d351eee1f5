import * as tf from '@tensorflow/tfjs-core';
import { heapOf, type KernelArgs } from './kernelUtil.ts';

/**
 * wasm's MaxPoolGrad is a scalar loop that cost as much as a convolution in LeNet-5 profiles.
 * This one walks each window once in JavaScript on views of the wasm heap and routes dy to the
 * first maximum of the window, as the cpu backend does (so ties resolve the same way).
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
  const rowStride = inWidth * channels;
  for (let b = 0; b < batchSize; b++) {
    const xBase = b * inHeight * rowStride;
    for (let oh = 0; oh < outHeight; oh++) {
      const r0 = oh * strideHeight - padTop;
      const rStart = Math.max(0, r0);
      const rEnd = Math.min(inHeight, r0 + fh);
      for (let ow = 0; ow < outWidth; ow++) {
        const c0 = ow * strideWidth - padLeft;
        const cStart = Math.max(0, c0);
        const cEnd = Math.min(inWidth, c0 + fw);
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * channels;
        for (let d = 0; d < channels; d++) {
          let best = -Infinity;
          let at = -1;
          for (let r = rStart; r < rEnd; r++) {
            const rowBase = xBase + r * rowStride + d;
            for (let c = cStart; c < cEnd; c++) {
              const v = xs[rowBase + c * channels]!;
              if (v > best || at < 0) {
                best = v;
                at = rowBase + c * channels;
              }
            }
          }
          if (at >= 0) dx[at] = dx[at]! + dys[dyBase + d]!;
        }
      }
    }
  }
  return out;
}
