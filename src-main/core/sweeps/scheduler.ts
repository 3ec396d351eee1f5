/**
 * The scheduler: the one way runs start. The queue is the `runs` table itself (status 'queued',
 * priority, age), so it survives restarts and is shared by every process on the database; each
 * process claims runs atomically and hands each to its Executor (execution.ts), which reports
 * events and one outcome. The scheduler records the events fenced by the run's lease and ends the
 * run in one place, `settle(outcome)`.
 *
 * - How many runs train at once on this machine is one budget shared by every process on the data
 *   folder (workerBudget.ts): a claim happens only while fewer runs than that train here.
 * - Scope: the desktop app and `kernellab serve` take any runnable run; the CLI takes only the runs
 *   it queued for itself (`train`) and the sweeps it follows, never another sweep's.
 * - Leases and stalls of this process's executions: localRuns.ts; runs another process abandoned
 *   (expired lease) are recovered on the next tick, with the other upkeep of sweeps (sweepUpkeep.ts).
 *   Runs agents hold: remoteRuns.ts.
 * - Pause a sweep: it is 'paused' (its queued runs are skipped by the claim) and its running runs
 *   are interrupted, resumable from their last checkpoint. A sweep still being queued is 'pending'
 *   (nothing claimed yet); paused meanwhile, it stays paused once queueing ends.
 * - Resume: interrupted runs go back to the queue (the executor resumes them from checkpoints)
 *   and the sweep is 'running' again ('pending' while its queueing goes on). After a crash
 *   RunStore.open has already marked the dead process's runs interrupted; `sweeps.resume` /
 *   `kernellab sweep resume` queues them again.
 * - Epoch folding: when a trained run that other points were folded into completes, the derived
 *   runs are recorded from its per-epoch metrics and evaluations (folding.ts).
 * - Search (searchDriver.ts): at each epoch's end a sweep run's pruner may stop it (it ends
 *   `pruned`, through settle like every end); before claiming, a TPE sweep gets its next points
 *   proposed from its finished ones, and a sweep past its time budget stops starting runs.
 */
import type { BackendName } from '../contract/app.ts';
import { mebibyte } from '../contract/inspect.ts';
import type { RunStatus } from '../contract/runs.ts';
import { leaseOf, type ClaimScope, type RunRecord, type RunStore } from '../db/RunStore.ts';
import { coded, KernelLabError, runNotFound, sweepNotFound } from '../errors.ts';
import { coreText } from '../contract/coreText.ts';
import type { EventBus } from '../events.ts';
import { snapshotLimitMiB } from '../inspect/snapshotLimit.ts';
import type { RunJob, RunOutcome } from './execution.ts';
import { LocalRuns } from './localRuns.ts';
import { FoldingPlans } from './folding.ts';
import { SweepUpkeep } from './sweepUpkeep.ts';
import { BackgroundQueueing } from './backgroundQueueing.ts';
import { cancelOpenRuns } from './cancelRuns.ts';
import type { SweepProgress } from '../contract/sweeps.ts';
import { RemoteRuns } from './remoteRuns.ts';
import { sweepProgress, updateSweepStatus } from './sweepProgress.ts';
import { WorkerBudget, type Concurrency } from './workerBudget.ts';
import { defaultStallMs, type SchedulerOptions } from './schedulerOptions.ts';

