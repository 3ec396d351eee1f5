/**
 * The seam between the scheduler and whatever trains a run (STYLE.md rule 14). An Executor
 * starts a claimed run from its spec, reports what happens as RunEvents, and resolves with one
 * RunOutcome; it never decides a run's status and never opens the database. The scheduler records
 * the events through a RunRecorder, fenced by the run's lease, and ends the run in one place,
 * `settle(outcome)`.
 *
 * Today's executor is a worker process on this machine (workerExecutor.ts). A GPU host in a
 * renderer or an agent on a cluster node is one more implementation of `Executor`: it turns its
 * own messages into RunEvents and resolves the same outcomes.
 */
import { coreText, type CoreText, type ProblemText } from '../contract/coreText.ts';
import type { RunRecord, RunStore, Lease, MetricPointInput, NewCheckpoint, NewEvaluation } from '../db/RunStore.ts';
import type { EventBus } from '../events.ts';
import { intermediateSplit } from './folding.ts';

/** What an executor needs of a run: its spec, not the store's bookkeeping (a remote agent builds one from agent.claim). */
export type ExecutableRun = Pick<RunRecord, 'id' | 'uuid' | 'modelSpec' | 'hyperparameters' | 'environment' | 'dataset'>;

export interface RunJob {
  run: ExecutableRun;
  /** The lease the scheduler holds for this execution (an executor that reports remotely passes it on). */
  lease: Lease;
  /** Continue from the run's last checkpoint (an interrupted run queued again). */
  resume: boolean;
  /** The last epoch whose metrics the store has (0 for a fresh run). */
  recordedEpochs: number;
  /** Epoch folding: evaluate on the test split after each of these epochs too (those not recorded yet). */
  evaluateAtEpochs: number[];
  /** CPU threads the run may use (threadsPerRun). */
  threads: number;
  /** Disk limit of the run's per-epoch weight snapshots in bytes (training/weightSnapshots.ts); 0: none. */
  snapshotLimitBytes: number;
}

/** What an execution reports, in order. Epochs count from 1. */
export type RunEvent =
  /**
   * The backend and device the run really got; `runtime` (threads, engine versions, GPU) goes into its environment;
   * `deviceCode`: the device line coded (contract/coreText.ts), stored beside it (migration 0018).
   */
  | { type: 'started'; backend: string; device: string; deviceCode?: CoreText | undefined; runtime?: Record<string, unknown> | undefined }
  /** Live progress within an epoch (not stored; forwarded to open views). */
  | {
      type: 'progress';
      epoch: number;
      epochs: number;
      batch: number;
      batchesPerEpoch: number;
      loss: number;
      accuracy: number;
      samplesPerSec: number;
    }
  /** An epoch's metrics, each a point at step = epoch (a null value was not measured). */
  | { type: 'epoch'; epoch: number; values: Record<string, number | null> }
  | { type: 'checkpoint'; checkpoint: NewCheckpoint }
  /** The test evaluation; `epoch` set for an intermediate one asked for by epoch folding. */
  | { type: 'evaluation'; epoch: number | null; evaluation: Omit<NewEvaluation, 'split'> };

/** How an execution ended. */
export type RunOutcome =
  | { kind: 'completed' }
  | { kind: 'failed'; error: string; errorText?: CoreText; errorIssues?: ProblemText[] }
  | { kind: 'diverged'; error: string; errorText?: CoreText }
  | { kind: 'canceled' }
  /** Stopped so it can continue from its last checkpoint (a pause, a shutdown, a full disk, a stall). */
  | { kind: 'interrupted'; error: string; errorText?: CoreText }
  /** Stopped early by its sweep's pruner at the end of `epoch` (ASHA: at `rung`); its metrics stay. */
  | { kind: 'pruned'; reason: string; reasonText?: CoreText; epoch: number; rung: number | null };
// `errorText`/`reasonText`: the sentence's coded form (contract/coreText.ts), stored beside it (migration 0014);
// `errorIssues`: the problems a failure's sentence lists after its heading, coded (migration 0017).

export interface Execution {
  /** Resolves once the execution has stopped (its worker has exited); never rejects. */
  readonly outcome: Promise<RunOutcome>;
  /**
   * 'cancel' ends it canceled, 'interrupt' so it can resume from its checkpoint (both within a
   * batch); 'abandon' stops it at once without waiting for anything (its lease is gone).
   */
  stop(mode: StopMode): void;
}

export type StopMode = 'cancel' | 'interrupt' | 'abandon';

export interface Executor {
  /** Starts a claimed run; `emit` receives its events in order. Throws when it cannot start at all. */
  start(job: RunJob, emit: (event: RunEvent) => void): Execution;
}

