import * as tf from '@tensorflow/tfjs-core';

/**
 * The wasm backend has no Conv2DBackpropFilter (tfjs issue 8474), so every conv layer fails to
 * train there. This kernel builds it from wasm's own kernels:
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·S + kh − P, ow·S + kw − P, ci] · dy[b, oh, ow, co]
 *
 * which is a stride-1 convolution of x with channels and batch swapped (input [ci, H, W, b])
 * by dy as a filter ([oh, ow, b, co]) dilated by the forward stride, with the forward padding.
 * Its output [ci, kh', kw', co] is cut to the filter size and transposed to [kh, kw, ci, co].
 * Intermediates are freed with backend.disposeData: a kernel must not leave tensors behind.
 */
type KernelFn = (args: {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

function wasmKernel(name: string): KernelFn {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel to build Conv2DBackpropFilter from`);
  return config.kernelFunc as unknown as KernelFn;
}

function conv2DBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
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
  const temps: tf.TensorInfo[] = [];
  const keep = (t: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo => {
    const one = Array.isArray(t) ? t[0]! : t;
    temps.push(one);
    return one;
  };
  try {
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
    const out = transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } });
    return Array.isArray(out) ? out[0]! : out;
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

let registered = false;

/** Registers the kernel once per process; call before training on wasm. */
export function registerWasmConvBackpropFilter(): void {
  if (registered || tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    registered = true;
    return;
  }
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  });
  registered = true;
}

/**
 * Autodiff needs tfjs' gradient registry (a process-wide global). Under Node the tfjs-layers
 * bundle fills it when imported; where the ESM sources are loaded instead (vitest), it stays
 * empty, so load tfjs-core's own registration then.
 */
export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Conv2D')) return;
  const specifier = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
  await import(specifier);
  if (!tf.getGradient('Conv2D')) throw new Error('tfjs gradients could not be registered');
}
