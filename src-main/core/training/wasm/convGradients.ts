/**
 * Convolution gradients on wasm. tfjs' wasm backend has no Conv2DBackpropFilter (tfjs issue
 * 8474), so without this no conv layer trains there, and its Conv2DBackpropInput is a scalar loop.
 *
 * Both gradients are matrix products on XNNPACK, in one of two forms per shape:
 * - as a convolution XNNPACK runs as an implicit GEMM (no copy of the input): x with batch and
 *   channels swapped convolved by dy for the filter gradient, dy convolved by the rotated filter
 *   for the input gradient at stride 1;
 * - as an explicit GEMM through wasm's matrix product with im2col (filter gradient) or col2im
 *   (input gradient) written in JavaScript on the heap.
 * Which one, is fixed per shape (never timed at run time: the same run must give the same
 * numbers), from measurements of the shapes the presets train (CPU time, scratch benchmarks of both forms):
 * - filter gradient: the implicit form is a GEMM of inC·kh·kw rows; below 32 rows (a first layer's
 *   3×3 filters on 1–3 channels) XNNPACK runs it at a fraction of its speed — 15 ms against 4 ms
 *   for the explicit form on a 64×28×28×1 batch to 32 channels, 22 against 8 on 64×32×32×3 — from
 *   there on the implicit form wins on few channels or small images (LeNet-5's 5×5 6→16 on 8×8
 *   outputs: implicit 2.8 ms, explicit 3.3; 96→64 on 4×4: 5.6 against 6.8), while from 32 input
 *   channels and 7×7 outputs on the explicit one is faster, its packed dy being smaller than the
 *   implicit form's transposed copies and XNNPACK's convolution slowing with a filter the size of
 *   the image (the two-conv net's 32→64 on 14×14, batch 64: 25.1 against 20.8; on 16×16: 36.8
 *   against 27.0; 96→96 on 8×8: 35.1 against 30.5);
 * - input gradient at stride 1: the implicit form costs what the forward convolution costs; at
 *   strides above 1 tfjs' scalar kernel took 10× the forward pass, the explicit form about 2×.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fallbackTo, heapOf, single, wasmKernel, withIntermediates, type KernelArgs, type KernelFn } from './kernelUtil.ts';
import { transposeInto } from './transpose.ts';

type ConvInfo = tf.backend_util.Conv2DInfo;

/** A tensor's buffer seen with another shape of the same size (what wasm's Reshape returns, without the reference count). */
const view = (t: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ dataId: t.dataId, shape, dtype: t.dtype });

/**
 * im2col, transposed: row (kh, kw, c) of `cols` holds x at that tap and channel for every output
 * position (b, oh, ow), zero where the tap falls in the padding. On one or two channels each row
 * is filled in one pass; on more, four output columns at a time read four pixels' channel runs of
 * x (a third less time on 6 and 32 channels, half again more on one channel).
 */
function im2colRows(xs: Float32Array, cols: Float32Array, info: ConvInfo): void {
  if (info.inChannels < 3) im2colRowsByRow(xs, cols, info);
  else im2colRowsByPixels(xs, cols, info);
}

function im2colRowsByRow(xs: Float32Array, cols: Float32Array, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const positions = batchSize * outHeight * outWidth;
  const step = strideWidth * inChannels;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      // Output columns whose tap lands inside the image: no bounds check in the inner loop.
      const first = Math.min(outWidth, Math.max(0, Math.ceil((left - kw) / strideWidth)));
      const end = Math.max(first, Math.min(outWidth, Math.floor((inWidth - 1 + left - kw) / strideWidth) + 1));
      for (let c = 0; c < inChannels; c++) {
        let o = ((kh * filterWidth + kw) * inChannels + c) * positions;
        for (let b = 0; b < batchSize; b++) {
          const image = b * inHeight * inWidth * inChannels + c;
          for (let oh = 0; oh < outHeight; oh++, o += outWidth) {
            const ih = oh * strideHeight + kh - top;
            if (ih < 0 || ih >= inHeight) {
              cols.fill(0, o, o + outWidth);
              continue;
            }
            for (let i = 0; i < first; i++) cols[o + i] = 0;
            let src = image + (ih * inWidth + first * strideWidth + kw - left) * inChannels;
            for (let ow = first; ow < end; ow++, src += step) cols[o + ow] = xs[src]!;
            for (let i = end; i < outWidth; i++) cols[o + i] = 0;
          }
        }
      }
    }
  }
}

