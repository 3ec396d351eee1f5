/**
 * The scheduler: the one way runs start. The queue is the `runs` table itself (status 'queued',
 * priority, age), so it survives restarts and is shared by every process on the database; each
 * process claims runs atomically and hands each to its Executor (execution.ts), which reports
 * events and one outcome. The scheduler records the events fenced by the run's lease and ends the
 * run in one place, `settle(outcome)`.
 *
 * - How many runs train at once on this machine is one budget shared by every process on the data
 *   folder (the `workers` setting; one per physical core for wasm/cpu, one per GPU for tensorflow
 *   by default): a claim happens only while fewer runs than that train here, in any process.
 *   A process may also cap its own share (`kernellab sweep --workers`).
 * - Scope: the desktop app and `kernellab serve` take any runnable run; the CLI takes only the runs
 *   it queued for itself (`train`) and the sweeps it follows, never another sweep's.
 * - Leases: a live execution's lease is renewed on every tick while it reports; a write or a
 *   renewal refused because the lease is gone (another process recovered the run after this one
 *   stalled) stops the execution at once, and its outcome is never recorded. An execution that
 *   reports nothing for `stallMs` is stopped and its run queued again to resume from its
 *   checkpoint; runs another process abandoned (expired lease) are recovered on the next tick.
 * - Pause a sweep: its status goes back to 'pending' (its queued runs are skipped by the claim)
 *   and its running runs are interrupted, resumable from their last checkpoint.
 * - Resume: interrupted runs go back to the queue (the executor resumes them from checkpoints)
 *   and the sweep is 'running' again. After a crash RunStore.open has already marked the dead
 *   process's runs interrupted; `sweeps.resume` / `kernellab sweep resume` queues them again.
 * - Epoch folding: when a trained run that other points were folded into completes, the derived
 *   runs are recorded from its per-epoch metrics and evaluations (folding.ts).
 * - Search (searchDriver.ts): at each epoch's end a sweep run's pruner may stop it (it ends
 *   `pruned`, through settle like every end); before claiming, a TPE sweep gets its next points
 *   proposed from its finished ones, and a sweep past its time budget stops starting runs.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { BackendName } from '../contract/app.ts';
import { mebibyte } from '../contract/inspect.ts';
import type { RunStatus } from '../contract/runs.ts';
import { DatabaseError } from '../db/database.ts';
import { leaseOf, LeaseLost, type ClaimScope, type Lease, type RunRecord, type RunStore } from '../db/RunStore.ts';
import { KernelLabError } from '../errors.ts';
import type { EventBus } from '../events.ts';
import { snapshotLimitMiB } from '../inspect/snapshotLimit.ts';
import { RunRecorder, settle, type Execution, type Executor, type RunEvent, type RunJob, type RunOutcome } from './execution.ts';
import { intermediateSplit, materializeDerived, readSweepPlan, type SweepRunInfo } from './folding.ts';
import { plannedRuns, pruneDecision, readPlan, searchOf, topUp } from './searchDriver.ts';
import { bulkChunk, removeSweep } from './queueing.ts';
import type { PruneDecision } from './search/pruner.ts';
import { formatDuration, type Sweep, type SweepProgress } from '../contract/sweeps.ts';

export interface SchedulerOptions {
  store: RunStore;
  events: EventBus;
  executor: Executor;
  /** Backend the pool's workers use; picks which budget applies. */
  backend?: BackendName;
  /** Sets this machine's worker budget (per backend), as `setConcurrency` does; tests give one. */
  concurrency?: Partial<Record<BackendName, number>>;
  /** The budget where none is set, per backend, over defaultConcurrency (tensorflow: sized by the installed engine). Not stored. */
  defaultWorkers?: Partial<Record<BackendName, number>>;
  /** 'own': claim only runs reserved for this process, the runs it queued or resumed and the sweeps it adopts (the CLI). Default 'any'. */
  scope?: 'any' | 'own';
  /**
   * false: this process answers one request and exits (`kernellab call`), so it claims nothing —
   * a run it claimed would be interrupted at once by its exit; what it queues waits for a process
   * that stays and trains (the app, `kernellab serve`). Default true.
   */
  trains?: boolean;
  /** How often to look for runs queued by another process and to renew leases (ms). */
  pollMs?: number;
  leaseMs?: number;
  /** An execution that reports nothing for this long is stopped and queued again (ms); default 10 minutes. */
  stallMs?: number;
  /** The most runs the budget may allow at once; default this machine's logical CPUs. */
  maxWorkers?: number;
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
  // tensorflow without an engine to size it by (sweeps/handlers.ts passes tensorflowWorkers): one.
  return { wasm: cores, cpu: cores, tensorflow: 1 };
}

