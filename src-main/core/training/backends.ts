import { cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, BackendProbe } from '../contract/index.ts';

// Kept in the contract so the main process can name the order without loading tfjs.
import { backendOrder } from '../contract/app.ts';
export { backendOrder };

function cpuModel(): string {
  const list = cpus();
  return list.length > 0 ? `${list[0]!.model.trim()} (${list.length} threads)` : 'unknown CPU';
}

/**
 * Loads one backend into this process's tfjs engine and makes it current. Run inside a worker:
 * native libtensorflow can crash a process while loading, and that must not be the app.
 */
export async function loadBackend(name: BackendName): Promise<BackendProbe> {
  try {
    switch (name) {
      case 'tensorflow': {
        // Optional dependency: absent where libtensorflow could not be downloaded at install.
        const specifier = '@tensorflow/tfjs-node-gpu';
        await import(specifier);
        if (!(await tf.setBackend('tensorflow'))) throw new Error('tfjs-node-gpu loaded but its backend did not initialise');
        const backend = tf.backend() as unknown as { isUsingGpuDevice?: boolean };
        return {
          name,
          available: true,
          detail: backend.isUsingGpuDevice ? 'CUDA GPU (libtensorflow)' : `CPU libtensorflow: ${cpuModel()}`,
        };
      }
      case 'wasm': {
        await import('@tensorflow/tfjs-backend-wasm');
        if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
        const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
        return { name, available: true, detail: `${cpuModel()}, SIMD ${simd ? 'on' : 'off'}, one thread` };
      }
      case 'cpu': {
        await import('@tensorflow/tfjs-backend-cpu');
        if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
        return { name, available: true, detail: `pure JavaScript on ${cpuModel()}` };
      }
    }
  } catch (error) {
    if (name === 'tensorflow' && (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') {
      return {
        name,
        available: false,
        detail: 'not installed: @tensorflow/tfjs-node-gpu is optional and needs libtensorflow, downloaded at npm install',
      };
    }
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { name, available: false, detail: message };
  }
}

/** Tries every backend in preference order; the first available is what an unpinned run gets. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const results: BackendProbe[] = [];
  for (const name of backendOrder) results.push(await loadBackend(name));
  return results;
}