function im2colRowsByPixels(xs: Float32Array, cols: Float32Array, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const positions = batchSize * outHeight * outWidth;
  const step = strideWidth * inChannels;
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let kw = 0; kw < filterWidth; kw++) {
      // Output columns whose tap lands inside the image: no bounds check in the inner loop.
      const first = Math.min(outWidth, Math.max(0, Math.ceil((left - kw) / strideWidth)));
      const end = Math.max(first, Math.min(outWidth, Math.floor((inWidth - 1 + left - kw) / strideWidth) + 1));
      const tap = (kh * filterWidth + kw) * inChannels * positions;
      for (let b = 0; b < batchSize; b++) {
        for (let oh = 0; oh < outHeight; oh++) {
          const base = tap + (b * outHeight + oh) * outWidth;
          const ih = oh * strideHeight + kh - top;
          if (ih < 0 || ih >= inHeight) {
            for (let c = 0, o = base; c < inChannels; c++, o += positions) cols.fill(0, o, o + outWidth);
            continue;
          }
          for (let c = 0, o = base; c < inChannels; c++, o += positions) {
            for (let i = 0; i < first; i++) cols[o + i] = 0;
            for (let i = end; i < outWidth; i++) cols[o + i] = 0;
          }
          const row = b * inHeight * inWidth * inChannels + (ih * inWidth + first * strideWidth + kw - left) * inChannels;
          let ow = first;
          for (; ow + 4 <= end; ow += 4) {
            const src = row + (ow - first) * step;
            for (let c = 0, o = base + ow; c < inChannels; c++, o += positions) {
              cols[o] = xs[src + c]!;
              cols[o + 1] = xs[src + step + c]!;
              cols[o + 2] = xs[src + 2 * step + c]!;
              cols[o + 3] = xs[src + 3 * step + c]!;
            }
          }
          for (; ow < end; ow++) {
            const src = row + (ow - first) * step;
            for (let c = 0, o = base + ow; c < inChannels; c++, o += positions) cols[o] = xs[src + c]!;
          }
        }
      }
    }
  }
}

/** col2im: adds row (b, oh, ow) of `cols` — [kh, kw, c] — into dx at the pixels those taps read. */
function col2imAdd(cols: Float32Array, dx: Float32Array, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rowLength = filterHeight * filterWidth * inChannels;
  let row = 0;
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * inChannels;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, row += rowLength) {
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const dst = image + (ih * inWidth + iw) * inChannels;
            const src = row + (kh * filterWidth + kw) * inChannels;
            for (let c = 0; c < inChannels; c++) dx[dst + c] = dx[dst + c]! + cols[src + c]!;
          }
        }
      }
    }
  }
}

/**
 * im2col: row (b, oh, ow) of `cols` holds the (kh, kw, c) taps x gives that output position, zero
 * where a tap falls in the padding.
 */
function im2colPositions(xs: Float32Array, cols: Float32Array, info: ConvInfo): void {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const tapRow = filterWidth * inChannels;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const image = b * inHeight * inWidth * inChannels;
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const iw0 = ow * strideWidth - left;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh - top;
          if (ih < 0 || ih >= inHeight) {
            cols.fill(0, o, o + tapRow);
            o += tapRow;
            continue;
          }
          const row = image + ih * inWidth * inChannels;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = iw0 + kw;
            if (iw < 0 || iw >= inWidth) {
              for (let c = 0; c < inChannels; c++) cols[o++] = 0;
              continue;
            }
            for (let c = 0, src = row + iw * inChannels; c < inChannels; c++) cols[o++] = xs[src + c]!;
          }
        }
      }
    }
  }
}

