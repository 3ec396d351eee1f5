/**
 * The sweeps this process queues after sweeps.start has answered (issue 12), and the ones it
 * resumes that a process which ended left half-queued. Owned by the scheduler, which starts it
 * (resumeLeft on start) and stops it (close: the queueing in progress stops after its chunk in
 * hand and is left, recorded, for the next process to resume).
 */
import type { SweepProgress } from '../contract/sweeps.ts';
import type { RunStore } from '../db/RunStore.ts';
import { resumeQueueing, type QueueingTracker } from './queueing.ts';
import { readPlan } from './searchDriver.ts';

/** How often a sweep being queued reports its progress (each report is an event to every open view). */
const progressEveryMs = 250;

export interface BackgroundQueueingOptions {
  store: RunStore;
  /** A sweep's queueing progress, a few times a second. */
  emit: (progress: SweepProgress) => void;
  /** Every run of the sweep is queued (it is 'running' now, or still paused): its progress, and claims. */
  queued: (sweepId: number) => void;
  /** How often the ticks look for sweeps left half-queued (resumeLeftWhenDue); the store's lease period by default. */
  resumeEveryMs?: number;
}

export class BackgroundQueueing implements QueueingTracker {
  readonly #options: BackgroundQueueingOptions;
  readonly #jobs = new Map<number, Promise<void>>();
  readonly #closing = new AbortController();
  /** When resumeLeft last looked (performance.now() or the tick's clock), so a tick can skip looking. */
  #lookedAt = -Infinity;

  constructor(options: BackgroundQueueingOptions) {
    this.#options = options;
  }

  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /** The sweeps being queued by this process now. */
  get sweepIds(): number[] {
    return [...this.#jobs.keys()];
  }

  /** Reports a queueing's progress at most every 250 ms, and always its last chunk. */
  progressReporter(): (sweepId: number, queued: number, total: number, progress: SweepProgress) => void {
    let last = -Infinity;
    return (_sweepId, queued, total, progress) => {
      if (queued < total && performance.now() - last < progressEveryMs) return;
      last = performance.now();
      this.#options.emit(progress);
    };
  }

  track(sweepId: number, rest: Promise<void>): void {
    const job = rest.then(
      () => this.#options.queued(sweepId),
      (error: unknown) => {
        // Closing leaves the sweep to be resumed; any other stop is recorded on the sweep itself (sweepWriter.ts).
        if (!this.#closing.signal.aborted && this.#options.store.sweepStatus(sweepId) !== 'canceled')
          console.error(`sweep ${sweepId}: queueing stopped:`, error instanceof Error ? error.message : error);
      },
    );
    this.#jobs.set(sweepId, job);
    void job.finally(() => this.#jobs.delete(sweepId));
  }

  /**
   * Resumes the queueing of every pending or paused sweep whose queueing process has ended (a
   * crash, a kill): each from where it stopped, in the background. Exactly one process takes each over.
   */
  resumeLeft(now: number = Date.now()): void {
    const { store } = this.#options;
    if (this.#closing.signal.aborted) return;
    this.#lookedAt = now;
    // A sweep paused while it was being queued is queued on, and stays paused.
    for (const sweep of store.sweepHeads(['pending', 'paused'])) {
      const by = readPlan(sweep).queueing;
      if (by === null || this.#jobs.has(sweep.id) || !store.ownerGone(by)) continue;
      const rest = resumeQueueing(store, sweep, { closing: this.closing, onProgress: this.progressReporter() });
      this.track(sweep.id, rest);
    }
  }

  /**
   * resumeLeft from a scheduler's tick, at most once per `resumeEveryMs` (issue 12): looking reads
   * every pending and paused sweep's spec, which an idle server with many sweeps should not do
   * every second. A queueing process that ends (a killed CLI command) leaves its sweep waiting at
   * most that long; one that ends with its data folder's server (a restart) is resumed on start.
   */
  resumeLeftWhenDue(now: number): void {
    if (now - this.#lookedAt < (this.#options.resumeEveryMs ?? this.#options.store.leaseMs)) return;
    this.resumeLeft(now);
  }

  /** Stops every queueing in progress after its chunk in hand; resolves once all have stopped. */
  async close(): Promise<void> {
    this.#closing.abort(new Error('the service is closing'));
    await Promise.allSettled([...this.#jobs.values()]);
  }
}
