import * as tf from '@tensorflow/tfjs-core';

/** A kernel's arguments as tfjs passes them. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}
export type KernelFn = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** The parts of tfjs' BackendWasm that kernels written in JavaScript use. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  /** A view of a tensor's memory in the wasm heap; taken after every allocation (growth detaches views). */
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  incRef(dataId: tf.DataId): void;
  disposeData(dataId: tf.DataId): boolean;
}

export const heapOf = (backend: tf.KernelBackend): WasmHeapBackend => backend as unknown as WasmHeapBackend;

/** A kernel's one output (kernel functions may return a list). */
export const single = (out: tf.TensorInfo | tf.TensorInfo[]): tf.TensorInfo => (Array.isArray(out) ? out[0]! : out);

/**
 * Runs `body` with a `keep` that records each intermediate it is given, then frees them all with
 * `backend.disposeData` — the kernel's result is never kept, so it survives.
 */
export function withIntermediates<T>(
  backend: tf.KernelBackend,
  body: (keep: (t: tf.TensorInfo | tf.TensorInfo[]) => tf.TensorInfo) => T,
): T {
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

/** The kernel currently registered for wasm under `name` (ours when we replaced it). */
export function wasmKernel(name: string): KernelFn {
  const config = tf.getKernel(name, 'wasm');
  if (!config) throw new Error(`the wasm backend has no ${name} kernel`);
  return config.kernelFunc as unknown as KernelFn;
}

/**
 * Wraps a kernel tfjs registered so ours can fall back to it: its setup (which binds its wasm
 * function) runs once on first use, as it would have at backend start had ours not replaced it.
 */
export function fallbackTo(original: tf.KernelConfig): KernelFn {
  let setupDone = false;
  return (args) => {
    if (!setupDone) {
      original.setupFunc?.(args.backend);
      setupDone = true;
    }
    return original.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo | tf.TensorInfo[];
  };
}

/** Registers `kernelFunc` for wasm under `name`, replacing tfjs' own; returns the replaced one. */
export function replaceWasmKernel(name: string, make: (original: tf.KernelConfig | undefined) => KernelFn): void {
  const original = tf.getKernel(name, 'wasm');
  if (original) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(original) as unknown as tf.KernelFunc });
}