/**
 * The filter gradient as one XNNPACK product (the explicit form; which shapes take it: see the
 * top of this file). XNNPACK repacks its right operand on every call (about 4–8 ns a float), so the smaller of the two
 * big matrices is the one it packs:
 * - fewer output channels than rows (LeNet-5's 5×5 first layer to 6 channels, 3×3 on 32 to 64):
 *   dW[(kh, kw, ci), co] = im2colRows(x)[(kh, kw, ci), P] · dy[P, co], dy packed as it is;
 * - more (a 3×3 first layer to 32 channels): dWᵀ[co, (kh, kw, ci)] = dyᵀ[co, P] · im2col(x)[P, (kh, kw, ci)],
 *   the im2col matrix packed and dy transposed in JavaScript (transpose.ts), which costs a
 *   fraction of packing it; tfjs' Transpose took as long as the product for this shape.
 */
function filterGradientByIm2col(
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ConvInfo,
  filterShape: number[],
  backend: tf.KernelBackend,
): tf.TensorInfo {
  const heap = heapOf(backend);
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  const product = wasmKernel('BatchMatMul');
  const noTranspose = { transposeA: false, transposeB: false };
  return withIntermediates(backend, (keep) => {
    if (info.outChannels <= rows) {
      const cols = keep(heap.makeOutput([1, rows, positions], 'float32'));
      im2colRows(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(cols), info);
      const dW = single(product({ inputs: { a: cols, b: view(dy, [1, positions, info.outChannels]) }, backend, attrs: noTranspose }));
      return view(dW, filterShape);
    }
    const cols = keep(heap.makeOutput([1, positions, rows], 'float32'));
    const dyT = keep(heap.makeOutput([1, info.outChannels, positions], 'float32'));
    im2colPositions(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(cols), info);
    transposeInto(heap.typedArrayFromHeap(dy), heap.typedArrayFromHeap(dyT), positions, info.outChannels);
    const dWT = keep(product({ inputs: { a: dyT, b: cols }, backend, attrs: noTranspose }));
    const dW = heap.makeOutput(filterShape, 'float32');
    transposeInto(heap.typedArrayFromHeap(dWT), heap.typedArrayFromHeap(dW), info.outChannels, rows);
    return dW;
  });
}

/** dx = col2im(dy[P, co] · Wᵀ[co, (kh, kw, ci)]): one XNNPACK product and a scatter-add. */
function inputGradientByCol2im(dy: tf.TensorInfo, filter: tf.TensorInfo, info: ConvInfo, backend: tf.KernelBackend): tf.TensorInfo {
  const heap = heapOf(backend);
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const positions = info.batchSize * info.outHeight * info.outWidth;
  return withIntermediates(backend, (keep) => {
    const filterT = keep(wasmKernel('Transpose')({ inputs: { x: filter }, backend, attrs: { perm: [3, 0, 1, 2] } }));
    const cols = keep(
      wasmKernel('BatchMatMul')({
        inputs: { a: view(dy, [1, positions, info.outChannels]), b: view(filterT, [1, info.outChannels, rows]) },
        backend,
        attrs: { transposeA: false, transposeB: false },
      }),
    );
    const dx = heap.makeOutput([info.batchSize, info.inHeight, info.inWidth, info.inChannels], 'float32');
    const out = heap.typedArrayFromHeap(dx);
    out.fill(0);
    col2imAdd(heap.typedArrayFromHeap(cols), out, info);
    return dx;
  });
}

/**
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·S + kh − P, ow·S + kw − P, ci] · dy[b, oh, ow, co]
 *
 * is a stride-1 convolution of x with channels and batch swapped (input [ci, H, W, b]) by dy as
 * a filter ([oh, ow, b, co]) dilated by the forward stride, with the forward padding. Its output
 * [ci, kh', kw', co] is cut to the filter size and transposed to [kh, kw, ci, co].
 */
