/**
 * The executions this process holds: each claimed run handed to the Executor, its events recorded
 * fenced by the run's lease, its end settled in one place (`settle(outcome)`).
 *
 * - A live execution's lease is renewed on every tick while it reports; a write or a renewal
 *   refused because the lease is gone (another process recovered the run after this one stalled)
 *   stops the execution at once, and its outcome is never recorded.
 * - An execution that reports nothing for `stallMs` is stopped and its run queued again to resume
 *   from its checkpoint.
 * - At each epoch's end a sweep run's pruner may stop it; it then ends `pruned`.
 */
import { coreText } from '../contract/coreText.ts';
import { DatabaseError } from '../db/database.ts';
import { LeaseLost, type Lease, type RunRecord, type RunStore } from '../db/RunStore.ts';
import type { EventBus } from '../events.ts';
import { RunRecorder, settle, type Execution, type Executor, type RunEvent, type RunJob, type RunOutcome } from './execution.ts';
import { pruneAt, prunedOutcome, type Pruned } from './remoteRuns.ts';

interface Active {
  run: RunRecord;
  lease: Lease;
  execution: Execution | null;
  stopping: 'cancel' | 'interrupt' | null;
  /** When the execution last reported anything (stall detection). */
  lastHeard: number;
  /** The lease is gone: nothing of this execution is recorded any more. */
  lost: boolean;
  /** Why the scheduler itself ended the execution (a write it could not make, a stall), overriding its outcome. */
  override: RunOutcome | null;
  /** Queue the run again once it has stopped (a stalled execution). */
  requeue: boolean;
  /** Its sweep's pruner stopped it at an epoch's end: it ends pruned once its worker has stopped. */
  pruned: Pruned | null;
  /** Resolves once the outcome is settled and the run's sweep updated. */
  settled: Promise<void>;
}

export interface LocalRunsOptions {
  store: RunStore;
  events: EventBus;
  executor: Executor;
  leaseMs: number;
  stallMs: number;
  /** After a run's end is settled (its sweep updated, the next run claimed); may throw, which is logged. */
  afterSettled: (runId: number) => void;
}

export class LocalRuns {
  readonly #options: LocalRunsOptions;
  readonly #active = new Map<number, Active>();

  constructor(options: LocalRunsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#active.size;
  }

