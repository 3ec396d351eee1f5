/**
 * Worker side of the tensorflow engine: loads @tensorflow/tfjs-node-gpu from the engine folder in
 * the data folder (the launcher names it in KERNELLAB_TENSORFLOW_ENGINE, with the CUDA libraries
 * on this process's library path), sets TensorFlow's thread pools, and describes the device.
 *
 * The engine's package brings its own copy of tfjs-core; tfjs keeps its engine, kernel and
 * gradient registries in one global, so the backend it registers is the one this worker's
 * tfjs-core trains on.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { EngineCheck, EngineVariant } from '../contract/engines.ts';
import { queryNvidiaGpus, type NvidiaGpu } from '../engine/tools.ts';
import { SeededRandom } from '../random.ts';

export interface TensorflowRuntime {
  tensorflowVersion: string;
  usingGpu: boolean;
  /** TensorFlow's intra-op threads in this process. */
  threads: number;
  gpu: NvidiaGpu | null;
  /** A GPU is there but this engine does not use it: why, and what it runs on instead. */
  fallback: string | null;
  /** `fallback` coded (contract/backendText.ts), null with it. */
  fallbackText: CoreText | null;
  variant: EngineVariant | null;
}

interface NodeBackend {
  isUsingGpuDevice?: boolean;
  binding?: { TF_Version?: string };
}

let loaded: TensorflowRuntime | undefined;

const cpuModel = () => cpus()[0]?.model.trim() ?? 'unknown CPU';

/**
 * TensorFlow reads its pool sizes from the environment when its context is created, i.e. when
 * the engine loads: this must run before. `threads` undefined = every logical core.
 */
export function setTensorflowThreads(threads: number | undefined): number {
  const n = threads ?? availableParallelism();
  process.env.TF_NUM_INTRAOP_THREADS = String(n);
  // Eager ops run one at a time on the calling thread; the inter-op pool would only add idle threads.
  process.env.TF_NUM_INTEROP_THREADS = '1';
  return n;
}

/** Why the engine left `gpu` unused, in English and coded, from its variant and the driver's CUDA version. */
export function gpuLeftUnused(gpu: NvidiaGpu, variant: EngineVariant | null): { fallback: string; fallbackText: CoreText } {
  const driverCuda = Number((gpu.cuda ?? '0').split('.')[0]);
  const name = gpu.name.slice(0, 1000);
  const [why, fallbackText]: [string, CoreText] =
    variant === 'cpu'
      ? ['this is the CPU engine (install it with --gpu to train on the GPU)', coreText('backend_gpu_unused_cpu_engine', { gpu: name })]
      : driverCuda > 0 && driverCuda < 12
        ? [
            `its driver ${gpu.driver} supports CUDA ${gpu.cuda}, the engine needs CUDA 12`,
            coreText('backend_gpu_unused_old_driver', {
              gpu: name,
              driver: gpu.driver.slice(0, 1000),
              cuda: String(gpu.cuda).slice(0, 1000),
            }),
          ]
        : ['TensorFlow could not use it (its log in the worker output says why)', coreText('backend_gpu_unused', { gpu: name })];
  return { fallback: `GPU ${gpu.name} present but unused: ${why}; trained on the CPU with libtensorflow`, fallbackText };
}

/** Loads the engine into this process (once) and makes `tensorflow` the current backend. */
export async function loadTensorflowEngine(dir = process.env.KERNELLAB_TENSORFLOW_ENGINE): Promise<TensorflowRuntime> {
  if (loaded) {
    if (!(await tf.setBackend('tensorflow'))) throw new Error('the tensorflow backend did not initialise');
    return loaded;
  }
  if (!dir) {
    const error = new Error("not installed: run 'kernellab engine install tensorflow' (or the Engines panel in This machine)");
    (error as NodeJS.ErrnoException).code = 'ENGINE_NOT_INSTALLED';
    throw error;
  }
  if (!existsSync(join(dir, 'package.json')))
    throw new Error(`the engine folder ${dir} is missing or incomplete; install the engine again`);
  const threads = Number(process.env.TF_NUM_INTRAOP_THREADS) || setTensorflowThreads(undefined);
  // The engine's tfjs copy announces itself ("Platform node has already been set", the cpu
  // backend's "Hi, … install our node backend") on every worker start; PROD keeps tfjs quiet.
  tf.env().set('PROD', true);
  // A CommonJS package outside the app: required from its own folder, never bundled.
  createRequire(join(dir, 'package.json'))('@tensorflow/tfjs-node-gpu');
  if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node-gpu loaded but its backend did not initialise');
  const backend = tf.backend() as unknown as NodeBackend;
  const usingGpu = backend.isUsingGpuDevice === true;
  const variant = (process.env.KERNELLAB_TENSORFLOW_VARIANT as EngineVariant | undefined) ?? null;
  const gpus = await queryNvidiaGpus();
  const gpu = typeof gpus === 'string' ? null : (gpus[0] ?? null);
  const unused = gpu && !usingGpu ? gpuLeftUnused(gpu, variant) : { fallback: null, fallbackText: null };
  loaded = { tensorflowVersion: backend.binding?.TF_Version ?? 'unknown', usingGpu, threads, gpu, ...unused, variant };
  return loaded;
}

