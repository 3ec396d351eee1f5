/**
 * One run on every core with the wasm backend. @tensorflow/tfjs-backend-wasm ships a threaded-SIMD
 * build (XNNPACK over a pthreadpool of worker threads) but never uses it under Node: its
 * WASM_HAS_MULTITHREAD_SUPPORT flag is false whenever IS_NODE (tfjs issue 3830), and its loader
 * hands the pthread workers a Blob URL, which Node's worker_threads cannot start. The build
 * itself runs under worker_threads (Emscripten's Node support), so this module registers the
 * 'wasm' backend over it with what Node needs:
 *
 * - the pthread worker script and the module's own script as real files (in the OS temp folder,
 *   named by a hash of their content, written once): a worker_threads Worker starts from a path,
 *   and Electron's app.asar is no place for them;
 * - the thread count: tfjs caps it at emscripten_num_logical_cores() / 2 ("two hyperthreads per
 *   core"), which on Node is os.cpus().length / 2 — one thread on a 2-core machine. The import
 *   that answers it reports twice the requested count, so the cap is what the scheduler decided.
 *   tfjs' own ceiling of 8 threads stays.
 *
 * Threads change how XNNPACK splits a convolution or a matrix product into tiles, not the sums
 * inside a tile: results agree with one thread to float tolerance (wasmThreads.slow.test.ts).
 * Elementwise kernels written in C without XNNPACK stay single-threaded.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as wasmPackage from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

/** tfjs' threaded build never uses more (its pthreadpool is capped at 8 in backend.cc). */
export const maxWasmThreads = 8;

const buildDir = 'wasm-out';
const threadedScript = `@tensorflow/tfjs-backend-wasm/${buildDir}/tfjs-backend-wasm-threaded-simd.js`;
const threadedWorker = `@tensorflow/tfjs-backend-wasm/${buildDir}/tfjs-backend-wasm-threaded-simd.worker.js`;
const threadedBinary = `@tensorflow/tfjs-backend-wasm/${buildDir}/tfjs-backend-wasm-threaded-simd.wasm`;

let requested = 1;

/**
 * How many threads the wasm backend of this process will compute with, set before it loads
 * (the scheduler's decision for the run; undefined: every core). Clamped to 1…8.
 */
export function setWasmThreads(threads: number | undefined): void {
  requested = Math.max(1, Math.min(maxWasmThreads, Math.floor(threads ?? availableParallelism())));
}

export function requestedWasmThreads(): number {
  return requested;
}

interface EmscriptenImports {
  env: Record<string, unknown>;
}
/** WebAssembly.Instance and WebAssembly.Module: opaque here (Node's types declare no WebAssembly). */
type ReceiveInstance = (instance: object, module: object) => void;
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: object; module: object }>;
}
const webAssembly = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
interface ThreadedFactoryConfig {
  locateFile(path: string, prefix: string): string;
  mainScriptUrlOrBlob: string;
  instantiateWasm(imports: EmscriptenImports, receive: ReceiveInstance): Record<string, never>;
}
interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number;
}
type WasmPackage = typeof wasmPackage;
type BackendWasmModule = ConstructorParameters<WasmPackage['BackendWasm']>[0];

/** Writes `content` to `path` unless a file of that size is there; atomic against a second process. */
function writeOnce(path: string, content: string): void {
  const bytes = Buffer.from(content);
  if (existsSync(path) && statSync(path).size === bytes.byteLength) return;
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
}

/** The pthread worker script and the module script, as files a worker thread can start from. */
function pthreadScripts(): { worker: string; main: string } {
  const { wasmWorkerContents } = require(threadedWorker) as { wasmWorkerContents: string };
  // The package stores the worker as a template string, so its "\n" escapes became newlines
  // inside string literals; tfjs' own loader escapes them back the same way.
  const worker = wasmWorkerContents.replace(/\n/g, '\\n');
  const main = readFileSync(require.resolve(threadedScript), 'utf8');
  const hash = createHash('sha256').update(worker).update('\0').update(main).digest('hex').slice(0, 16);
  const paths = {
    worker: join(tmpdir(), `kernellab-tfjs-wasm-pthread-${hash}.cjs`),
    main: join(tmpdir(), `kernellab-tfjs-wasm-threaded-${hash}.js`),
  };
  writeOnce(paths.worker, worker);
  writeOnce(paths.main, main);
  return paths;
}

/**
 * Registers the threaded-SIMD build as this process's 'wasm' backend with `threads` threads.
 * Call before the wasm backend first initialises (a wasm module cannot be swapped afterwards).
 */
async function registerThreadedWasm(wasm: WasmPackage, threads: number): Promise<void> {
  if ((tf.engine().registry as Record<string, unknown>)['wasm'])
    throw new Error('the wasm backend is already running in this process; threads are set before it first loads');
  const factory = require(threadedScript) as (config: ThreadedFactoryConfig) => Promise<EmscriptenModule>;
  const scripts = pthreadScripts();
  const binary = readFileSync(require.resolve(threadedBinary));
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      let failInstantiation: (error: unknown) => void = () => {};
      const failed = new Promise<never>((_, reject) => {
        failInstantiation = reject;
      });
      const module = await Promise.race([
        factory({
          locateFile: (path, prefix) => (path.endsWith('.worker.js') ? scripts.worker : prefix + path),
          mainScriptUrlOrBlob: scripts.main,
          instantiateWasm(imports, receive) {
            imports.env['emscripten_num_logical_cores'] = () => 2 * threads;
            webAssembly
              .instantiate(binary, imports)
              .then(({ instance, module: compiled }) => receive(instance, compiled), failInstantiation);
            return {};
          },
        }),
        failed,
      ]);
      // The same bindings tfjs' own loader gives the module.
      Object.assign(module, {
        tfjs: {
          init: module.cwrap('init', null, []),
          initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
          getThreadsCount: module.cwrap('get_threads_count', 'number', []),
          registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
          disposeData: module.cwrap('dispose_data', null, ['number']),
          dispose: module.cwrap('dispose', null, []),
        },
      });
      return new wasm.BackendWasm(module as unknown as BackendWasmModule);
    },
    2,
  );
}

/**
 * Prepares the wasm backend for the requested thread count (the threaded build when more than
 * one, tfjs' single-threaded SIMD build otherwise); tf.setBackend('wasm') then starts it.
 */
export async function prepareWasmBackend(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setThreadsCount(requested);
  if (requested > 1 && !(tf.engine().registry as Record<string, unknown>)['wasm']) await registerThreadedWasm(wasm, requested);
}

/** Threads the running wasm backend computes with (XNNPACK's pool, 1 for the single-threaded build). */
export async function wasmThreadCount(): Promise<number> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return wasm.getThreadsCount();
}