/** The machine's worker budget as stored in the settings table (`workers`), by backend. */
const workersSetting = 'workers';
const StoredBudget = z
  .object({ wasm: z.number().int().positive(), cpu: z.number().int().positive(), tensorflow: z.number().int().positive() })
  .partial();
/** CPU threads per run set for this machine (`threads`); absent: automatic (threadsPerRun). */
const threadsSetting = 'threads';
const StoredThreads = z.number().int().positive();

interface Active {
  run: RunRecord;
  lease: Lease;
  execution: Execution | null;
  stopping: 'cancel' | 'interrupt' | null;
  startedAt: number;
  /** When the execution last reported anything (stall detection). */
  lastHeard: number;
  /** The lease is gone: nothing of this execution is recorded any more. */
  lost: boolean;
  /** Why the scheduler itself ended the execution (a write it could not make, a stall), overriding its outcome. */
  override: RunOutcome | null;
  /** Queue the run again once it has stopped (a stalled execution). */
  requeue: boolean;
  /** Its sweep's pruner stopped it at an epoch's end: it ends pruned once its worker has stopped. */
  pruned: Extract<PruneDecision, { prune: true }> | null;
  /** Resolves once the outcome is settled and the run's sweep updated. */
  settled: Promise<void>;
}

/**
 * A worker reports progress about four times a second while it trains; loading a large dataset or
 * one long batch on a slow machine stays far below ten minutes of silence.
 */
const defaultStallMs = 10 * 60_000;

const finished = new Set<RunStatus>(['completed', 'failed', 'canceled', 'diverged', 'pruned']);