/** The one text of a run stopped to be resumed later, and its code. */
export const pausedError = 'paused; resume to continue from the last checkpoint';
export const pausedText = coreText('run_paused', {});

/**
 * Ends a run: maps an outcome to its final status and records it while `lease` holds. Returns the
 * run as recorded, or undefined when the lease no longer holds (the run was recovered or claimed
 * again, so its end belongs to the new holder).
 */
export function settle(store: RunStore, lease: Lease, outcome: RunOutcome): RunRecord | undefined {
  if (outcome.kind === 'pruned')
    return store.finishRun(lease, 'pruned', outcome.reason, { epoch: outcome.epoch, rung: outcome.rung }, outcome.reasonText ?? null)
      ? store.getRun(lease.runId)
      : undefined;
  const [status, error, errorText, errorIssues] = ((): [RunRecord['status'], string | null, CoreText | null, ProblemText[] | null] => {
    switch (outcome.kind) {
      case 'completed':
        return ['completed', null, null, null];
      case 'canceled':
        return ['canceled', null, null, null];
      case 'failed':
        return [outcome.kind, outcome.error, outcome.errorText ?? null, outcome.errorIssues ?? null];
      case 'diverged':
      case 'interrupted':
        return [outcome.kind, outcome.error, outcome.errorText ?? null, null];
      default: {
        const unknown: never = outcome;
        throw new Error(`unknown outcome ${JSON.stringify(unknown)}`);
      }
    }
  })();
  return store.finishRun(lease, status, error, null, errorText, errorIssues) ? store.getRun(lease.runId) : undefined;
}

/**
 * Writes an execution's events into the store, each write fenced by the lease (a lost lease
 * throws LeaseLost and writes nothing), and forwards live progress to open views.
 */
export class RunRecorder {
  readonly #store: RunStore;
  readonly #events: EventBus;
  readonly #lease: Lease;
  #lastEpoch: number;

  /** `lastEpoch`: the last epoch already recorded, when this recorder continues another's (a remote run's next report). */
  constructor(store: RunStore, events: EventBus, lease: Lease, options: { lastEpoch?: number } = {}) {
    this.#store = store;
    this.#events = events;
    this.#lease = lease;
    this.#lastEpoch = options.lastEpoch ?? 0;
  }

  /**
   * Records events in order, the metric points of consecutive epochs in one batch: what a remote
   * executor's report brings at once (hundreds of epochs after an outage) costs one write, not one each.
   */
  recordAll(events: readonly RunEvent[]): void {
    const runId = this.#lease.runId;
    let points: MetricPointInput[] = [];
    const flush = () => {
      if (points.length > 0) this.#store.logBatch(points, { lease: this.#lease });
      points = [];
    };
    for (const event of events) {
      if (event.type !== 'epoch') {
        flush();
        this.record(event);
        continue;
      }
      for (const [key, value] of Object.entries(event.values))
        if (value !== null) points.push({ runId, key, step: event.epoch, epoch: event.epoch, value });
      this.#lastEpoch = event.epoch;
    }
    flush();
  }

  record(event: RunEvent): void {
    const runId = this.#lease.runId;
    const fence = { lease: this.#lease };
    switch (event.type) {
      case 'started':
        this.#store.setDevice(runId, event.backend, event.device, event.runtime, fence, event.deviceCode ?? null);
        return;
      case 'progress': {
        const { type: _type, ...progress } = event;
        this.#events.emit('run.progress', { runId, ...progress });
        return;
      }
      case 'epoch': {
        const points = Object.entries(event.values)
          .filter((entry): entry is [string, number] => entry[1] !== null)
          .map(([key, value]) => ({ runId, key, step: event.epoch, epoch: event.epoch, value }));
        this.#store.logBatch(points, fence);
        this.#lastEpoch = event.epoch;
        return;
      }
      case 'checkpoint':
        this.#store.addCheckpoint(runId, event.checkpoint, fence);
        return;
      case 'evaluation': {
        const final = event.epoch === null;
        this.#store.addEvaluation(runId, { ...event.evaluation, split: final ? 'test' : intermediateSplit(event.epoch!) }, fence);
        if (final) {
          const step = this.#lastEpoch;
          const { loss, accuracy } = event.evaluation;
          this.#store.logBatch(
            [
              ['test_loss', loss],
              ['test_accuracy', accuracy],
            ]
              .filter((entry): entry is [string, number] => typeof entry[1] === 'number')
              .map(([key, value]) => ({ runId, key, step, epoch: step, value })),
            fence,
          );
        }
        return;
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown run event ${JSON.stringify(unknown)}`);
      }
    }
  }
}
