/**
 * Why a tfjs backend does not load (core/training/backendReason.ts), as far as KernelLab recognises
 * it, and what one that loads runs on: part of coreTextParams (coreText.ts), which spreads them in. Paths, library names and
 * versions pass as they are; anything unrecognised is tfjs' (or Node's) own words, quoted.
 */
import { z } from 'zod';

const word = z.string().max(1000);
const count = z.number().int().nonnegative();

export const backendTextParams = {
  backend_engine_not_installed: z.object({}).strict(),
  backend_engine_folder_incomplete: z.object({ dir: word }).strict(),
  backend_not_initialised: z.object({ backend: word }).strict(),
  backend_addon_not_initialised: z.object({}).strict(),
  backend_addon_missing: z.object({ path: word }).strict(),
  backend_package_missing: z.object({ module: word }).strict(),
  backend_cuda_library_missing: z.object({ library: word }).strict(),
  backend_library_missing: z.object({ library: word }).strict(),
  backend_node_abi: z.object({ module: word, built: word, needs: word }).strict(),
  backend_node_abi_module: z.object({ module: word }).strict(),
  backend_tfjs_said: z.object({ said: word }).strict(),
  // What a backend that loads runs on, as the probe (This machine, `kernellab info`) names it.
  backend_wasm_loads_simd: z.object({ cpu: word, threads: count, perRun: count }).strict(),
  backend_wasm_loads: z.object({ cpu: word, threads: count, perRun: count }).strict(),
  backend_cpu_loads: z.object({ cpu: word, threads: count }).strict(),
  backend_tensorflow_cuda: z.object({ gpu: word, memory: count, driver: word, cuda: word, version: word }).strict(),
  backend_tensorflow_cpu: z.object({ version: word, cpu: word, threads: count }).strict(),
  backend_tensorflow_cpu_one_thread: z.object({ version: word, cpu: word, threads: count }).strict(),
  backend_tensorflow_cuda_unnamed: z.object({ version: word }).strict(),
  // What a run trained on (its recorded device): wasm with the threads it computed with.
  backend_wasm_runs_simd: z.object({ cpu: word, threads: count, used: count }).strict(),
  backend_wasm_runs: z.object({ cpu: word, threads: count, used: count }).strict(),
  backend_wasm_runs_simd_one_thread: z.object({ cpu: word, threads: count }).strict(),
  backend_wasm_runs_one_thread: z.object({ cpu: word, threads: count }).strict(),
  // A GPU the tensorflow engine left unused, and why (training/tensorflowEngine.ts).
  backend_gpu_unused_cpu_engine: z.object({ gpu: word }).strict(),
  backend_gpu_unused_old_driver: z.object({ gpu: word, driver: word, cuda: word }).strict(),
  backend_gpu_unused: z.object({ gpu: word }).strict(),
  // The engine check's note of a GPU engine that found no GPU it could use (engine/install.ts).
  engine_note_no_gpu: z.object({}).strict(),
  // The devices the engine check ran on (training/tensorflowEngine.ts checkTensorflowEngine).
  engine_device_cpu: z.object({ cpu: word, threads: count }).strict(),
  engine_device_gpu: z.object({ gpu: word, memory: count, driver: word, cuda: word }).strict(),
  engine_device_cuda: z.object({}).strict(),
} as const;
