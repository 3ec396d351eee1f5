/**
 * One worker per GPU. TensorFlow places every op on GPU:0 of the devices it sees, so each worker
 * that trains on a GPU engine sees exactly one GPU (CUDA_VISIBLE_DEVICES, set for that process
 * only), and the pool of tensorflow workers is as large as the number of GPUs.
 */
import { execFileSync } from 'node:child_process';
import type { EngineManifest } from '../contract/engines.ts';
import { which } from './tools.ts';

/** GPUs the NVIDIA driver lists (nvidia-smi -L), 0 without a driver. Synchronous: read once when a pool is sized. */
export function countNvidiaGpus(env: NodeJS.ProcessEnv = process.env): number {
  const smi = which('nvidia-smi', env);
  if (!smi) return 0;
  try {
    const out = execFileSync(smi, ['-L'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').filter((line) => /^GPU \d+:/.test(line)).length;
  } catch {
    return 0;
  }
}

/**
 * How many runs train on the tensorflow engine at once: one per GPU for a GPU engine that uses
 * them, else one per physical core like the other CPU backends (each with its share of threads).
 */
export function tensorflowWorkers(manifest: EngineManifest | null, physicalCores: number, gpus: () => number = countNvidiaGpus): number {
  if (manifest?.variant === 'gpu' && manifest.check.usingGpu) return Math.max(1, gpus());
  return Math.max(1, physicalCores);
}

/** Hands out GPU indices to workers and takes them back when a worker exits. */
export class GpuSlots {
  readonly #busy = new Set<number>();
  readonly #count: number;

  constructor(count: number) {
    this.#count = count;
  }

  /** The lowest free GPU index, or undefined when every GPU has a worker (the pool should not ask then). */
  take(): number | undefined {
    for (let i = 0; i < this.#count; i++) {
      if (!this.#busy.has(i)) {
        this.#busy.add(i);
        return i;
      }
    }
    return undefined;
  }

  release(index: number): void {
    this.#busy.delete(index);
  }
}
