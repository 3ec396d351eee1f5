import type { WorkerHandle, WorkerLauncher } from '../workerHost.ts';
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import { FromWorker, type TrainingMessage, type TrainRequest, type TrainStatus } from './workerProtocol.ts';

/**
 * Where the messages of a run go. The store writes them (metrics, lifecycle, checkpoints,
 * evaluation) and forwards them as events; tests collect them.
 */
export interface RunSink {
  onMessage(runId: number, message: TrainingMessage): void;
}

export type RunOutcomeStatus = TrainStatus | 'failed';

export interface RunOutcome {
  status: RunOutcomeStatus;
  /** Why a failed run failed: the worker's error or how it died. */
  error: string | null;
  /** `error` coded (contract/coreText.ts), null where only the English says it. */
  errorText: CoreText | null;
  /** The problems `error` lists after its heading, coded; null where it lists none. */
  errorIssues: ProblemText[] | null;
  epochsCompleted: number;
}

export interface RunHandle {
  readonly runId: number;
  readonly pid: number | undefined;
  /** Asks the worker to stop after the current batch; it ends `canceled`. */
  cancel(): void;
  /** Kills the worker outright (a crash, or a cancel that did not land); the run ends `failed`. */
  kill(): void;
  /** Tells the worker main is alive (its watchdog ends it when these stop; see TrainRequest.watchdogMs). */
  heartbeat(): void;
  readonly done: Promise<RunOutcome>;
}

/**
 * Starts one worker process for one run, parses every message it sends (an unknown message is a
 * protocol error and fails the run) and hands them to the sink. A worker that exits without a
 * trainEnd — killed, out of memory, crashed — ends the run `failed`; what it sent before stays.
 */
export function startRun(launch: WorkerLauncher, entry: string, request: TrainRequest, sink: RunSink): RunHandle {
  return new WorkerRun(launch(entry, []), request, sink);
}

/** One run's worker process and what it has said so far: how far it got, how it ended, why it failed. */
class WorkerRun implements RunHandle {
  readonly runId: number;
  readonly done: Promise<RunOutcome>;
  readonly #worker: WorkerHandle;
  readonly #sink: RunSink;
  #ended: RunOutcome | null = null;
  #errorText: string | null = null;
  #errorCode: CoreText | null = null;
  #errorIssues: ProblemText[] | null = null;
  #epochsCompleted = 0;
  #resolveDone!: (outcome: RunOutcome) => void;

  constructor(worker: WorkerHandle, request: TrainRequest, sink: RunSink) {
    this.runId = request.runId;
    this.#worker = worker;
    this.#sink = sink;
    this.done = new Promise<RunOutcome>((resolve) => (this.#resolveDone = resolve));
    worker.onMessage((raw) => this.#receive(raw));
    worker.onExit((code, signal) => this.#exited(code, signal));
    worker.send(request);
  }

  get pid(): number | undefined {
    return this.#worker.pid;
  }

  // Arrow properties, so a caller may pass them on unbound as it could before.
  readonly cancel = (): void => this.#worker.send({ type: 'cancel' });
  readonly kill = (): void => this.#worker.kill('SIGKILL');
  readonly heartbeat = (): void => this.#worker.send({ type: 'heartbeat' });

  /** The run ends failed with this reason: the worker is killed, whatever it was doing. */
  #refuse(why: string): void {
    this.#errorText = why;
    this.#worker.kill('SIGKILL');
  }

  #deliver(message: TrainingMessage): void {
    try {
      this.#sink.onMessage(this.runId, message);
    } catch (error) {
      // A sink that cannot write must not leave the worker training into the void.
      this.#refuse(`could not record ${message.type}: ${(error as Error).message}`);
    }
  }

  #receive(raw: unknown): void {
    const parsed = FromWorker.safeParse(raw);
    if (!parsed.success) return this.#refuse(`worker sent an unknown message: ${JSON.stringify(raw).slice(0, 200)}`);
    const message = parsed.data;
    switch (message.type) {
      case 'probeResult':
      case 'engineCheckResult':
      case 'inferred':
      case 'modelExported':
        return this.#refuse(`worker sent a ${message.type} message during a run`);
      case 'epochEnd':
        this.#epochsCompleted = message.epoch;
        this.#deliver(message);
        return;
      case 'trainEnd':
        this.#epochsCompleted = message.epochsCompleted;
        this.#ended = { status: message.status, error: null, errorText: null, errorIssues: null, epochsCompleted: this.#epochsCompleted };
        this.#deliver(message);
        return;
      case 'error':
        this.#errorText = message.message;
        this.#errorCode = message.messageCode ?? null;
        this.#errorIssues = message.issues ?? null;
        this.#deliver({ ...message, runId: this.runId });
        return;
      case 'trainBegin':
      case 'batchEnd':
      case 'checkpoint':
      case 'evaluation':
        this.#deliver(message);
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled worker message ${JSON.stringify(unknown)}`);
      }
    }
  }

  #exited(code: number | null, signal: string | null): void {
    if (this.#ended && this.#errorText === null) {
      this.#resolveDone(this.#ended);
      return;
    }
    if (this.#errorText === null) {
      const why = `worker exited (code ${code}, signal ${signal}) before the run ended`;
      const whyText = coreText('run_worker_exited', { code: String(code), signal: String(signal) });
      this.#deliver({ type: 'error', runId: this.runId, message: why, messageCode: whyText });
      this.#resolveDone({ status: 'failed', error: why, errorText: whyText, errorIssues: null, epochsCompleted: this.#epochsCompleted });
      return;
    }
    this.#resolveDone({
      status: 'failed',
      error: this.#errorText,
      errorText: this.#errorCode,
      errorIssues: this.#errorIssues,
      epochsCompleted: this.#epochsCompleted,
    });
  }
}
