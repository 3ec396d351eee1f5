/**
 * The scheduler: the one way runs start. The queue is the `runs` table itself (status 'queued',
 * priority, age), so it survives restarts and is shared by every process on the database; each
 * process claims runs atomically (claimNextRunnable) and runs at most `concurrency` at once, each
 * in its own worker process.
 *
 * - Pause a sweep: its status goes back to 'pending' (its queued runs are skipped by the claim)
 *   and its running runs are interrupted, resumable from their last checkpoint.
 * - Resume: interrupted runs go back to the queue (the executor resumes them from checkpoints)
 *   and the sweep is 'running' again. After a crash RunStore.open has already marked the dead
 *   process's runs interrupted; `sweeps.resume` / `kernellab sweep resume` queues them again.
 * - Epoch folding: when a trained run that other points were folded into completes, the derived
 *   runs are recorded from its per-epoch metrics and evaluations (folding.ts).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { BackendName } from '../contract/app.ts';
import type { RunStatus } from '../contract/runs.ts';
import type { RunRecord, RunStore } from '../db/RunStore.ts';
import { KernelLabError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { materializeDerived, readSweepPlan, type SweepRunInfo } from './folding.ts';
import { formatDuration, type SweepProgress } from '../contract/sweeps.ts';

export interface RunJob {
  run: RunRecord;
  /** Continue from the run's last checkpoint (an interrupted run queued again). */
  resume: boolean;
  /** Epoch folding: evaluate on the test split after each of these epochs too. */
  evaluateAtEpochs: number[];
  /** CPU threads the run may use (threadsPerRun). */
  threads: number;
}

export interface RunExecution {
  /** Settles when the worker has exited and the run's final status is written. */
  readonly done: Promise<void>;
  /** 'cancel' ends the run as canceled; 'interrupt' stops it so it can resume from a checkpoint. */
  stop(mode: 'cancel' | 'interrupt'): void;
}

/** Starts one claimed run (status already 'running') in a worker and writes what it reports. */
export type RunExecutor = (job: RunJob) => RunExecution;

export interface SchedulerOptions {
  store: RunStore;
  events: EventBus;
  executor: RunExecutor;
  /** Backend the pool's workers use; picks which concurrency applies. */
  backend?: BackendName;
  concurrency?: Partial<Record<BackendName, number>>;
  /** How often to look for runs queued by another process (ms). */
  pollMs?: number;
  leaseMs?: number;
}

/** Physical cores (hyperthreads share one): each wasm/cpu worker is single-threaded. */
export function physicalCores(): number {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const cores = new Set<string>();
    let physical = '0';
    for (const line of info.split('\n')) {
      const [key, value] = line.split(':').map((s) => s.trim());
      if (key === 'physical id') physical = value ?? '0';
      if (key === 'core id') cores.add(`${physical}:${value}`);
    }
    if (cores.size > 0) return cores.size;
  } catch {
    // Not Linux: fall through.
  }
  return Math.max(1, Math.floor(availableParallelism() / (process.platform === 'darwin' ? 1 : 2)) || 1);
}

/**
 * CPU threads for one run: every core when it runs alone (nothing else running or waiting here),
 * else an equal share of the cores among the pool's workers, at least one.
 */
export function threadsPerRun(cores: number, workers: number, alone: boolean): number {
  return alone ? Math.max(1, cores) : Math.max(1, Math.floor(cores / Math.max(1, workers)));
}

export function defaultConcurrency(): Record<BackendName, number> {
  const cores = physicalCores();
  // One worker per GPU for tensorflow: tfjs-node-gpu uses the first GPU, so one.
  return { wasm: cores, cpu: cores, tensorflow: 1 };
}

interface Active {
  run: RunRecord;
  execution: RunExecution;
  stopping: 'cancel' | 'interrupt' | null;
  startedAt: number;
}

const finished = new Set<RunStatus>(['completed', 'failed', 'canceled', 'diverged']);

