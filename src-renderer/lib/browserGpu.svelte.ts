/**
 * "Train on this browser's GPU" (browser mode): the page lends its GPU to `kernellab serve`. It
 * asks the server for a GPU-host token (agents.browserGpuToken), then claims runs pinned to
 * webgpu or webgl through the agent.* methods and trains each in a fresh GPU Worker
 * (core/gpuhost/gpuLender.ts). Closing the tab stops it; the run it held goes back to the queue
 * when its lease lapses.
 *
 * The GPU host is the one part of the core built to run in a page (no Node imports; its Worker
 * runs the same training loop as a worker process), so this file loads it, on demand: the rest of
 * the renderer still imports the core as types only, and the page's first load carries none of it.
 */
import { m } from '../../i18n/paraglide/messages.js';
import type { MethodOutput } from '../../src-main/core/contract/api.ts';
import type { GpuWorkerLike } from '../../src-main/core/gpuhost/gpuHost.ts';
import type { LenderStatus } from '../../src-main/core/gpuhost/gpuLender.ts';
import { ApiError, call, shellKind } from './api.ts';
import { backendsHere } from './gpuBackends.ts';
import { browserHostName, gpuJobName } from './madeNames.ts';
import { postToServer } from './serverPost.ts';

class BrowserGpu {
  /** Only a page of `kernellab serve` can lend its GPU (the desktop app's would be its hidden window). */
  readonly available = shellKind === 'browser';
  status = $state<LenderStatus | null>(null);
  error = $state<string | null>(null);
  /** The last run that failed in this page, and why (a GPU crash, out of memory): shown until the next press. */
  lastFailure = $state<LenderStatus['failed'] | null>(null);
  /** True from the press until the lending ended (stopped, or failed in words). */
  lending = $state(false);
  #stop: AbortController | null = null;

  async start(): Promise<void> {
    if (this.#stop) return;
    const stop = new AbortController();
    this.#stop = stop;
    this.lending = true;
    this.error = null;
    this.lastFailure = null;
    this.status = { state: 'starting', text: m.gpu_checking(), runId: null };
    try {
      const { backends, adapters } = await backendsHere();
      if (backends.length === 0) throw new Error(m.gpu_no_backend_here());
      const [{ lendGpu }, { GpuHost }] = await Promise.all([
        import('../../src-main/core/gpuhost/gpuLender.ts'),
        import('../../src-main/core/gpuhost/gpuHost.ts'),
      ]);
      const { secret } = await call('agents.browserGpuToken', { label: gpuJobName() });
      // A DOM Worker is what GpuWorkerLike describes (MessageEvent has data, ErrorEvent message and
      // preventDefault); only the handlers' wider DOM parameter types keep the compiler from seeing it.
      const host = new GpuHost(
        () =>
          new Worker(new URL('../../src-main/core/gpuhost/gpuWorker.ts', import.meta.url), {
            type: 'module',
          }) as unknown as GpuWorkerLike,
      );
      await lendGpu({
        call: async (method, input) => {
          const reply = await postToServer(`/api/call/${method}`, {
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
            body: JSON.stringify(input),
          });
          if (!reply.ok) throw new ApiError(reply.error);
          return reply.result as MethodOutput<typeof method>;
        },
        host,
        agentId: crypto.randomUUID(),
        hostName: browserHostName(navigator.platform),
        jobName: gpuJobName(),
        backends,
        adapters,
        onStatus: (status) => {
          this.status = status;
          if (status.failed) this.lastFailure = status.failed;
        },
        signal: stop.signal,
      });
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
      this.status = { state: 'failed', text: this.error, runId: null };
    } finally {
      this.#stop = null;
      this.lending = false;
    }
  }

  stop(): void {
    this.#stop?.abort();
  }
}

/** One lender per page: the Runs view and This machine show and control the same one. */
export const browserGpu = new BrowserGpu();
