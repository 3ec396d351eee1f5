/** What a Scheduler (scheduler.ts) is built with: its store, events, executor, scope and timings. */
import type { BackendName } from '../contract/app.ts';
import type { EventBus } from '../events.ts';
import type { RunStore } from '../db/RunStore.ts';
import type { Executor } from './execution.ts';
import type { WorkerBudgetOptions } from './workerBudget.ts';

export interface SchedulerOptions extends WorkerBudgetOptions {
  store: RunStore;
  events: EventBus;
  executor: Executor;
  /** Sets this machine's worker budget (per backend), as `setConcurrency` does; tests give one. */
  concurrency?: Partial<Record<BackendName, number>>;
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
  /**
   * Runs that pin no backend queued after the time this returns are left for another executor
   * that waits for them (a page lending a hardware GPU: gpuhost/GpuHostsWaiting.ts); null leaves none.
   */
  leaveUnpinned?: (now: number) => number | null;
}

/** A worker reports progress about four times a second; loading a large dataset stays far below ten minutes of silence. */
export const defaultStallMs = 10 * 60_000;
