import type { AppInfo } from './contract/index.ts';
import type { RunStore } from './db/RunStore.ts';
import type { EventBus } from './events.ts';
import type { DataDirLayout } from './home.ts';
import type { WorkerLauncher } from './workerHost.ts';

export type Shell = AppInfo['shell'];

/**
 * What every handler module is given: the data folder, the store, the event bus and how to start
 * workers. createService (service.ts) builds it; handlers import this type, never the service.
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
}
