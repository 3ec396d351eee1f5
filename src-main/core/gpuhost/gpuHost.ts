/**
 * Starts runs in GPU Workers (gpuWorker.ts), one fresh Worker per run: terminating it afterwards
 * frees every GPU buffer the run held, and a Worker that died (its GPU process crashed, the device
 * was lost, it ran out of GPU memory) fails only its own run — the next run gets a new Worker.
 * No Node imports: the page (browser mode) and the desktop's hidden window both use it.
 */
import { FromGpuWorker, type GpuTrainRequest } from './gpuWorkerProtocol.ts';

/** What the host needs of a Worker (the DOM's Worker satisfies it). */
export interface GpuWorkerLike {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string; preventDefault?: () => void }) => void) | null;
}

export type GpuRunOutcome =
  | { status: 'completed' | 'early_stopped' | 'canceled' | 'diverged'; error: null; epochsCompleted: number }
  | { status: 'failed'; error: string; epochsCompleted: number };

export interface GpuRun {
  done: Promise<GpuRunOutcome>;
  /** Asks the Worker to stop after the batch in progress. */
  cancel(): void;
}

export class GpuHost {
  readonly #createWorker: () => GpuWorkerLike;

  constructor(createWorker: () => GpuWorkerLike) {
    this.#createWorker = createWorker;
  }

  /** Trains one run; `onMessage` hears every message of it, in order. */
  start(request: GpuTrainRequest, onMessage: (message: FromGpuWorker) => void): GpuRun {
    const worker = this.#createWorker();
    let epochsCompleted = 0;
    let settle!: (outcome: GpuRunOutcome) => void;
    const done = new Promise<GpuRunOutcome>((resolve) => (settle = resolve));
    let ended = false;
    const end = (outcome: GpuRunOutcome) => {
      if (ended) return;
      ended = true;
      worker.onmessage = null;
      worker.onerror = null;
      worker.terminate();
      settle(outcome);
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      end({ status: 'failed', error: `the GPU host's Worker died: ${event.message ?? 'no reason given'}`, epochsCompleted });
    };
    worker.onmessage = (event) => {
      const parsed = FromGpuWorker.safeParse(event.data);
      if (!parsed.success) {
        end({
          status: 'failed',
          error: `the GPU host's Worker sent an unknown message: ${parsed.error.message.slice(0, 300)}`,
          epochsCompleted,
        });
        return;
      }
      const message = parsed.data;
      onMessage(message);
      if (message.type === 'epochEnd') epochsCompleted = message.epoch;
      if (message.type === 'trainEnd') end({ status: message.status, error: null, epochsCompleted: message.epochsCompleted });
      else if (message.type === 'error') end({ status: 'failed', error: message.message, epochsCompleted });
    };
    worker.postMessage(request);
    return { done, cancel: () => worker.postMessage({ type: 'cancel' }) };
  }
}