/** The device line a run records: what trains it, with versions and threads. */
export function describeTensorflow(runtime: TensorflowRuntime): string {
  if (runtime.usingGpu && runtime.gpu)
    return `CUDA GPU ${runtime.gpu.name} (${Math.round(runtime.gpu.memoryMiB / 1024)} GiB, driver ${runtime.gpu.driver}, CUDA ${runtime.gpu.cuda ?? '?'}), libtensorflow ${runtime.tensorflowVersion}`;
  if (runtime.usingGpu) return `CUDA GPU, libtensorflow ${runtime.tensorflowVersion}`;
  const base = `CPU libtensorflow ${runtime.tensorflowVersion}: ${cpuModel()}, ${runtime.threads} thread${runtime.threads === 1 ? '' : 's'}`;
  return runtime.fallback ? `${base} — ${runtime.fallback}` : base;
}

/**
 * describeTensorflow's line coded, for This machine, `kernellab info` and a run's recorded device
 * in the user's language; a GPU left unused is said after the CPU line with its reason coded.
 * Undefined only for a CPU Node cannot name, whose line then stands as it is.
 */
export function tensorflowDetailText(runtime: TensorflowRuntime): CoreText | undefined {
  const version = runtime.tensorflowVersion.slice(0, 1000);
  if (runtime.usingGpu && runtime.gpu)
    return coreText('backend_tensorflow_cuda', {
      gpu: runtime.gpu.name.slice(0, 1000),
      memory: Math.round(runtime.gpu.memoryMiB / 1024),
      driver: runtime.gpu.driver.slice(0, 1000),
      cuda: (runtime.gpu.cuda ?? '?').slice(0, 1000),
      version,
    });
  if (runtime.usingGpu) return coreText('backend_tensorflow_cuda_unnamed', { version });
  const cpu = cpus()[0]?.model.trim();
  if (cpu === undefined) return undefined;
  const params = { version, cpu: cpu.slice(0, 1000), threads: runtime.threads };
  const oneThread = runtime.threads === 1;
  if (!runtime.fallback) return coreText(oneThread ? 'backend_tensorflow_cpu_one_thread' : 'backend_tensorflow_cpu', params);
  const unused = [{ sentence: runtime.fallback.slice(0, 4000), path: '', text: runtime.fallbackText }];
  return coreText(oneThread ? 'backend_tensorflow_cpu_one_thread_gpu_unused' : 'backend_tensorflow_cpu_gpu_unused', { ...params, unused });
}

function relativeError(a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst / Math.max(scale, 1e-12);
}

/**
 * One conv step (strided 'same' conv, bias, relu, a loss) forward and backward on the engine and on
 * the cpu backend; the largest relative difference over output and both gradients.
 */
export async function checkTensorflowEngine(): Promise<EngineCheck> {
  const runtime = await loadTensorflowEngine();
  const random = new SeededRandom(14);
  const values = (n: number) => Float32Array.from({ length: n }, () => random.next() * 2 - 1);
  const x = values(2 * 9 * 9 * 3);
  const w = values(3 * 3 * 3 * 4);
  const step = async (backendName: string) => {
    if (!(await tf.setBackend(backendName))) throw new Error(`the ${backendName} backend did not initialise`);
    const xs = tf.tensor4d(x, [2, 9, 9, 3]);
    const ws = tf.tensor4d(w, [3, 3, 3, 4]);
    const f = (input: tf.Tensor4D, filter: tf.Tensor4D) => tf.relu(tf.conv2d(input, filter, 2, 'same'));
    const out = tf.tidy(() => f(xs, ws));
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(f(a as tf.Tensor4D, b as tf.Tensor4D))))([xs, ws]);
    const result = [await out.data(), await gx!.data(), await gw!.data()];
    tf.dispose([xs, ws, out, gx!, gw!]);
    return result;
  };
  const onEngine = await step('tensorflow');
  // The engine's union package registered the cpu backend (in the same global registry).
  const onCpu = await step('cpu');
  await tf.setBackend('tensorflow');
  const maxRelativeError = Math.max(...onEngine.map((a, i) => relativeError(a, onCpu[i]!)));
  if (!(maxRelativeError < 1e-4))
    throw new Error(
      `the engine's conv step differs from the cpu backend by ${maxRelativeError.toExponential(2)} (relative); it is not usable`,
    );
  const devices = [`CPU: ${cpuModel()} (${runtime.threads} threads)`];
  const cpu = cpus()[0]?.model.trim();
  const devicesCode: (CoreText | null)[] = [
    cpu === undefined ? null : coreText('engine_device_cpu', { cpu: cpu.slice(0, 1000), threads: runtime.threads }),
  ];
  if (runtime.usingGpu) {
    const gpu = runtime.gpu;
    devices.push(
      gpu ? `GPU: ${gpu.name}, ${Math.round(gpu.memoryMiB / 1024)} GiB, driver ${gpu.driver}, CUDA ${gpu.cuda ?? '?'}` : 'GPU: CUDA device',
    );
    devicesCode.push(
      gpu
        ? coreText('engine_device_gpu', {
            gpu: gpu.name.slice(0, 1000),
            memory: Math.round(gpu.memoryMiB / 1024),
            driver: gpu.driver.slice(0, 1000),
            cuda: (gpu.cuda ?? '?').slice(0, 1000),
          })
        : coreText('engine_device_cuda', {}),
    );
  }
  return {
    tensorflowVersion: runtime.tensorflowVersion,
    devices,
    devicesCode,
    usingGpu: runtime.usingGpu,
    maxRelativeError,
    note: runtime.fallback,
    ...(runtime.fallbackText && { noteCode: runtime.fallbackText }),
  };
}
