import type { AppInfo } from './contract/index.ts';
import type { DatasetTransfers } from './datasets/transfers.ts';
import type { RunStore } from './db/RunStore.ts';
import type { EngineInstalls } from './engine/installs.ts';
import type { EventBus } from './events.ts';
import type { Predictor } from './inspect/predictor.ts';
import type { DataDirLayout } from './home.ts';
import type { Scheduler } from './sweeps/scheduler.ts';
import type { GpuHostsWaiting } from './gpuhost/GpuHostsWaiting.ts';
import type { BackendProbes } from './training/probe.ts';
import type { WorkerLauncher } from './workerHost.ts';

export type Shell = AppInfo['shell'];

/**
 * Everything a service holds, built, started and stopped by createService (service.ts): the data
 * folder, the store, the event bus, how workers start, and the parts with state over time (the
 * scheduler, dataset transfers, engine installs, the backend probe). Handler modules take this
 * and adapt API calls to it; they import this type, never the service, and keep no state of
 * their own.
 */
export interface ServiceContext {
  readonly layout: DataDirLayout;
  readonly shell: Shell;
  readonly events: EventBus;
  readonly launchWorker: WorkerLauncher;
  readonly workerEntry: string;
  readonly startedAt: number;
  /** Where package.json and migrations/ are (see ServiceOptions.appRoot). */
  readonly appRoot: string;
  /** The experiment database, open for the service's lifetime (the one SQLite writer). */
  readonly store: RunStore;
  /** Aborted when the service closes: long work (downloads, imports) stops instead of holding the process. */
  readonly closing: AbortSignal;
  /** Claims queued runs and hands them to workers; running from the start except in the CLI (see sweeps/handlers.ts). */
  readonly scheduler: Scheduler;
  /** Pages lending a hardware GPU that wait for a run: the scheduler leaves them unpinned runs first. */
  readonly gpuHostsWaiting: GpuHostsWaiting;
  /** Dataset downloads and imports in flight. */
  readonly datasets: DatasetTransfers;
  /** Engine installs in flight. */
  readonly engines: EngineInstalls;
  /** Which tfjs backends load here (asked of a worker once). */
  readonly backends: BackendProbes;
  /** Runs trained models on images in a worker process kept warm between calls (filters need no model; feature maps and predictions do). */
  readonly predictor: Predictor;
}