  get runIds(): number[] {
    return [...this.#active.keys()];
  }

  has(runId: number): boolean {
    return this.#active.has(runId);
  }

  /** Runs of this sweep that train here. */
  runIdsOfSweep(sweepId: number): number[] {
    return [...this.#active.values()].filter((a) => a.run.sweepId === sweepId).map((a) => a.run.id);
  }

  /** Stops a run that trains here (cancel: it ends canceled; interrupt: resumable); false if none does. */
  stop(runId: number, mode: 'cancel' | 'interrupt'): boolean {
    const active = this.#active.get(runId);
    if (!active) return false;
    active.stopping = mode;
    active.execution?.stop(mode);
    return true;
  }

  /** Hands a claimed run to the executor; false when it could not start (the run is then failed, in words). */
  launch(run: RunRecord, job: RunJob): boolean {
    const { store, events, executor } = this.#options;
    const { lease } = job;
    const active: Active = {
      run,
      lease,
      execution: null,
      stopping: null,
      lastHeard: Date.now(),
      lost: false,
      override: null,
      requeue: false,
      pruned: null,
      settled: Promise.resolve(),
    };
    const recorder = new RunRecorder(store, events, lease);
    const emit = (event: RunEvent) => {
      active.lastHeard = Date.now();
      if (active.lost || active.override) return;
      try {
        recorder.record(event);
      } catch (error) {
        this.#recordingFailed(active, event, error);
        return;
      }
      if (event.type !== 'epoch' || active.pruned || active.stopping) return;
      try {
        active.pruned = pruneAt(store, run, event.epoch);
        if (active.pruned) active.execution?.stop('cancel');
      } catch (error) {
        // A pruning decision that cannot be made leaves the run training.
        console.error(`scheduler: pruning check for run ${run.id} failed:`, error instanceof Error ? error.message : error);
      }
    };
    try {
      active.execution = executor.start(job, emit);
    } catch (error) {
      settle(store, lease, {
        kind: 'failed',
        error: `could not start a worker: ${error instanceof Error ? error.message : String(error)}`,
      });
      return false;
    }
    // A backfill at start may already have found the lease gone or a write impossible.
    if (active.lost) active.execution.stop('abandon');
    else if (active.override) active.execution.stop('interrupt');
    this.#active.set(run.id, active);
    active.settled = active.execution.outcome
      .catch((error: unknown): RunOutcome => ({ kind: 'failed', error: error instanceof Error ? error.message : String(error) }))
      .then((outcome) => {
        this.#active.delete(run.id);
        // Nothing here may reject: an unhandled rejection would take the whole app down.
        try {
          if (!active.lost && !settle(store, lease, active.override ?? prunedOutcome(active.pruned, outcome)))
            console.error(`scheduler: run ${run.id} is no longer held by this process; its end here (${outcome.kind}) is not recorded`);
          if (active.requeue) store.requeue(run.id);
          this.#options.afterSettled(run.id);
        } catch (error) {
          if (store.isOpen) console.error(`scheduler: after run ${run.id}:`, error);
        }
      });
    return true;
  }

  /**
   * A write for an execution failed. A lost lease stops it at once and records nothing more; a
   * disk or database that cannot take writes stops it resumably; anything else fails the run.
   */
  #recordingFailed(active: Active, event: RunEvent, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof LeaseLost) {
      active.lost = true;
      console.error(`scheduler: run ${active.run.id} is no longer held by this process; its worker is stopped. ${message}`);
      active.execution?.stop('abandon');
      return;
    }
    if (error instanceof DatabaseError && ['disk_full', 'read_only', 'gone'].includes(error.problem)) {
      active.override = { kind: 'interrupted', error: `could not record ${event.type}: ${message}` };
      active.execution?.stop('interrupt');
      return;
    }
    active.override = { kind: 'failed', error: `could not record ${event.type}: ${message}` };
    active.execution?.stop('abandon');
  }

  /**
   * Renews the leases of the live executions: a stalled one is stopped and queued again; a refused
   * renewal means another process took the run, and the execution stops at once. Returns the sweep
   * runs still live and not stopping, by run id, for the scheduler to check their sweep's controls.
   */
  renew(now: number): { runId: number; sweepId: number }[] {
    const { store, leaseMs, stallMs } = this.#options;
    const live: { runId: number; sweepId: number }[] = [];
    for (const [id, active] of this.#active) {
      if (active.lost || active.override) continue;
      if (now - active.lastHeard > stallMs) {
        const seconds = Math.round((now - active.lastHeard) / 1000);
        active.override = {
          kind: 'interrupted',
          error: `its worker reported nothing for ${seconds} s and was stopped; it resumes from its last checkpoint`,
          errorText: coreText('run_worker_silent', { seconds }),
        };
        active.requeue = true;
        active.execution?.stop('abandon');
        continue;
      }
      if (!store.renewLease(active.lease, leaseMs)) {
        active.lost = true;
        console.error(`scheduler: run ${id} is no longer held by this process (attempt ${active.lease.attempt}); its worker is stopped`);
        active.execution?.stop('abandon');
        continue;
      }
      if (!active.stopping && active.run.sweepId !== null) live.push({ runId: id, sweepId: active.run.sweepId });
    }
    return live;
  }

  /** Interrupts every run (resumable) and resolves once each one's end is settled. */
  async interruptAll(): Promise<void> {
    const pending = [...this.#active.values()].map((a) => {
      a.stopping = 'interrupt';
      a.execution?.stop('interrupt');
      return a.settled;
    });
    await Promise.all(pending);
  }
}
