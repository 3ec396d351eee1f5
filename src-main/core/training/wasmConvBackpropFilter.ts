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

/** A kernel's one output (kernel functions may return a list). */
const single = (out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo => (Array.isArray(out) ? out[0]! : out);

/**
 * Runs `body` with a `keep` that records each intermediate it is given, then frees them all with
 * `backend.disposeData` — the kernel's result is never kept, so it survives.
 */
function withIntermediates<T>(backend: tf.KernelBackend, body: (keep: (t: tf.TensorInfo | tf.TensorInfo[]) => tf.TensorInfo) => T): T {
  const temps: tf.TensorInfo[] = [];
  try {
    return body((t) => {
      const one = single(t);
      temps.push(one);
      return one;
    });
  } finally {
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

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
    const out = transpose({ inputs: { x: cut }, backend, attrs: { perm: [1, 2, 0, 3] } });
    return single(out);
  });
}

/**
 * wasm's own Conv2DBackpropInput is a scalar loop (about a third of a LeNet-5 step). For stride 1
 * it equals a 'valid' XNNPACK convolution of dy, padded by K − 1 − P, with the filter rotated by
 * 180° and its in/out channels swapped; other strides keep the original kernel.
 */
function makeConv2DBackpropInput(original: tf.KernelConfig) {
  let setupDone = false;
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo => {
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
    if (attrs.dataFormat === 'NCHW' || info.strideHeight !== 1 || info.strideWidth !== 1) {
      if (!setupDone) {
        // The original's setup ran at backend start unless this kernel replaced it first; running it twice is harmless.
        original.setupFunc?.(backend);
        setupDone = true;
      }
      const out = original.kernelFunc(args as Parameters<tf.KernelFunc>[0]);
      return single(out);
    }
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
      const out = conv({
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
      });
      return single(out);
    });
  };
}

/**
 * wasm's BatchMatMul is fast only without transposes (XNNPACK); with transposeA or transposeB it
 * takes a scalar path 10–20× slower, and every dense layer's backward pass asks for one. Moving
 * the transpose into an explicit Transpose keeps the product on the fast path.
 */
function makeBatchMatMul(original: tf.KernelConfig) {
  let setupDone = false;
  return (args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo => {
    const { inputs, backend } = args;
    const attrs = args.attrs as unknown as tf.BatchMatMulAttrs;
    if (!setupDone) {
      original.setupFunc?.(backend);
      setupDone = true;
    }
    const run = (a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo => {
      const out = original.kernelFunc({
        inputs: { a, b },
        backend,
        attrs: { transposeA: false, transposeB: false },
      } as Parameters<tf.KernelFunc>[0]);
      return single(out);
    };
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

interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/**
 * wasm's MaxPoolGrad is a scalar loop that cost as much as a convolution in LeNet-5 profiles.
 * This one walks each window once in JavaScript on views of the wasm heap and routes dy to the
 * first maximum of the window, as the cpu backend does (so ties resolve the same way).
 */
function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const { inputs } = args;
  const backend = args.backend as unknown as WasmHeapBackend;
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
  const original = tf.getKernel('Conv2DBackpropInput', 'wasm');
  if (original) {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel({
      kernelName: 'Conv2DBackpropInput',
      backendName: 'wasm',
      kernelFunc: makeConv2DBackpropInput(original) as unknown as tf.KernelFunc,
    });
  }
  if (tf.getKernel('MaxPoolGrad', 'wasm')) tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({ kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad as unknown as tf.KernelFunc });
  const matMul = tf.getKernel('BatchMatMul', 'wasm');
  if (matMul) {
    tf.unregisterKernel('BatchMatMul', 'wasm');
    tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: makeBatchMatMul(matMul) as unknown as tf.KernelFunc });
  }
  registered = true;
}

/**
 * Autodiff needs tfjs' gradient registry (a process-wide global). Under Node the tfjs-layers
 * bundle fills it when imported; where the ESM sources are loaded instead (vitest), it stays
 * empty, so load tfjs-core's own registration then.
 */
export async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Conv2D')) return;
  await import('@tensorflow/tfjs-layers');
  if (tf.getGradient('Conv2D')) return;
  const specifier = '@tensorflow/tfjs-core/dist/register_all_gradients.js';
  await import(specifier);
  if (!tf.getGradient('Conv2D')) throw new Error('tfjs gradients could not be registered');
}