export class Scheduler {
  readonly #store: RunStore;
  readonly #events: EventBus;
  readonly #executor: RunExecutor;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #concurrency: Record<BackendName, number>;
  #backend: BackendName;
  #backendPinnedByUser = false;
  readonly #active = new Map<number, Active>();
  readonly #plans = new Map<number, SweepRunInfo>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #pumping = false;
  readonly #idleWaiters = new Set<() => void>();

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#executor = options.executor;
    this.#pollMs = options.pollMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? options.store.leaseMs;
    this.#concurrency = { ...defaultConcurrency(), ...options.concurrency };
    this.#backend = options.backend ?? 'wasm';
  }

  get owner(): string {
    return this.#store.owner;
  }

  concurrency(): { backend: BackendName; workers: number; perBackend: Record<BackendName, number> } {
    return { backend: this.#backend, workers: this.#concurrency[this.#backend], perBackend: { ...this.#concurrency } };
  }

  /** Changes how many workers run at once; takes effect at once (extra runs are not stopped, new ones wait). */
  setConcurrency(workers: number, backend: BackendName = this.#backend): void {
    if (!Number.isInteger(workers) || workers < 1 || workers > 256)
      throw new KernelLabError('invalid_input', `workers: ${workers} is not a whole number from 1 to 256`);
    this.#concurrency[backend] = workers;
    this.pump();
  }

  /** Fixes which backend's limit applies (otherwise it follows what unpinned runs get). */
  setBackend(backend: BackendName): void {
    this.#backend = backend;
    this.#backendPinnedByUser = true;
  }

  /** Starts claiming runs and polls for runs queued by other processes. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#timer = setInterval(() => {
      try {
        this.#renewLeases();
        this.pump();
      } catch (error) {
        // A busy or briefly locked database: try again on the next tick.
        console.error('scheduler:', error instanceof Error ? error.message : error);
      }
    }, this.#pollMs);
    this.#timer.unref();
    this.#reconcile();
    this.pump();
  }

  /**
   * After a crash: completed sources of running sweeps whose derived runs were not recorded get
   * them now, so a sweep whose remaining runs were only queued still finishes on its own.
   */
  #reconcile(): void {
    try {
      for (const sweep of this.#store.listSweeps()) {
        if (sweep.status !== 'running') continue;
        for (const run of this.#store.runsOfSweep(sweep.id)) {
          if (run.status !== 'completed' || run.derivedFromRunId !== null) continue;
          const info = this.#planOf(run);
          if (info && info.derived.length > 0) materializeDerived(this.#store, run, info);
        }
        this.#updateSweepStatus(sweep.id);
      }
    } catch (error) {
      console.error('scheduler: reconciling sweeps failed:', error instanceof Error ? error.message : error);
    }
  }

  get activeRunIds(): number[] {
    return [...this.#active.keys()];
  }

  /** Claims queued runs while a worker slot is free. */
  pump(): void {
    if (!this.#running || this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#active.size < this.#concurrency[this.#backend]) {
        const run = this.#store.claimNextRunnable(this.owner, this.#leaseMs);
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
    const info = this.#planOf(run);
    const alone = this.#active.size === 0 && !this.#store.hasClaimableRun();
    const threads = threadsPerRun(availableParallelism(), this.#concurrency[this.#backend], alone);
    const job: RunJob = { run, resume: hasResumeMark(run), evaluateAtEpochs: info?.evaluateAtEpochs ?? [], threads };
    let execution: RunExecution;
    try {
      execution = this.#executor(job);
    } catch (error) {
      this.#fail(run.id, `could not start a worker: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const active: Active = { run, execution, stopping: null, startedAt: Date.now() };
    this.#active.set(run.id, active);
    this.#emitProgress(run.sweepId);
    execution.done
      .catch((error: unknown) => {
        this.#fail(run.id, error instanceof Error ? error.message : String(error));
      })
      .finally(() => {
        this.#active.delete(run.id);
        // Nothing here may reject: an unhandled rejection would take the whole app down.
        try {
          this.#afterRun(run.id, active.stopping);
          this.pump();
        } catch (error) {
          if (this.#store.isOpen) console.error(`scheduler: after run ${run.id}:`, error);
        }
      });
  }

  #fail(runId: number, message: string): void {
    const current = this.#store.getRun(runId);
    if (current?.status === 'running') this.#store.transition(runId, 'failed', { error: message });
  }

  #afterRun(runId: number, stopping: Active['stopping']): void {
    const run = this.#store.getRun(runId);
    if (!run) return;
    if (run.status === 'running') {
      // The executor ended without a verdict: a pause leaves it resumable, anything else is a failure.
      if (stopping === 'interrupt')
        this.#store.transition(runId, 'interrupted', { error: 'paused; resume to continue from the last checkpoint' });
      else if (stopping === 'cancel') this.#store.transition(runId, 'canceled');
      else this.#store.transition(runId, 'failed', { error: 'the worker ended without reporting a result' });
    }
    const after = this.#store.getRun(runId)!;
    this.#learnBackend(after);
    if (after.sweepId !== null) {
      const info = this.#planOf(after);
      if (info && info.derived.length > 0) materializeDerived(this.#store, after, info);
      this.#updateSweepStatus(after.sweepId);
      this.#emitProgress(after.sweepId);
    }
  }

  /**
   * The pool's limit follows the backend unpinned runs really get (the worker records it at
   * trainBegin): one per physical core for wasm/cpu, one per GPU once tensorflow turns out to load.
   */
  #learnBackend(run: RunRecord): void {
    const pinned = (run.hyperparameters as { backend?: unknown }).backend;
    if (pinned !== undefined || !['tensorflow', 'wasm', 'cpu'].includes(run.backend)) return;
    if (run.backend !== this.#backend && !this.#backendPinnedByUser) this.#backend = run.backend as BackendName;
  }

  #planOf(run: RunRecord): SweepRunInfo | undefined {
    if (run.sweepId === null) return undefined;
    let cached = this.#plans.get(run.id);
    if (!cached) {
      cached = readSweepPlan(this.#store, run);
      if (cached) this.#plans.set(run.id, cached);
    }
    return cached;
  }

  /**
   * Keeps the leases of this process's runs alive and obeys sweep controls given by another process
   * on the same database (`kernellab sweep` pausing or canceling what the app runs, and back).
   */
  #renewLeases(): void {
    for (const [id, active] of this.#active) {
      this.#store.renewLease(id, this.owner, this.#leaseMs);
      if (active.stopping || active.run.sweepId === null) continue;
      const status = this.#store.getSweep(active.run.sweepId)?.status;
      if (status === 'canceled') this.cancelRun(id);
      else if (status === 'pending') this.interruptRun(id);
    }
  }

  /** Resolves when this process has nothing running and nothing it could claim. */
  whenIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.#idleWaiters.add(resolve);
      this.#checkIdle();
    });
  }

  #checkIdle(): void {
    if (this.#idleWaiters.size === 0 || this.#active.size > 0 || this.#pumping) return;
    if (this.#running && this.#store.hasClaimableRun()) return;
    for (const resolve of this.#idleWaiters) resolve();
    this.#idleWaiters.clear();
  }

  /** Waits for one run to reach a final status (any process may be running it). */
  async waitForRun(runId: number, pollMs = 200): Promise<RunRecord> {
    for (;;) {
      const run = this.#store.getRun(runId);
      if (!run) throw new KernelLabError('not_found', `Run ${runId} does not exist`);
      if (finished.has(run.status) || run.status === 'interrupted') return run;
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  // ── control ─────────────────────────────────────────────────────────────

  cancelRun(runId: number): RunStatus {
    const run = this.#store.getRun(runId);
    if (!run) throw new KernelLabError('not_found', `Run ${runId} does not exist`);
    const active = this.#active.get(runId);
    if (active) {
      active.stopping = 'cancel';
      active.execution.stop('cancel');
      return 'running';
    }
    if (run.status === 'queued' || run.status === 'interrupted') {
      this.#store.transition(runId, 'canceled');
      if (run.sweepId !== null) {
        this.#updateSweepStatus(run.sweepId);
        this.#emitProgress(run.sweepId);
      }
      return 'canceled';
    }
    if (run.status === 'running')
      throw new KernelLabError('conflict', `Run ${runId} is running in another process (${run.workerOwner ?? 'unknown'}); cancel it there`);
    return run.status;
  }

  /** Stops a running run so it can resume from its checkpoint later; a queued run just stays queued. */
  interruptRun(runId: number): boolean {
    const active = this.#active.get(runId);
    if (!active) {
      const run = this.#store.getRun(runId);
      if (!run) throw new KernelLabError('not_found', `Run ${runId} does not exist`);
      if (run.status === 'running')
        throw new KernelLabError(
          'conflict',
          `Run ${runId} is running in another process (${run.workerOwner ?? 'unknown'}); pause it there`,
        );
      return false;
    }
    active.stopping = 'interrupt';
    active.execution.stop('interrupt');
    return true;
  }

  /** Queues an interrupted run again; it resumes from its last checkpoint. */
  resumeRun(runId: number): boolean {
    const run = this.#store.getRun(runId);
    if (!run) throw new KernelLabError('not_found', `Run ${runId} does not exist`);
    if (run.status !== 'interrupted') return false;
    if (run.derivedFromRunId !== null) {
      // Derived by epoch folding: record it again from its source instead of training it.
      const source = this.#store.getRun(run.derivedFromRunId);
      const info = source && this.#planOf(source);
      if (source && info) materializeDerived(this.#store, source, info);
      return false;
    }
    this.#store.markResume(run.id);
    this.#store.transition(runId, 'queued');
    this.pump();
    return true;
  }

  pauseSweep(sweepId: number): { interrupted: number } {
    this.#requireSweep(sweepId);
    this.#store.setSweepStatus(sweepId, 'pending');
    let interrupted = 0;
    for (const active of this.#active.values()) {
      if (active.run.sweepId === sweepId) {
        this.interruptRun(active.run.id);
        interrupted++;
      }
    }
    this.#emitProgress(sweepId);
    return { interrupted };
  }

  /** Resumes a sweep (or, without an id, every sweep with interrupted or queued runs). */
  resumeSweeps(sweepId?: number): { sweepIds: number[]; requeued: number } {
    const ids = sweepId !== undefined ? [this.#requireSweep(sweepId)] : this.#store.unfinishedSweepIds();
    let requeued = 0;
    for (const id of ids) {
      for (const run of this.#store.runsWithStatus('interrupted', id)) {
        // A derived run left half-recorded is recorded again from its source below, never trained.
        if (run.derivedFromRunId === null && this.resumeRun(run.id)) requeued++;
      }
      // A completed source whose derived runs were not all recorded (a crash in between) is finished here.
      for (const run of this.#store.runsOfSweep(id)) {
        if (run.status !== 'completed' || run.derivedFromRunId !== null) continue;
        const info = this.#planOf(run);
        if (info && info.derived.length > 0) materializeDerived(this.#store, run, info);
      }
      const sweep = this.#store.getSweep(id)!;
      if (sweep.status === 'pending') this.#store.setSweepStatus(id, 'running');
      this.#updateSweepStatus(id);
      this.#emitProgress(id);
    }
    this.pump();
    return { sweepIds: ids, requeued };
  }

  cancelSweep(sweepId: number): { canceled: number } {
    this.#requireSweep(sweepId);
    let canceled = 0;
    this.#store.setSweepStatus(sweepId, 'canceled');
    for (const run of this.#store.runsOfSweep(sweepId)) {
      if (run.status === 'queued' || run.status === 'interrupted') {
        this.#store.transition(run.id, 'canceled');
        canceled++;
      } else if (this.#active.has(run.id)) {
        this.cancelRun(run.id);
        canceled++;
      }
    }
    this.#emitProgress(sweepId);
    return { canceled };
  }

  reprioritize(target: { runId: number } | { sweepId: number }, priority: number): number {
    const changed = this.#store.setPriority(target, priority);
    this.pump();
    return changed;
  }

  #requireSweep(id: number): number {
    if (!this.#store.getSweep(id)) throw new KernelLabError('not_found', `Sweep ${id} does not exist`);
    return id;
  }

  #updateSweepStatus(sweepId: number): void {
    const sweep = this.#store.getSweep(sweepId);
    if (!sweep || sweep.status === 'canceled' || sweep.status === 'pending') return;
    const counts = sweep.runCounts;
    const open = (counts.queued ?? 0) + (counts.running ?? 0) + (counts.interrupted ?? 0);
    if (open > 0) {
      if (sweep.status !== 'running') this.#store.setSweepStatus(sweepId, 'running');
      return;
    }
    const plan = readSweepProgressPlan(this.#store, sweepId);
    const recorded = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    if (recorded < plan.planned) return;
    const status = (counts.completed ?? 0) > 0 ? 'completed' : 'failed';
    if (sweep.status !== status) this.#store.setSweepStatus(sweepId, status);
  }

  progress(sweepId: number): SweepProgress {
    const sweep = this.#store.getSweep(sweepId);
    if (!sweep) throw new KernelLabError('not_found', `Sweep ${sweepId} does not exist`);
    const runs = this.#store.runsOfSweep(sweepId);
    const plan = readSweepProgressPlan(this.#store, sweepId);
    const count = (s: RunStatus) => runs.filter((r) => r.status === s).length;
    const done = runs.filter((r) => finished.has(r.status)).length;
    const trained = runs.filter(
      (r) => r.derivedFromRunId === null && r.status === 'completed' && r.startedAt !== null && r.endedAt !== null,
    );
    const open = runs.filter(
      (r) => r.derivedFromRunId === null && (r.status === 'queued' || r.status === 'running' || r.status === 'interrupted'),
    );
    let etaSeconds: number | null = null;
    if (open.length === 0) etaSeconds = 0;
    else if (trained.length > 0) {
      const mean = trained.reduce((a, r) => a + (r.endedAt! - r.startedAt!), 0) / trained.length;
      const workers = Math.max(1, Math.min(this.#concurrency[this.#backend], open.length));
      const runningElapsed = runs
        .filter((r) => r.status === 'running' && r.startedAt !== null)
        .reduce((a, r) => a + Math.min(mean, Date.now() - r.startedAt!), 0);
      etaSeconds = Math.max(0, (open.length * mean - runningElapsed) / workers / 1000);
    }
    const current = Math.min(plan.planned, done + count('running'));
    return {
      sweepId,
      status: sweep.status,
      planned: plan.planned,
      impossible: plan.impossible,
      done,
      completed: count('completed'),
      failed: count('failed') + count('diverged'),
      canceled: count('canceled'),
      running: count('running'),
      queued: count('queued'),
      interrupted: count('interrupted'),
      derived: runs.filter((r) => r.derivedFromRunId !== null).length,
      etaSeconds,
      text:
        `run ${Math.max(current, Math.min(done + 1, plan.planned))} of ${plan.planned}` +
        (etaSeconds === null ? '' : etaSeconds === 0 ? ', done' : `, ETA ${formatDuration(etaSeconds)}`),
    };
  }

  #emitProgress(sweepId: number | null): void {
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
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    const pending = [...this.#active.values()].map((a) => {
      a.stopping = 'interrupt';
      a.execution.stop('interrupt');
      return a.execution.done.catch(() => undefined);
    });
    await Promise.all(pending);
    for (const resolve of this.#idleWaiters) resolve();
    this.#idleWaiters.clear();
  }
}

/** Planned and impossible point counts of a sweep, from the plan stored with it. */
function readSweepProgressPlan(store: RunStore, sweepId: number): { planned: number; impossible: number } {
  const sweep = store.getSweep(sweepId);
  const spec = (sweep?.spec ?? {}) as { plan?: { planned?: number; impossible?: unknown[] } };
  return { planned: spec.plan?.planned ?? store.runsOfSweep(sweepId).length, impossible: spec.plan?.impossible?.length ?? 0 };
}

function hasResumeMark(run: RunRecord): boolean {
  return run.environment.resumeFromCheckpoint === true;
}
