/**
 * Convolution gradients on wasm. tfjs' wasm backend has no Conv2DBackpropFilter (tfjs issue
 * 8474), so without this no conv layer trains there, and its Conv2DBackpropInput is a scalar loop.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fallbackTo, single, wasmKernel, withIntermediates, type KernelArgs, type KernelFn } from './kernelUtil.ts';

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
 * K − 1 − P, with the filter rotated by 180° and its in/out channels swapped; other strides keep
 * tfjs' kernel.
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
    if (attrs.dataFormat === 'NCHW' || info.strideHeight !== 1 || info.strideWidth !== 1) return single(fallback(args));
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
