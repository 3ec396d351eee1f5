/**
 * How many runs train at once on this machine and how many CPU threads each computes with: the
 * machine's budget, shared by every process on the data folder through the settings table
 * (`workers` by backend, `threads`), under which a process may set its own cap. Which backend's
 * budget applies follows what unpinned runs really get, unless the user fixed it.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import type { BackendName } from '../contract/app.ts';
import type { RunRecord, RunStore } from '../db/RunStore.ts';
import { coded } from '../errors.ts';

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

export interface Concurrency {
  backend: BackendName;
  workers: number;
  perBackend: Record<BackendName, number>;
  running: number;
  thisProcess: number | null;
  maxWorkers: number;
  threadsSetting: number | null;
  threadsThisProcess: number | null;
  threads: { alone: number; shared: number };
}

export interface WorkerBudgetOptions {
  /** Backend the pool's workers use; picks which budget applies. */
  backend?: BackendName;
  /** The budget where none is set, per backend, over defaultConcurrency. Not stored. */
  defaultWorkers?: Partial<Record<BackendName, number>>;
  /** The most runs the budget may allow at once; default this machine's logical CPUs. */
  maxWorkers?: number;
}

/** One process's view of the machine's budget (the scheduler's `setBudget`, `concurrency`, `threadsFor`). */
export class WorkerBudget {
  readonly #store: RunStore;
  readonly #defaults: Record<BackendName, number>;
  readonly maxWorkers: number;
  /** This process's own cap, under the machine's budget (null: none). */
  #processCap: number | null = null;
  /** This process's own threads per run (`kernellab train|sweep --threads`), over the machine's setting. */
  #processThreads: number | null = null;
  #backend: BackendName;
  #backendPinnedByUser = false;

  constructor(store: RunStore, options: WorkerBudgetOptions = {}) {
    this.#store = store;
    this.#defaults = { ...defaultConcurrency(), ...options.defaultWorkers };
    this.maxWorkers = options.maxWorkers ?? availableParallelism();
    this.#backend = options.backend ?? 'wasm';
  }

  get backend(): BackendName {
    return this.#backend;
  }

  /** The machine's worker budget by backend: the shared setting, or one per physical core (one for tensorflow). */
  budget(): Record<BackendName, number> {
    const stored = StoredBudget.safeParse(this.#store.getSetting(workersSetting));
    return { ...this.#defaults, ...(stored.success ? stored.data : {}) };
  }

  /** How many runs this process may have training now: the machine's budget, capped by this process's own limit. */
  limit(): number {
    const machine = this.budget()[this.#backend];
    return this.#processCap === null ? machine : Math.min(machine, this.#processCap);
  }

  concurrency(): Concurrency {
    return {
      backend: this.#backend,
      workers: this.limit(),
      perBackend: this.budget(),
      running: this.#store.runningOnThisMachine(),
      thisProcess: this.#processCap,
      maxWorkers: this.maxWorkers,
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
    return this.#processThreads ?? this.#machineThreads() ?? threadsPerRun(availableParallelism(), this.limit(), alone);
  }

  /**
   * Changes how many runs train at once and/or how many CPU threads each computes with: on this
   * machine, for every process on the data folder (scope 'machine', saved), or in this process
   * only. Threads null returns to automatic. Both are checked before either changes. More than the
   * machine has CPUs is refused: the runs or threads would only take turns on the same cores.
   */
  set(change: { workers?: number; threads?: number | null }, backend: BackendName, scope: 'machine' | 'process'): void {
    const { workers, threads } = change;
    if (workers !== undefined) {
      if (!Number.isInteger(workers) || workers < 1)
        throw coded('invalid_input', `workers: ${workers} is not a whole number of at least 1`, 'error_workers_not_whole', { workers });
      if (workers > this.maxWorkers)
        throw coded(
          'invalid_input',
          `workers: ${workers} is more than this machine can train at once (${this.maxWorkers}, one per CPU); runs beyond that would only take turns on the same cores`,
          'error_workers_too_many',
          { workers, cpus: this.maxWorkers },
          [`workers: at most ${this.maxWorkers} on this machine`],
        );
    }
    if (threads !== undefined && threads !== null) {
      if (!Number.isInteger(threads) || threads < 1)
        throw coded('invalid_input', `threads: ${threads} is not a whole number of at least 1`, 'error_threads_not_whole', { threads });
      if (threads > this.maxWorkers)
        throw coded(
          'invalid_input',
          `threads: ${threads} is more threads per run than this machine has CPUs (${this.maxWorkers}); threads beyond that would only take turns on the same cores`,
          'error_threads_too_many',
          { threads, cpus: this.maxWorkers },
          [`threads: at most ${this.maxWorkers} on this machine`],
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
  }

  /** Fixes which backend's limit applies (otherwise it follows what unpinned runs get). */
  pinBackend(backend: BackendName): void {
    this.#backend = backend;
    this.#backendPinnedByUser = true;
  }

  /**
   * The pool's limit follows the backend unpinned runs really get (the worker records it at
   * trainBegin): one per physical core for wasm/cpu, one per GPU once tensorflow turns out to load.
   */
  learnBackend(run: RunRecord): void {
    const pinned = (run.hyperparameters as { backend?: unknown }).backend;
    if (pinned !== undefined || !['tensorflow', 'wasm', 'cpu'].includes(run.backend)) return;
    if (run.backend !== this.#backend && !this.#backendPinnedByUser) this.#backend = run.backend as BackendName;
  }
}