export function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const x = inputs['x']!;
  const dy = inputs['dy']!;
  if (attrs.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter on wasm supports NHWC only');
  const [fh, fw, inC, outC] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  if (inC * fh * fw < 32 || (inC >= 32 && info.outHeight * info.outWidth >= 49)) {
    return filterGradientByIm2col(x, dy, info, attrs.filterShape, backend);
  }
  const transpose = wasmKernel('Transpose');
  const conv = wasmKernel('Conv2D');
  const slice = wasmKernel('Slice');
  return withIntermediates(backend, (keep) => {
    const xT = keep(transpose({ inputs: { x }, backend, attrs: { perm: [3, 1, 2, 0] } }));
    const dyT = keep(transpose({ inputs: { x: dy }, backend, attrs: { perm: [1, 2, 0, 3] } }));
    const { top, bottom, left, right } = info.padInfo;
    const full = keep(
      conv({
        inputs: { x: xT, filter: dyT },
        backend,
        attrs: {
          strides: [1, 1],
          pad: [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ],
          dilations: [info.strideHeight, info.strideWidth],
          dataFormat: 'NHWC',
          dimRoundingMode: undefined as unknown as string,
        } as unknown as tf.NamedAttrMap,
      }),
    );
    // With 'same' padding or a stride that does not divide evenly, the correlation runs past the filter.
    let cut = full;
    if (full.shape[1] !== fh || full.shape[2] !== fw) {
      cut = keep(slice({ inputs: { x: full }, backend, attrs: { begin: [0, 0, 0, 0], size: [inC, fh, fw, outC] } }));
    }
    return single(transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } }));
  });
}

/**
 * For stride 1 the input gradient equals a 'valid' XNNPACK convolution of dy, padded by
 * K − 1 − P, with the filter rotated by 180° and its in/out channels swapped; other strides are
 * the explicit product and col2im. NCHW keeps tfjs' kernel.
 */
export function makeConv2DBackpropInput(original: tf.KernelConfig): KernelFn {
  const fallback = fallbackTo(original);
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
    const dy = inputs['dy']!;
    const filter = inputs['filter']!;
    const info = tf.backend_util.computeConv2DInfo(
      attrs.inputShape,
      filter.shape as [number, number, number, number],
      attrs.strides,
      1,
      attrs.pad,
      attrs.dimRoundingMode,
      false,
      'channelsLast',
    );
    if (attrs.dataFormat === 'NCHW') return single(fallback(args));
    if (info.strideHeight !== 1 || info.strideWidth !== 1) return inputGradientByCol2im(dy, filter, info, backend);
    const reverse = wasmKernel('Reverse');
    const transpose = wasmKernel('Transpose');
    const conv = wasmKernel('Conv2D');
    return withIntermediates(backend, (keep) => {
      const rotated = keep(reverse({ inputs: { x: filter }, backend, attrs: { dims: [0, 1] } }));
      const swapped = keep(transpose({ inputs: { x: rotated }, backend, attrs: { perm: [0, 1, 3, 2] } }));
      const top = info.filterHeight - 1 - info.padInfo.top;
      const left = info.filterWidth - 1 - info.padInfo.left;
      const bottom = info.inHeight + info.filterHeight - 1 - info.outHeight - top;
      const right = info.inWidth + info.filterWidth - 1 - info.outWidth - left;
      return single(
        conv({
          inputs: { x: dy, filter: swapped },
          backend,
          attrs: {
            strides: [1, 1],
            pad: [
              [0, 0],
              [top, bottom],
              [left, right],
              [0, 0],
            ],
            dilations: [1, 1],
            dataFormat: 'NHWC',
            dimRoundingMode: undefined as unknown as string,
          } as unknown as tf.NamedAttrMap,
        }),
      );
    });
  };
}
