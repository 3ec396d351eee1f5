import type { WorkerHandle, WorkerLauncher } from '../workerHost.ts';
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
  const runId = request.runId;
  const worker: WorkerHandle = launch(entry, []);
  let ended: RunOutcome | null = null;
  let errorText: string | null = null;
  let epochsCompleted = 0;
  let resolveDone!: (outcome: RunOutcome) => void;
  const done = new Promise<RunOutcome>((resolve) => (resolveDone = resolve));

  /** The run ends failed with this reason: the worker is killed, whatever it was doing. */
  const refuse = (why: string) => {
    errorText = why;
    worker.kill('SIGKILL');
  };
  const deliver = (message: TrainingMessage) => {
    try {
      sink.onMessage(runId, message);
    } catch (error) {
      // A sink that cannot write must not leave the worker training into the void.
      refuse(`could not record ${message.type}: ${(error as Error).message}`);
    }
  };

  worker.onMessage((raw) => {
    const parsed = FromWorker.safeParse(raw);
    if (!parsed.success) return refuse(`worker sent an unknown message: ${JSON.stringify(raw).slice(0, 200)}`);
    const message = parsed.data;
    switch (message.type) {
      case 'probeResult':
      case 'engineCheckResult':
      case 'inferred':
      case 'modelExported':
        return refuse(`worker sent a ${message.type} message during a run`);
      case 'epochEnd':
        epochsCompleted = message.epoch;
        deliver(message);
        return;
      case 'trainEnd':
        epochsCompleted = message.epochsCompleted;
        ended = { status: message.status, error: null, epochsCompleted };
        deliver(message);
        return;
      case 'error':
        errorText = message.message;
        deliver({ ...message, runId });
        return;
      case 'trainBegin':
      case 'batchEnd':
      case 'checkpoint':
      case 'evaluation':
        deliver(message);
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled worker message ${JSON.stringify(unknown)}`);
      }
    }
  });

  worker.onExit((code, signal) => {
    if (ended && errorText === null) {
      resolveDone(ended);
      return;
    }
    const why = errorText ?? `worker exited (code ${code}, signal ${signal}) before the run ended`;
    if (errorText === null) deliver({ type: 'error', runId, message: why });
    resolveDone({ status: 'failed', error: why, epochsCompleted });
  });

  worker.send(request);
  return {
    runId,
    get pid() {
      return worker.pid;
    },
    cancel: () => worker.send({ type: 'cancel' }),
    kill: () => worker.kill('SIGKILL'),
    heartbeat: () => worker.send({ type: 'heartbeat' }),
    done,
  };
}
