import { availableParallelism, cpus } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName, BackendProbe } from '../contract/index.ts';
import { coreText } from '../contract/coreText.ts';
import { backendReasonText } from './backendReason.ts';
import { describeTensorflow, loadTensorflowEngine, tensorflowDetailText } from './tensorflowEngine.ts';
import { maxWasmThreads, prepareWasmBackend, wasmThreadCount } from './wasmThreads.ts';

// Kept in the contract so the main process can name the order without loading tfjs.
import { backendOrder } from '../contract/app.ts';
export { backendOrder };

function cpuModel(): string {
  const list = cpus();
  return list.length > 0 ? `${list[0]!.model.trim()} (${list.length} threads)` : 'unknown CPU';
}

/** The CPU's model and thread count as coded texts name them; null where Node lists no CPU (then the English stands alone). */
function cpuParams(): { cpu: string; threads: number } | null {
  const list = cpus();
  return list.length > 0 ? { cpu: list[0]!.model.trim().slice(0, 1000), threads: list.length } : null;
}

/**
 * Loads one backend into this process's tfjs engine and makes it current. Run inside a worker:
 * native libtensorflow can crash a process while loading, and that must not be the app.
 */
export async function loadBackend(name: BackendName, purpose: 'run' | 'probe' = 'run'): Promise<BackendProbe> {
  try {
    switch (name) {
      case 'tensorflow': {
        // Installed into the data folder (`kernellab engine install tensorflow`); the launcher
        // names it in this worker's environment.
        const runtime = await loadTensorflowEngine();
        const code = tensorflowDetailText(runtime);
        return { name, available: true, detail: describeTensorflow(runtime), ...(code ? { detailCode: code } : {}) };
      }
      case 'wasm': {
        await prepareWasmBackend();
        if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend did not initialise');
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        // A run names the threads it computed with; the probe (This machine, `kernellab info`)
        // names what a run may use, not the one thread the probe itself loaded with.
        const threads = purpose === 'run' ? await wasmThreadCount() : undefined;
        const threadText =
          threads === undefined
            ? `up to ${Math.min(maxWasmThreads, availableParallelism())} threads per run`
            : threads === 1
              ? 'one thread'
              : `${threads} threads`;
        const detail = `${cpuModel()}, SIMD ${simd ? 'on' : 'off'}, ${threadText}`;
        // Coded for This machine and `kernellab info`, which show the probe, and for a run's recorded device.
        const cpu = cpuParams();
        if (!cpu) return { name, available: true, detail };
        if (threads !== undefined)
          return {
            name,
            available: true,
            detail,
            detailCode:
              threads === 1
                ? coreText(simd ? 'backend_wasm_runs_simd_one_thread' : 'backend_wasm_runs_one_thread', cpu)
                : coreText(simd ? 'backend_wasm_runs_simd' : 'backend_wasm_runs', { ...cpu, used: threads }),
          };
        const perRun = Math.min(maxWasmThreads, availableParallelism());
        return {
          name,
          available: true,
          detail,
          detailCode: coreText(simd ? 'backend_wasm_loads_simd' : 'backend_wasm_loads', { ...cpu, perRun }),
        };
      }
      case 'cpu': {
        // The tensorflow engine's tfjs union registers the same cpu backend into the same global
        // registry; importing ours as well would only warn about every kernel twice.
        if (!tf.findBackendFactory('cpu')) await import('@tensorflow/tfjs-backend-cpu');
        if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not initialise');
        const cpu = cpuParams();
        return {
          name,
          available: true,
          detail: `pure JavaScript on ${cpuModel()}`,
          ...(cpu ? { detailCode: coreText('backend_cpu_loads', cpu) } : {}),
        };
      }
    }
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { name, available: false, detail: message, detailCode: backendReasonText(message) };
  }
}

/** Tries every backend in preference order; the first available is what an unpinned run gets. */
export async function probeBackends(): Promise<BackendProbe[]> {
  const results: BackendProbe[] = [];
  for (const name of backendOrder) results.push(await loadBackend(name, 'probe'));
  return results;
}
