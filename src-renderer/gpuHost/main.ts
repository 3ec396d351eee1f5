/**
 * The desktop app's hidden GPU host window (src-main/electron/gpuHostWindow.ts): lends this
 * computer's GPU with the same code as a browser page ("Train on this browser's GPU"), core's
 * gpuLender and GpuHost with a GPU Worker per run, but calls the agent methods through its
 * preload's bridge (main adds the token) instead of HTTP. It lends until the window is closed;
 * when lending stops on an error it starts again after a pause.
 */
import type { AgentMethodName, MethodOutput } from '../../src-main/core/contract/api.ts';
import type { BridgeReply } from '../../src-main/core/contract/bridge.ts';
import type { GpuWorkerLike } from '../../src-main/core/gpuhost/gpuHost.ts';
import { backendsHere } from '../lib/gpuBackends.ts';
import { startLocale } from '../lib/locale.ts';
import { gpuJobName, thisComputerHostName } from '../lib/madeNames.ts';

interface GpuHostBridge {
  agent(method: string, input: unknown): Promise<BridgeReply>;
  status(text: string): void;
  offers(hardwareGpu: boolean): void;
}
const bridge = (window as unknown as { kernellabGpuHost?: GpuHostBridge }).kernellabGpuHost;

async function lend(gpuHost: GpuHostBridge): Promise<void> {
  // The GPU host is the part of the core built to run in a page (no Node imports), loaded as
  // browserGpu.svelte.ts loads it; the rest of the renderer imports the core as types only.
  const [{ lendGpu }, { GpuHost }, { isSoftwareAdapter }] = await Promise.all([
    import('../../src-main/core/gpuhost/gpuLender.ts'),
    import('../../src-main/core/gpuhost/gpuHost.ts'),
    import('../../src-main/core/gpuhost/gpuAdapter.ts'),
  ]);
  const { backends, adapters } = await backendsHere();
  if (backends.length === 0) throw new Error('this computer offers neither WebGPU nor WebGL 2 to the app, so it has no GPU to lend');
  gpuHost.offers(adapters.some((adapter) => !isSoftwareAdapter(adapter)));
  const host = new GpuHost(
    () => new Worker(new URL('../../src-main/core/gpuhost/gpuWorker.ts', import.meta.url), { type: 'module' }) as unknown as GpuWorkerLike,
  );
  await lendGpu({
    call: async <M extends AgentMethodName>(method: M, input: unknown) => {
      const reply = await gpuHost.agent(method, input);
      if (!reply.ok) throw new Error(`${method}: ${reply.error.message}`);
      return reply.result as MethodOutput<M>;
    },
    host,
    agentId: crypto.randomUUID(),
    hostName: thisComputerHostName(navigator.platform),
    jobName: gpuJobName(),
    backends,
    adapters,
    onStatus: (status) =>
      gpuHost.status(status.failed ? `${status.text}; run ${status.failed.runId}: ${status.failed.error}` : status.text),
    signal: new AbortController().signal,
  });
}

async function main(): Promise<void> {
  if (!bridge) throw new Error('the GPU host window has no bridge (gpuHostPreload did not load)');
  for (;;) {
    try {
      await lend(bridge);
    } catch (error) {
      bridge.status(`lending stopped: ${error instanceof Error ? error.message : String(error)}; trying again in 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10_000));
  }
}

// The host name is made in the app's language: the window shares the app's remembered switch
// and Chromium's --lang (KERNELLAB_LANG), which startLocale reads as the app's page does.
startLocale();
void main();