export class Scheduler {
  readonly #store: RunStore;
  readonly #events: EventBus;
  readonly #executor: Executor;
  readonly #pollMs: number;
  readonly #leaseMs: number;
  readonly #stallMs: number;
  readonly #maxWorkers: number;
  readonly #defaults: Record<BackendName, number>;
  readonly #scope: 'any' | 'own';
  readonly #trains: boolean;
  /** Sweeps a scheduler with scope 'own' runs (the ones its process started or resumed). */
  readonly #adopted = new Set<number>();
  /** Single runs a scheduler with scope 'own' runs (queued or resumed by its process). */
  readonly #adoptedRuns = new Set<number>();
  /** This process's own cap, under the machine's budget (null: none). */
  #processCap: number | null = null;
  /** This process's own threads per run (`kernellab train|sweep --threads`), over the machine's setting. */
  #processThreads: number | null = null;
  #backend: BackendName;
  #backendPinnedByUser = false;
  readonly #active = new Map<number, Active>();
  readonly #plans = new Map<number, SweepRunInfo>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #pumping = false;
  readonly #idleWaiters = new Set<() => void>();
  /** Stops asked for runs that agents hold (by run id), until the agent settles them. */
  readonly #remoteStops = new Map<number, 'cancel' | 'interrupt'>();
  /** Runs agents hold that their sweep's pruner stopped. */
  readonly #remotePruned = new Map<number, Extract<PruneDecision, { prune: true }>>();

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#executor = options.executor;
    this.#pollMs = options.pollMs ?? 1000;
    this.#leaseMs = options.leaseMs ?? options.store.leaseMs;
    this.#stallMs = options.stallMs ?? defaultStallMs;
    this.#maxWorkers = options.maxWorkers ?? availableParallelism();
    this.#defaults = { ...defaultConcurrency(), ...options.defaultWorkers };
    this.#scope = options.scope ?? 'any';
    this.#trains = options.trains ?? true;
    this.#backend = options.backend ?? 'wasm';
    for (const [backend, workers] of Object.entries(options.concurrency ?? {}) as [BackendName, number][]) {
      this.setConcurrency(workers, backend);
    }
  }

  get owner(): string {
    return this.#store.owner;
  }

  /** The machine's worker budget by backend: the shared setting, or one per physical core (one for tensorflow). */
  budget(): Record<BackendName, number> {
    const stored = StoredBudget.safeParse(this.#store.getSetting(workersSetting));
    return { ...this.#defaults, ...(stored.success ? stored.data : {}) };
  }

  /** How many runs this process may have training now: the machine's budget, capped by this process's own limit. */
  #limit(): number {
    const machine = this.budget()[this.#backend];
    return this.#processCap === null ? machine : Math.min(machine, this.#processCap);
  }

  concurrency(): {
    backend: BackendName;
    workers: number;
    perBackend: Record<BackendName, number>;
    running: number;
    thisProcess: number | null;
    maxWorkers: number;
    threadsSetting: number | null;
    threadsThisProcess: number | null;
    threads: { alone: number; shared: number };
  } {
    return {
      backend: this.#backend,
      workers: this.#limit(),
      perBackend: this.budget(),
      running: this.#store.runningOnThisMachine(),
      thisProcess: this.#processCap,
      maxWorkers: this.#maxWorkers,
      threadsSetting: this.#machineThreads(),
      threadsThisProcess: this.#processThreads,
      threads: { alone: this.threadsFor(true), shared: this.threadsFor(false) },
    };
  }

  /** The machine's threads per run as saved, or null (automatic). */
  #machineThreads(): number | null {
    const stored = StoredThreads.safeParse(this.#store.getSetting(threadsSetting));
    return stored.success ? stored.data : null;
  }

  /**
   * CPU threads for a run starting now: this process's own setting, else the machine's, else
   * automatic — every core for a run alone, an equal share of the cores among the runs at once.
   */
  threadsFor(alone: boolean): number {
    return this.#processThreads ?? this.#machineThreads() ?? threadsPerRun(availableParallelism(), this.#limit(), alone);
  }

  /**
   * Changes how many runs train at once and/or how many CPU threads each computes with: on this
   * machine, for every process on the data folder (scope 'machine', saved), or in this process
   * only. Threads null returns to automatic. Both are checked before either changes. Takes effect
   * for runs that start from now on (running ones keep their threads; extra runs are not stopped).
   * More than the machine has CPUs is refused: the runs or threads would only take turns on the
   * same cores.
   */
  setBudget(
    change: { workers?: number; threads?: number | null },
    backend: BackendName = this.#backend,
    scope: 'machine' | 'process' = 'machine',
  ): void {
    const { workers, threads } = change;
    if (workers !== undefined) {
      if (!Number.isInteger(workers) || workers < 1)
        throw new KernelLabError('invalid_input', `workers: ${workers} is not a whole number of at least 1`);
      if (workers > this.#maxWorkers)
        throw new KernelLabError(
          'invalid_input',
          `workers: ${workers} is more than this machine can train at once (${this.#maxWorkers}, one per CPU); runs beyond that would only take turns on the same cores`,
          [`workers: at most ${this.#maxWorkers} on this machine`],
        );
    }
    if (threads !== undefined && threads !== null) {
      if (!Number.isInteger(threads) || threads < 1)
        throw new KernelLabError('invalid_input', `threads: ${threads} is not a whole number of at least 1`);
      if (threads > this.#maxWorkers)
        throw new KernelLabError(
          'invalid_input',
          `threads: ${threads} is more threads per run than this machine has CPUs (${this.#maxWorkers}); threads beyond that would only take turns on the same cores`,
          [`threads: at most ${this.#maxWorkers} on this machine`],
        );
    }
    if (scope === 'process') {
      if (workers !== undefined) this.#processCap = workers;
      if (threads !== undefined) this.#processThreads = threads;
    } else {
      if (workers !== undefined) {
        const stored = StoredBudget.safeParse(this.#store.getSetting(workersSetting));
        this.#store.setSetting(workersSetting, { ...(stored.success ? stored.data : {}), [backend]: workers });
      }
      if (threads !== undefined) this.#store.setSetting(threadsSetting, threads);
    }
    this.pump();
  }

  /** Changes how many runs train at once (setBudget with workers only). */
  setConcurrency(workers: number, backend: BackendName = this.#backend, scope: 'machine' | 'process' = 'machine'): void {
    this.setBudget({ workers }, backend, scope);
  }

  /** Fixes which backend's limit applies (otherwise it follows what unpinned runs get). */
  setBackend(backend: BackendName): void {
    this.#backend = backend;
    this.#backendPinnedByUser = true;
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
        // Left half-queued by a process that ended (sweeps.start never returned): a failed start queues nothing.
        const queueingBy = readPlan(sweep).queueing;
        if (sweep.status === 'pending' && queueingBy && this.#store.ownerGone(queueingBy)) {
          removeSweep(this.#store, sweep.id).catch((error: unknown) =>
            console.error(`scheduler: removing half-queued sweep ${sweep.id} failed:`, error instanceof Error ? error.message : error),
          );
          continue;
        }
        if (sweep.status !== 'running') continue;
        for (const run of this.#store.runsOfSweep(sweep.id)) {
          if ((run.status !== 'completed' && run.status !== 'pruned') || run.derivedFromRunId !== null) continue;
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

  /** Claims queued runs while this process and this machine have a free slot. */
  pump(): void {
    if (!this.#running || this.#pumping) return;
    this.#pumping = true;
    try {
      this.#supplySweeps();
      while (this.#active.size < this.#limit()) {
        const run = this.#store.claimNextRunnable(this.owner, this.#leaseMs, {
          budget: this.budget()[this.#backend],
          scope: this.#claimScope(),
        });
        if (!run) break;
        this.#launch(run);
      }
    } finally {
      this.#pumping = false;
    }
    this.#checkIdle();
  }

  /**
   * Running sweeps this scheduler may run get what their search asks for before runs are claimed:
   * TPE's next points, and past a time budget no new starts. A failure here never stops the
   * claims: the sweep is supplied again on the next tick.
   */
  #supplySweeps(): void {
    for (const sweep of this.#store.listSweeps()) {
      if (sweep.status !== 'running' || (this.#scope === 'own' && !this.#adopted.has(sweep.id))) continue;
      const search = searchOf(sweep);
      if (!search || (search.spec.method !== 'tpe' && search.deadline === null) || readPlan(sweep).closed) continue;
      try {
        if (topUp(this.#store, sweep, search, this.#limit()) > 0) this.emitProgress(sweep.id);
      } catch (error) {
        console.error(`scheduler: supplying sweep ${sweep.id} failed:`, error instanceof Error ? error.message : error);
      }
    }
  }

  /** At an epoch's end: whether the run's sweep's pruner stops it. */
  #checkPrune(active: Active, epoch: number): void {
    const { run } = active;
    if (run.sweepId === null || active.pruned || active.stopping) return;
    const sweep = this.#store.getSweep(run.sweepId);
    const search = sweep && searchOf(sweep);
    if (!search?.pruner) return;
    const decision = pruneDecision(this.#store, run, epoch, search);
    if (!decision.prune) return;
    active.pruned = decision;
    active.execution?.stop('cancel');
  }

  #launch(run: RunRecord): void {
    this.#events.emit('run.updated', { runId: run.id, status: 'running', summary: this.#store.summary(run.id) });
    const lease = leaseOf(run);
    // Every core when the run is alone here; an equal share when others run or wait (threadsPerRun);
    // or what the user set (threadsFor).
    const alone = this.#active.size === 0 && !this.#store.hasClaimableRun(this.owner, this.#claimScope());
    const job: RunJob = {
      run,
      lease,
      ...this.executionPlan(run),
      threads: this.threadsFor(alone),
      snapshotLimitBytes: snapshotLimitMiB(this.#store) * mebibyte,
    };
    const active: Active = {
      run,
      lease,
      execution: null,
      stopping: null,
      startedAt: Date.now(),
      lastHeard: Date.now(),
      lost: false,
      override: null,
      requeue: false,
      pruned: null,
      settled: Promise.resolve(),
    };
    const recorder = new RunRecorder(this.#store, this.#events, lease);
    const emit = (event: RunEvent) => {
      active.lastHeard = Date.now();
      if (active.lost || active.override) return;
      try {
        recorder.record(event);
      } catch (error) {
        this.#recordingFailed(active, event, error);
        return;
      }
      if (event.type !== 'epoch') return;
      try {
        this.#checkPrune(active, event.epoch);
      } catch (error) {
        // A pruning decision that cannot be made leaves the run training.
        console.error(`scheduler: pruning check for run ${run.id} failed:`, error instanceof Error ? error.message : error);
      }
    };
    try {
      active.execution = this.#executor.start(job, emit);
    } catch (error) {
      settle(this.#store, lease, {
        kind: 'failed',
        error: `could not start a worker: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    // A backfill at start may already have found the lease gone or a write impossible.
    if (active.lost) active.execution.stop('abandon');
    else if (active.override) active.execution.stop('interrupt');
    this.#active.set(run.id, active);
    this.emitProgress(run.sweepId);
    active.settled = active.execution.outcome
      .catch((error: unknown): RunOutcome => ({ kind: 'failed', error: error instanceof Error ? error.message : String(error) }))
      .then((outcome) => {
        this.#active.delete(run.id);
        // Nothing here may reject: an unhandled rejection would take the whole app down.
        try {
          if (!active.lost && !settle(this.#store, lease, active.override ?? prunedOutcome(active.pruned, outcome)))
            console.error(`scheduler: run ${run.id} is no longer held by this process; its end here (${outcome.kind}) is not recorded`);
          if (active.requeue) this.#store.requeue(run.id);
          this.#afterRun(run.id);
          this.pump();
        } catch (error) {
          if (this.#store.isOpen) console.error(`scheduler: after run ${run.id}:`, error);
        }
      });
  }

  /**
   * What an execution of a claimed run must do besides training it: resume from its checkpoint
   * (an interrupted run queued again), from which epoch the store has its metrics, and which
   * epoch-folding evaluations are still missing. The same for every executor, here or remote.
   */
  executionPlan(run: RunRecord): Pick<RunJob, 'resume' | 'recordedEpochs' | 'evaluateAtEpochs'> {
    const info = this.#planOf(run);
    const resume = hasResumeMark(run);
    const recorded = resume ? this.#store.runDetail(run.id) : null;
    return {
      resume,
      recordedEpochs: recorded?.summary.find((m) => m.key === 'loss')?.lastStep ?? 0,
      // Only the folding evaluations not yet recorded (a resumed run has some already).
      evaluateAtEpochs: (info?.evaluateAtEpochs ?? []).filter((e) => !recorded?.evaluations.some((x) => x.split === intermediateSplit(e))),
    };
  }

  /**
   * A remote executor (an agent, through the server) claimed a run of a sweep: open views hear
   * of it as of a local start.
   */
  startedElsewhere(run: RunRecord): void {
    this.#events.emit('run.updated', { runId: run.id, status: 'running', summary: this.#store.summary(run.id) });
    this.emitProgress(run.sweepId);
  }

  /**
   * A run a remote executor held was settled (agent.finish): what follows a run's end here
   * follows it too (derived runs of epoch folding, the sweep's status and progress).
   */
  endedElsewhere(runId: number): void {
    this.#remoteStops.delete(runId);
    this.#remotePruned.delete(runId);
    this.#afterRun(runId);
  }

  /**
   * A remote executor reported a run's epochs up to `epoch`: its sweep's pruner may stop it, as a
   * local run is stopped (the stop goes out with the answer, and the end it reports becomes pruned).
   */
  remoteEpochs(run: RunRecord, epoch: number): void {
    if (run.sweepId === null || this.#remotePruned.has(run.id)) return;
    const sweep = this.#store.getSweep(run.sweepId);
    const search = sweep && searchOf(sweep);
    if (!search?.pruner) return;
    const decision = pruneDecision(this.#store, run, epoch, search);
    if (!decision.prune) return;
    this.#remotePruned.set(run.id, decision);
    this.#remoteStops.set(run.id, 'cancel');
  }

  /** The end a remote executor reported, as it is settled: pruned when its sweep's pruner stopped it. */
  remoteOutcome(runId: number, outcome: RunOutcome): RunOutcome {
    return prunedOutcome(this.#remotePruned.get(runId) ?? null, outcome);
  }

  /** A stop asked for a run a remote executor holds, delivered with its next report or heartbeat. */
  remoteStop(runId: number): 'cancel' | 'interrupt' | null {
    return this.#remoteStops.get(runId) ?? null;
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

  #afterRun(runId: number): void {
    const after = this.#store.getRun(runId);
    if (!after) return;
    this.#learnBackend(after);
    if (after.sweepId !== null) {
      const info = this.#planOf(after);
      if (info && info.derived.length > 0) materializeDerived(this.#store, after, info);
      this.#updateSweepStatus(after.sweepId);
      this.emitProgress(after.sweepId);
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
   * Every poll: renew the leases of this process's live executions (a stalled one is stopped and
   * queued again; a refused renewal means another process took the run, and the execution stops
   * at once), recover runs other processes abandoned, and obey sweep controls given by another
   * process on the same database (`kernellab sweep` pausing or canceling what the app runs).
   */
  #tick(): void {
    const now = Date.now();
    for (const [id, active] of this.#active) {
      if (active.lost || active.override) continue;
      if (now - active.lastHeard > this.#stallMs) {
        const seconds = Math.round((now - active.lastHeard) / 1000);
        active.override = {
          kind: 'interrupted',
          error: `its worker reported nothing for ${seconds} s and was stopped; it resumes from its last checkpoint`,
        };
        active.requeue = true;
        active.execution?.stop('abandon');
        continue;
      }
      if (!this.#store.renewLease(active.lease, this.#leaseMs)) {
        active.lost = true;
        console.error(`scheduler: run ${id} is no longer held by this process (attempt ${active.lease.attempt}); its worker is stopped`);
        active.execution?.stop('abandon');
        continue;
      }
      if (active.stopping || active.run.sweepId === null) continue;
      const status = this.#store.getSweep(active.run.sweepId)?.status;
      if (status === 'canceled') this.cancelRun(id);
      else if (status === 'pending') this.interruptRun(id);
    }
    // Runs whose holder stopped renewing (another process stalled or died): a running sweep's go
    // back to the queue, resuming from their checkpoints.
    for (const runId of this.#store.recoverInterrupted(now)) {
      const run = this.#store.getRun(runId);
      if (run?.sweepId != null && this.#store.getSweep(run.sweepId)?.status === 'running' && run.derivedFromRunId === null)
        this.#store.requeue(runId);
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
    if (this.#running && this.#store.hasClaimableRun(this.owner, this.#claimScope())) return;
    for (const resolve of this.#idleWaiters) resolve();
    this.#idleWaiters.clear();
  }

  // ── control ─────────────────────────────────────────────────────────────

  cancelRun(runId: number): RunStatus {
    const run = this.#store.getRun(runId);
    if (!run) throw new KernelLabError('not_found', `Run ${runId} does not exist`);
    const active = this.#active.get(runId);
    if (active) {
      active.stopping = 'cancel';
      active.execution?.stop('cancel');
      return 'running';
    }
    if (run.status === 'queued' || run.status === 'interrupted') {
      this.#store.transition(runId, 'canceled');
      if (run.sweepId !== null) {
        this.#updateSweepStatus(run.sweepId);
        this.emitProgress(run.sweepId);
      }
      return 'canceled';
    }
    if (run.status === 'running' && run.workerOwner?.startsWith('agent:')) {
      this.#remoteStops.set(runId, 'cancel');
      return 'running';
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
      if (run.status === 'running' && run.workerOwner?.startsWith('agent:')) {
        if (this.#remoteStops.get(runId) !== 'cancel') this.#remoteStops.set(runId, 'interrupt');
        return true;
      }
      if (run.status === 'running')
        throw new KernelLabError(
          'conflict',
          `Run ${runId} is running in another process (${run.workerOwner ?? 'unknown'}); pause it there`,
        );
      return false;
    }
    active.stopping = 'interrupt';
    active.execution?.stop('interrupt');
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
    if (!this.#store.requeue(run.id)) return false;
    this.adoptRun(run.id);
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
      // A completed source whose derived runs were not all recorded (a crash in between) is finished here.
      for (const run of this.#store.runsOfSweep(id)) {
        if ((run.status !== 'completed' && run.status !== 'pruned') || run.derivedFromRunId !== null) continue;
        const info = this.#planOf(run);
        if (info && info.derived.length > 0) materializeDerived(this.#store, run, info);
      }
      const sweep = this.#store.getSweep(id)!;
      if (sweep.status === 'pending') this.#store.setSweepStatus(id, 'running');
      this.#updateSweepStatus(id);
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
    let canceled = 0;
    for (let n = this.#store.cancelOpenRuns(sweepId, bulkChunk); n > 0; n = this.#store.cancelOpenRuns(sweepId, bulkChunk)) {
      canceled += n;
      this.emitProgress(sweepId);
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const active of this.#active.values()) {
      if (active.run.sweepId !== sweepId) continue;
      this.cancelRun(active.run.id);
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
    const recorded = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
    if (recorded < this.#planned(sweep, recorded)) return;
    const status = (counts.completed ?? 0) > 0 ? 'completed' : 'failed';
    if (sweep.status !== status) this.#store.setSweepStatus(sweepId, status);
  }

  /**
   * How many runs a sweep plans now (plannedRuns), read without loading its runs: only its pruned
   * ones, which are few, say which folded runs were never reached.
   */
  #planned(sweep: Sweep, recorded: number): number {
    return plannedRuns(sweep, this.#store.runsWithStatus('pruned', sweep.id), recorded);
  }

  /** Where a sweep stands, counted in SQL (a sweep of 10⁵ runs costs two indexed queries, not 10⁵ rows). */
  progress(sweepId: number): SweepProgress {
    const sweep = this.#store.getSweep(sweepId);
    if (!sweep) throw new KernelLabError('not_found', `Sweep ${sweepId} does not exist`);
    const stats = this.#store.sweepStats(sweepId);
    const count = (s: RunStatus) => stats.counts[s] ?? 0;
    const recorded = Object.values(stats.counts).reduce((a, b) => a + (b ?? 0), 0);
    const planned = this.#planned(sweep, recorded);
    const stored = readPlan(sweep);
    const done = [...finished].reduce((a, s) => a + count(s), 0);
    let etaSeconds: number | null = null;
    if (stats.open === 0) etaSeconds = 0;
    else if (stats.trained > 0) {
      const mean = stats.trainedMs / stats.trained;
      const workers = Math.max(1, Math.min(this.#limit(), stats.open));
      const runningElapsed = stats.runningSince.reduce((a, since) => a + Math.min(mean, Date.now() - since), 0);
      etaSeconds = Math.max(0, (stats.open * mean - runningElapsed) / workers / 1000);
    }
    const current = Math.min(planned, done + count('running'));
    const queueing =
      stored.queueing !== null && sweep.status === 'pending' ? { queued: count('queued'), total: stored.trained ?? planned } : null;
    return {
      sweepId,
      status: sweep.status,
      planned,
      impossible: stored.impossibleCount ?? stored.impossible.length,
      done,
      completed: count('completed'),
      failed: count('failed') + count('diverged'),
      canceled: count('canceled'),
      running: count('running'),
      queued: count('queued'),
      interrupted: count('interrupted'),
      pruned: count('pruned'),
      derived: stats.derived,
      etaSeconds: queueing ? null : etaSeconds,
      text: queueing
        ? `queueing ${queueing.queued.toLocaleString('en')} of ${queueing.total.toLocaleString('en')} runs`
        : `run ${Math.max(current, Math.min(done + 1, planned))} of ${planned}` +
          (etaSeconds === null ? '' : etaSeconds === 0 ? ', done' : `, ETA ${formatDuration(etaSeconds)}`),
      queueing,
    };
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
    this.#running = false;
    if (this.#timer) clearInterval(this.#timer);
    const pending = [...this.#active.values()].map((a) => {
      a.stopping = 'interrupt';
      a.execution?.stop('interrupt');
      return a.settled;
    });
    await Promise.all(pending);
    for (const resolve of this.#idleWaiters) resolve();
    this.#idleWaiters.clear();
  }
}

/**
 * The outcome of an execution its sweep's pruner stopped: pruned, unless it ended some other way
 * first (a failure, a divergence, a pause) — a run stopped on request reports canceled.
 */
function prunedOutcome(pruned: Active['pruned'], outcome: RunOutcome): RunOutcome {
  if (!pruned || (outcome.kind !== 'canceled' && outcome.kind !== 'completed')) return outcome;
  return { kind: 'pruned', reason: pruned.reason, epoch: pruned.epoch, rung: pruned.rung };
}

function hasResumeMark(run: RunRecord): boolean {
  return run.environment.resumeFromCheckpoint === true;
}