export class Scheduler {
  readonly #store: RunStore;
  readonly #events: EventBus;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #budget: WorkerBudget;
  readonly #scope: 'any' | 'own';
  readonly #trains: boolean;
  readonly #leaveUnpinnedAfter: ((now: number) => number | null) | undefined;
  /** Sweeps a scheduler with scope 'own' runs (the ones its process started or resumed). */
  readonly #adopted = new Set<number>();
  /** Single runs a scheduler with scope 'own' runs (queued or resumed by its process). */
  readonly #adoptedRuns = new Set<number>();
  readonly #local: LocalRuns;
  readonly #plans: FoldingPlans;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #pumping = false;
  readonly #idleWaiters = new Set<() => void>();
  readonly #remote: RemoteRuns;
  /** Sweeps this process queues after sweeps.start answered, or resumes (backgroundQueueing.ts). */
  readonly queueing: BackgroundQueueing;
  readonly #upkeep: SweepUpkeep;

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#pollMs = options.pollMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? options.store.leaseMs;
    this.#budget = new WorkerBudget(options.store, options);
    this.#remote = new RemoteRuns(options.store);
    this.#plans = new FoldingPlans(options.store);
    this.#local = new LocalRuns({
      store: options.store,
      events: options.events,
      executor: options.executor,
      leaseMs: this.#leaseMs,
      stallMs: options.stallMs ?? defaultStallMs,
      afterSettled: (runId) => {
        this.#afterRun(runId);
        this.pump();
      },
    });
    this.queueing = new BackgroundQueueing({
      store: options.store,
      emit: (progress) => this.#events.emit('sweep.progress', progress),
      queued: (sweepId) => {
        this.emitProgress(sweepId);
        this.pump();
      },
      resumeEveryMs: this.#leaseMs,
    });
    this.#scope = options.scope ?? 'any';
    this.#upkeep = new SweepUpkeep({
      store: options.store,
      plans: this.#plans,
      queueing: this.queueing,
      scope: this.#scope,
      mine: (sweepId) => this.#adopted.has(sweepId),
      emitProgress: (sweepId) => this.emitProgress(sweepId),
    });
    this.#trains = options.trains ?? true;
    this.#leaveUnpinnedAfter = options.leaveUnpinned;
    for (const [backend, workers] of Object.entries(options.concurrency ?? {}) as [BackendName, number][]) {
      this.setConcurrency(workers, backend);
    }
  }

  get owner(): string {
    return this.#store.owner;
  }

  /** The machine's worker budget by backend: the shared setting, or one per physical core (one for tensorflow). */
  budget(): Record<BackendName, number> {
    return this.#budget.budget();
  }

  concurrency(): Concurrency {
    return this.#budget.concurrency();
  }

  /** CPU threads for a run starting now (WorkerBudget.threadsFor). */
  threadsFor(alone: boolean): number {
    return this.#budget.threadsFor(alone);
  }

  /**
   * Changes how many runs train at once and/or how many CPU threads each computes with, on this
   * machine or in this process only (WorkerBudget.set). Takes effect for runs that start from now
   * on (running ones keep their threads; extra runs are not stopped).
   */
  setBudget(
    change: { workers?: number; threads?: number | null },
    backend: BackendName = this.#budget.backend,
    scope: 'machine' | 'process' = 'machine',
  ): void {
    this.#budget.set(change, backend, scope);
    this.pump();
  }

  /** Changes how many runs train at once (setBudget with workers only). */
  setConcurrency(workers: number, backend: BackendName = this.#budget.backend, scope: 'machine' | 'process' = 'machine'): void {
    this.setBudget({ workers }, backend, scope);
  }

  /** Fixes which backend's limit applies (otherwise it follows what unpinned runs get). */
  setBackend(backend: BackendName): void {
    this.#budget.pinBackend(backend);
  }

  /** A scheduler with scope 'own' also runs this sweep's runs (its process started or resumed it). */
  adopt(sweepId: number): void {
    this.#adopted.add(sweepId);
  }

  /**
   * A scheduler with scope 'own' also runs this run (its process queued or resumed it: a
   * CLI-shell runs.start is trained by that process when a slot is free, like its sweeps).
   */
  adoptRun(runId: number): void {
    this.#adoptedRuns.add(runId);
  }

  /** Unpinned runs queued after this are left to a waiting GPU host (SchedulerOptions.leaveUnpinned). */
  #leaveUnpinned(): number | null {
    return this.#leaveUnpinnedAfter?.(Date.now()) ?? null;
  }

  #claimScope(): ClaimScope {
    return this.#scope === 'any' ? { kind: 'any' } : { kind: 'own', sweepIds: [...this.#adopted], runIds: [...this.#adoptedRuns] };
  }

  /** Starts claiming runs and polls for runs queued by other processes. */
  start(): void {
    if (this.#running || !this.#trains) return;
    this.#running = true;
    this.#timer = setInterval(() => {
      try {
        this.#tick();
        this.pump();
      } catch (error) {
        // A busy or briefly locked database: try again on the next tick.
        console.error('scheduler:', error instanceof Error ? error.message : error);
      }
    }, this.#pollMs);
    this.#timer.unref();
    this.#upkeep.reconcile();
    this.pump();
  }

  get activeRunIds(): number[] {
    return this.#local.runIds;
  }

  /** Claims queued runs while this process and this machine have a free slot. */
  pump(): void {
    if (!this.#running || this.#pumping) return;
    this.#pumping = true;
    try {
      this.#upkeep.supply(this.#budget.limit());
      while (this.#local.size < this.#budget.limit()) {
        const run = this.#store.claimNextRunnable(this.owner, this.#leaseMs, {
          budget: this.budget()[this.#budget.backend],
          scope: this.#claimScope(),
          leaveUnpinnedQueuedAfter: this.#leaveUnpinned(),
        });
        if (!run) break;
        this.#launch(run);
      }
    } finally {
      this.#pumping = false;
    }
    this.#checkIdle();
  }

  #launch(run: RunRecord): void {
    this.#events.emit('run.updated', { runId: run.id, status: 'running', summary: this.#store.summary(run.id) });
    // Every core when the run is alone here; an equal share when others run or wait (threadsPerRun);
    // or what the user set (threadsFor).
    const alone = this.#local.size === 0 && !this.#store.hasClaimableRun(this.owner, this.#claimScope(), this.#leaveUnpinned());
    const job: RunJob = {
      run,
      lease: leaseOf(run),
      ...this.executionPlan(run),
      threads: this.threadsFor(alone),
      snapshotLimitBytes: snapshotLimitMiB(this.#store) * mebibyte,
    };
    if (this.#local.launch(run, job)) this.emitProgress(run.sweepId);
  }

  /**
   * What an execution of a claimed run must do besides training it: resume from its checkpoint
   * (an interrupted run queued again), from which epoch the store has its metrics, and which
   * epoch-folding evaluations are still missing. The same for every executor, here or remote.
   */
  executionPlan(run: RunRecord): Pick<RunJob, 'resume' | 'recordedEpochs' | 'evaluateAtEpochs'> {
    return this.#plans.executionPlan(run);
  }

  /** A remote executor (an agent, through the server) claimed a run: open views hear of it as of a local start. */
  startedElsewhere(run: RunRecord): void {
    this.#events.emit('run.updated', { runId: run.id, status: 'running', summary: this.#store.summary(run.id) });
    this.emitProgress(run.sweepId);
  }

  /** A run a remote executor held was settled (agent.finish): what follows a run's end here follows it too. */
  endedElsewhere(runId: number): void {
    this.#remote.forget(runId);
    this.#afterRun(runId);
  }

  /** A remote executor reported a run's epochs up to `epoch`: its sweep's pruner may stop it (RemoteRuns.epochs). */
  remoteEpochs(run: RunRecord, epoch: number): void {
    this.#remote.epochs(run, epoch);
  }

  /** The end a remote executor reported, as it is settled: pruned when its sweep's pruner stopped it. */
  remoteOutcome(runId: number, outcome: RunOutcome): RunOutcome {
    return this.#remote.outcome(runId, outcome);
  }

  /** A stop asked for a run a remote executor holds, delivered with its next report or heartbeat. */
  remoteStop(runId: number): 'cancel' | 'interrupt' | null {
    return this.#remote.stopFor(runId);
  }

  #afterRun(runId: number): void {
    const after = this.#store.getRun(runId);
    if (!after) return;
    this.#budget.learnBackend(after);
    if (after.sweepId !== null) {
      this.#plans.recordDerived(after);
      updateSweepStatus(this.#store, after.sweepId);
      this.emitProgress(after.sweepId);
    }
  }

  /**
   * Every poll: renew the leases of this process's live executions (a stalled one is stopped and
   * queued again; a refused renewal means another process took the run, and the execution stops
   * at once), recover runs other processes abandoned, and obey sweep controls given by another
   * process on the same database (`kernellab sweep` pausing or canceling what the app runs).
   */
  #tick(): void {
    const now = Date.now();
    for (const { runId, sweepId } of this.#local.renew(now)) {
      const status = this.#store.getSweep(sweepId)?.status;
      if (status === 'canceled') this.cancelRun(runId);
      else if (status === 'paused' || status === 'pending') this.interruptRun(runId);
    }
    this.#upkeep.tick(now);
  }

  /** Resolves when this process has nothing running and nothing it could claim. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.add(resolve);
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    if (this.#idleWaiters.size === 0 || this.#local.size > 0 || this.#pumping) return;
    if (this.#running && this.#store.hasClaimableRun(this.owner, this.#claimScope(), this.#leaveUnpinned())) return;
    for (const resolve of this.#idleWaiters) resolve();
    this.#idleWaiters.clear();
  }

  // ── control ─────────────────────────────────────────────────────────────

  cancelRun(runId: number): RunStatus {
    const run = this.#store.getRun(runId);
    if (!run) throw runNotFound(runId);
    if (this.#local.stop(runId, 'cancel')) return 'running';
    if (run.status === 'queued' || run.status === 'interrupted') {
      this.#store.transition(runId, 'canceled');
      if (run.sweepId !== null) {
        updateSweepStatus(this.#store, run.sweepId);
        this.emitProgress(run.sweepId);
      }
      return 'canceled';
    }
    if (run.status === 'running' && run.workerOwner?.startsWith('agent:')) {
      this.#remote.stop(runId, 'cancel');
      return 'running';
    }
    if (run.status === 'running')
      throw new KernelLabError(
        'conflict',
        `Run ${runId} is running in another process (${run.workerOwner ?? 'unknown'}); cancel it there`,
        undefined,
        {
          text: coreText('error_run_running_elsewhere', { id: runId, owner: (run.workerOwner ?? 'unknown').slice(0, 200) }),
        },
      );
    return run.status;
  }

  /** Stops a running run so it can resume from its checkpoint later; a queued run just stays queued. */
  interruptRun(runId: number): boolean {
    if (!this.#local.stop(runId, 'interrupt')) {
      const run = this.#store.getRun(runId);
      if (!run) throw runNotFound(runId);
      if (run.status === 'running' && run.workerOwner?.startsWith('agent:')) {
        this.#remote.stop(runId, 'interrupt');
        return true;
      }
      if (run.status === 'running')
        throw coded(
          'conflict',
          `Run ${runId} is running in another process (${run.workerOwner ?? 'unknown'}); pause it there`,
          'error_run_running_elsewhere_pause',
          { id: runId, owner: (run.workerOwner ?? 'unknown').slice(0, 200) },
        );
      return false;
    }
    return true;
  }

  /** Queues an interrupted run again; it resumes from its last checkpoint. */
  resumeRun(runId: number): boolean {
    const run = this.#store.getRun(runId);
    if (!run) throw runNotFound(runId);
    if (run.status !== 'interrupted') return false;
    if (run.derivedFromRunId !== null) {
      // Derived by epoch folding: record it again from its source instead of training it.
      const source = this.#store.getRun(run.derivedFromRunId);
      if (source) this.#plans.recordDerived(source);
      return false;
    }
    if (!this.#store.requeue(run.id)) return false;
    this.adoptRun(run.id);
    this.pump();
    return true;
  }

  pauseSweep(sweepId: number): { interrupted: number } {
    this.#requireSweep(sweepId);
    // 'paused', also while it is still being queued: queueing ends leaving it paused (sweepWriter.finishQueueing).
    this.#store.pauseSweep(sweepId);
    let interrupted = 0;
    for (const runId of this.#local.runIdsOfSweep(sweepId)) {
      this.interruptRun(runId);
      interrupted++;
    }
    this.emitProgress(sweepId);
    return { interrupted };
  }

  /** Resumes a sweep (or, without an id, every sweep with interrupted or queued runs). */
  resumeSweeps(sweepId?: number): { sweepIds: number[]; requeued: number } {
    const ids = sweepId !== undefined ? [this.#requireSweep(sweepId)] : this.#store.unfinishedSweepIds();
    let requeued = 0;
    for (const id of ids) {
      this.adopt(id);
      for (const run of this.#store.runsWithStatus('interrupted', id)) {
        // A derived run left half-recorded is recorded again from its source below, never trained.
        if (run.derivedFromRunId === null && this.resumeRun(run.id)) requeued++;
      }
      this.#plans.finishSweep(id);
      this.#store.resumeSweep(id);
      updateSweepStatus(this.#store, id);
      this.emitProgress(id);
    }
    this.pump();
    return { sweepIds: ids, requeued };
  }

  /**
   * Cancels a sweep: its status first (claims skip it at once, in every process, and a queueing in
   * progress stops), then its queued and interrupted runs a chunk at a time, then its running ones.
   */
  async cancelSweep(sweepId: number): Promise<{ canceled: number }> {
    this.#requireSweep(sweepId);
    this.#store.setSweepStatus(sweepId, 'canceled');
    let canceled = await cancelOpenRuns(this.#store, sweepId, () => this.emitProgress(sweepId));
    for (const runId of this.#local.runIdsOfSweep(sweepId)) {
      this.cancelRun(runId);
      canceled++;
    }
    this.emitProgress(sweepId);
    return { canceled };
  }

  reprioritize(target: { runId: number } | { sweepId: number }, priority: number): number {
    const changed = this.#store.setPriority(target, priority);
    this.pump();
    return changed;
  }

  #requireSweep(id: number): number {
    if (!this.#store.getSweep(id)) throw sweepNotFound(id);
    return id;
  }

  /** Where a sweep stands (sweepProgress.ts), its ETA over the runs this process may train at once. */
  progress(sweepId: number): SweepProgress {
    return sweepProgress(this.#store, sweepId, this.#budget.limit());
  }

  /** Tells open views where a sweep stands (sweep.progress); never throws. */
  emitProgress(sweepId: number | null): void {
    if (sweepId === null) return;
    try {
      this.#events.emit('sweep.progress', this.progress(sweepId));
    } catch (error) {
      // A progress event must never break the scheduler loop.
      console.error(`sweep ${sweepId}: progress failed:`, error);
    }
  }

  /** Stops claiming; running runs are interrupted (resumable), and their workers stopped. */
  async close(): Promise<void> {
    await this.queueing.close();
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    await this.#local.interruptAll();
    for (const resolve of this.#idleWaiters) resolve();
    this.#idleWaiters.clear();
  }
}
