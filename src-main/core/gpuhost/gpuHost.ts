/**
 * Starts runs in GPU Workers (gpuWorker.ts), one fresh Worker per run: terminating it afterwards
 * frees every GPU buffer the run held, and a Worker that died (its GPU process crashed, the device
 * was lost, it ran out of GPU memory) fails only its own run — the next run gets a new Worker.
 * A Worker that falls silent (a training step that hangs on a GPU that stopped answering, and
 * that no error reached) fails its run after `stallMs` without a message.
 * No Node imports: the page (browser mode) and the desktop's hidden window both use it.
 */
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
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
  | {
      status: 'failed';
      error: string;
      /** `error` coded (contract/coreText.ts), when the Worker or the host sent it so; `errorIssues`: the problems it lists, coded. */
      errorText?: CoreText;
      errorIssues?: ProblemText[];
      epochsCompleted: number;
    };

export interface GpuRun {
  done: Promise<GpuRunOutcome>;
  /** Asks the Worker to stop after the batch in progress. */
  cancel(): void;
}

export interface GpuHostOptions {
  /**
   * How long a Worker may send nothing before its run fails as hung (ms; default 5 minutes). It
   * sends progress about 4 times a second while it trains, so only a step that never ends trips it.
   */
  stallMs?: number;
}

/** The longest silence allowed (ms): a timer cannot wait longer, and a run should not hang longer. */
const maxStallMs = 24 * 3600 * 1000;

export class GpuHost {
  readonly #createWorker: () => GpuWorkerLike;
  readonly #stallMs: number;

  constructor(createWorker: () => GpuWorkerLike, options: GpuHostOptions = {}) {
    const stallMs = options.stallMs ?? 300_000;
    if (!Number.isInteger(stallMs) || stallMs < 1 || stallMs > maxStallMs)
      throw new Error(`stallMs must be a whole number of milliseconds from 1 to ${maxStallMs}, not ${stallMs}`);
    this.#createWorker = createWorker;
    this.#stallMs = stallMs;
  }

  /** Trains one run; `onMessage` hears every message of it, in order. */
  start(request: GpuTrainRequest, onMessage: (message: FromGpuWorker) => void): GpuRun {
    const worker = this.#createWorker();
    let epochsCompleted = 0;
    let settle!: (outcome: GpuRunOutcome) => void;
    const done = new Promise<GpuRunOutcome>((resolve) => (settle = resolve));
    let ended = false;
    let stall: ReturnType<typeof setTimeout> | undefined;
    const watch = () => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        const seconds = this.#stallMs / 1000;
        end({
          status: 'failed',
          error: `the GPU host's Worker sent nothing for ${seconds} s: a training step hung (the GPU stopped answering without an error)`,
          errorText: coreText('gpu_failure_stalled', { seconds }),
          epochsCompleted,
        });
      }, this.#stallMs);
    };
    const end = (outcome: GpuRunOutcome) => {
      if (ended) return;
      ended = true;
      clearTimeout(stall);
      worker.onmessage = null;
      worker.onerror = null;
      worker.terminate();
      settle(outcome);
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      const reason = event.message ?? 'no reason given';
      end({
        status: 'failed',
        error: `the GPU host's Worker died: ${reason}`,
        errorText: coreText('gpu_failure_worker_died', { reason: reason.slice(0, 1000) }),
        epochsCompleted,
      });
    };
    worker.onmessage = (event) => {
      watch();
      const parsed = FromGpuWorker.safeParse(event.data);
      if (!parsed.success) {
        const problem = parsed.error.message.slice(0, 300);
        end({
          status: 'failed',
          error: `the GPU host's Worker sent an unknown message: ${problem}`,
          errorText: coreText('gpu_failure_unknown_message', { problem }),
          epochsCompleted,
        });
        return;
      }
      const message = parsed.data;
      onMessage(message);
      if (message.type === 'epochEnd') epochsCompleted = message.epoch;
      if (message.type === 'trainEnd') end({ status: message.status, error: null, epochsCompleted: message.epochsCompleted });
      else if (message.type === 'error')
        end({
          status: 'failed',
          error: message.message,
          ...(message.messageCode && { errorText: message.messageCode }),
          ...(message.messageCode && message.issues && { errorIssues: message.issues }),
          epochsCompleted,
        });
    };
    worker.postMessage(request);
    watch();
    return { done, cancel: () => worker.postMessage({ type: 'cancel' }) };
  }
}
