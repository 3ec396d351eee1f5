import { coded, KernelLabError } from '../errors.ts';
import type { ModelSpec } from '../contract/training.ts';
import type { Inferred, InferModel, InferResult, ModelExported } from '../training/inferenceProtocol.ts';
import { FromWorker, type ToWorker } from '../training/workerProtocol.ts';
import type { WorkerHandle, WorkerLauncher } from '../workerHost.ts';

export interface PredictorOptions {
  launchWorker: WorkerLauncher;
  workerEntry: string;
  /** The process ends after this long without a request, giving back its memory (default 10 minutes). */
  idleMs?: number;
  /** A request that takes longer kills the process (default one minute); the next request starts a fresh one. */
  timeoutMs?: number;
}

interface Pending {
  resolve: (answer: Inferred | ModelExported) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The warm predictor: one worker process, started on the first request and kept, that keeps
 * recently used models loaded (training/inference.ts). Inference never runs in the service's own
 * process — a damaged checkpoint or a native crash in the tensorflow engine ends the predictor,
 * whose requests in flight fail with the reason, and the next request starts a new one.
 */
export class Predictor {
  readonly #options: Required<PredictorOptions>;
  #worker: WorkerHandle | null = null;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | null = null;
  #stopped = false;
  /** Backend the predictor computes with, once it answered (for the bench and the about page). */
  backend: string | null = null;

  constructor(options: PredictorOptions) {
    this.#options = { idleMs: 10 * 60_000, timeoutMs: 60_000, ...options };
  }

  /** The process id while a predictor process runs (tests kill it). */
  get pid(): number | undefined {
    return this.#worker?.pid;
  }

  async infer(models: InferModel[], featureMaps: boolean): Promise<InferResult[]> {
    const answer = await this.#ask((id) => ({ type: 'infer', id, models, featureMaps }));
    if (answer.type !== 'inferred') throw new KernelLabError('internal', `the predictor answered an inference with ${answer.type}`);
    return answer.results;
  }

  /** A checkpoint as a portable TF.js Layers model, built in the predictor process (it holds tfjs; the service does not). */
  async exportModel(spec: ModelSpec, checkpointDir: string): Promise<{ modelJson: string; weights: Uint8Array }> {
    const answer = await this.#ask((id) => ({ type: 'exportModel', id, spec, checkpointDir }));
    if (answer.type !== 'modelExported') throw new KernelLabError('internal', `the predictor answered an export with ${answer.type}`);
    if (!answer.result.ok)
      throw new KernelLabError(
        'invalid_input',
        answer.result.error,
        undefined,
        answer.result.errorText ? { text: answer.result.errorText } : {},
      );
    return answer.result;
  }

  #ask(request: (id: number) => ToWorker): Promise<Inferred | ModelExported> {
    if (this.#stopped)
      return Promise.reject(coded('unavailable', 'the predictor is stopped: KernelLab is shutting down', 'error_predictor_stopped', {}));
    const worker = this.#ensureWorker();
    const id = this.#nextId++;
    this.#clearIdle();
    return new Promise<Inferred | ModelExported>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          coded(
            'unavailable',
            `the predictor did not answer within ${this.#options.timeoutMs / 1000} s; it was stopped`,
            'error_predictor_timeout',
            {
              limitSeconds: this.#options.timeoutMs / 1000,
            },
          ),
        );
        worker.kill('SIGKILL');
      }, this.#options.timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      worker.send(request(id));
    });
  }

  #ensureWorker(): WorkerHandle {
    if (this.#worker) return this.#worker;
    const worker = this.#options.launchWorker(this.#options.workerEntry, []);
    this.#worker = worker;
    worker.onMessage((raw) => {
      const parsed = FromWorker.safeParse(raw);
      if (!parsed.success || (parsed.data.type !== 'inferred' && parsed.data.type !== 'modelExported' && parsed.data.type !== 'error')) {
        this.#fail(new KernelLabError('internal', `the predictor sent an unexpected message: ${JSON.stringify(raw)?.slice(0, 200)}`));
        worker.kill('SIGKILL');
        return;
      }
      const message = parsed.data;
      if (message.type === 'error') {
        // The worker exits after an error it could not answer per model (a backend that will not load).
        this.#fail(
          coded('unavailable', `the predictor failed: ${message.message}`, 'error_predictor_failed', {
            error: message.message.slice(0, 1000),
          }),
        );
        return;
      }
      if (message.type === 'inferred') this.backend = message.backend;
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      pending.resolve(message);
      if (this.#pending.size === 0) this.#armIdle();
    });
    worker.onExit((code, signal) => {
      if (this.#worker === worker) this.#worker = null;
      this.#clearIdle();
      this.#fail(
        coded('unavailable', `the predictor process exited (code ${code}, signal ${signal}) before answering`, 'error_predictor_exited', {
          code: String(code),
          signal: String(signal),
        }),
      );
    });
    return worker;
  }

  #fail(error: Error): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(error);
    }
  }

  #armIdle(): void {
    this.#clearIdle();
    const worker = this.#worker;
    this.#idleTimer = setTimeout(() => worker?.kill('SIGTERM'), this.#options.idleMs);
    this.#idleTimer.unref();
  }

  #clearIdle(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  /** Ends the predictor process and fails what it was asked; calls after this are refused. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearIdle();
    const worker = this.#worker;
    this.#fail(coded('unavailable', 'the predictor was stopped: KernelLab is shutting down', 'error_predictor_was_stopped', {}));
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.onExit(() => resolve()));
    worker.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    if (this.#worker === worker) worker.kill('SIGKILL');
  }
}
