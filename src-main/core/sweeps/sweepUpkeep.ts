/**
 * The scheduler's upkeep of sweeps and of runs other processes left behind: after a crash (on
 * start) the derived runs of running sweeps are recorded and half-queued sweeps resumed; before
 * each claim, search sweeps get their next points; on each tick, runs whose holder stopped
 * renewing go back to the queue. What this decides is the same for every scheduler; which sweeps
 * it may touch (scope 'own': only the ones its process adopted) the scheduler says.
 */
import { isGpuHostBackend } from '../contract/app.ts';
import type { RunStore } from '../db/RunStore.ts';
import type { BackgroundQueueing } from './backgroundQueueing.ts';
import type { FoldingPlans } from './folding.ts';
import { readPlan, searchOf, topUp } from './searchDriver.ts';
import { updateSweepStatus } from './sweepProgress.ts';

export interface SweepUpkeepOptions {
  store: RunStore;
  plans: FoldingPlans;
  queueing: BackgroundQueueing;
  /** 'any' (the app, serve): every sweep; 'own' (the CLI): only those `mine` says. */
  scope: 'any' | 'own';
  mine: (sweepId: number) => boolean;
  /** Tells open views where a sweep stands (never throws). */
  emitProgress: (sweepId: number) => void;
}

export class SweepUpkeep {
  readonly #o: SweepUpkeepOptions;

  constructor(options: SweepUpkeepOptions) {
    this.#o = options;
  }

  /** After a crash: derived runs of running sweeps not yet recorded are, so such a sweep still finishes on its own. */
  reconcile(): void {
    const { store, plans, queueing, scope } = this.#o;
    try {
      // Sweeps a process that ended left half-queued: the app and the server queue the rest (and on each tick).
      if (scope === 'any') queueing.resumeLeft();
      for (const sweep of store.sweepHeads(['pending', 'running'])) {
        if (sweep.status !== 'running') continue;
        plans.finishSweep(sweep.id);
        updateSweepStatus(store, sweep.id);
      }
    } catch (error) {
      console.error('scheduler: reconciling sweeps failed:', error instanceof Error ? error.message : error);
    }
  }

  /**
   * Running sweeps this scheduler may run get what their search asks for before runs are claimed:
   * TPE's next points, and past a time budget no new starts. A failure here never stops the
   * claims: the sweep is supplied again on the next tick.
   */
  supply(limit: number): void {
    const { store, scope, mine } = this.#o;
    // Each sweep as it is, without counting its runs: once a tick (issue 12).
    for (const sweep of store.sweepHeads(['running'])) {
      if (sweep.status !== 'running' || (scope === 'own' && !mine(sweep.id))) continue;
      const search = searchOf(sweep);
      if (!search || (search.spec.method !== 'tpe' && search.deadline === null) || readPlan(sweep).closed) continue;
      try {
        const { queued, closed } = topUp(store, sweep, search, limit);
        // Closed just now (its time budget spent before a run ended, say): no run end will settle its status.
        if (closed) updateSweepStatus(store, sweep.id);
        if (queued > 0 || closed) this.#o.emitProgress(sweep.id);
      } catch (error) {
        console.error(`scheduler: supplying sweep ${sweep.id} failed:`, error instanceof Error ? error.message : error);
      }
    }
  }

  /**
   * Every poll: sweeps a process that ended left half-queued are queued on (the app and the
   * server only, at most once a lease period), and runs whose holder stopped renewing (another process stalled or died) go
   * back to the queue when their sweep runs, resuming from their checkpoints.
   */
  tick(now: number): void {
    const { store, queueing, scope } = this.#o;
    // A CLI command lives only as long as its own work: a sweep it left half-queued is the app's or
    // the server's to finish, looked for once a lease period, not every tick.
    if (scope === 'any') queueing.resumeLeftWhenDue(now);
    for (const runId of store.recoverInterrupted(now)) {
      const run = store.getRun(runId);
      if (!run || run.derivedFromRunId !== null) continue;
      // A single run pinned to a browser GPU whose page went away (tab closed): only another page can train it.
      const gpuSingle = run.sweepId === null && isGpuHostBackend(run.hyperparameters.backend);
      if (gpuSingle || (run.sweepId !== null && store.getSweep(run.sweepId)?.status === 'running')) store.requeue(runId);
    }
  }
}
