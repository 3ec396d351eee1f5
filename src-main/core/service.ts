import { accessSync, constants, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { version as tfjsVersion } from '@tensorflow/tfjs-core/dist/version.js';
import { invalidInput, KernelLabError } from './errors.ts';
import { EventBus } from './events.ts';
import { datasetsHandlers } from './datasets/handlers.ts';
import { enginesHandlers } from './engine/handlers.ts';
import { engineDir, engineProcessEnv, readManifest } from './engine/layout.ts';
import { RunStore } from './db/RunStore.ts';
import { runsHandlers } from './db/handlers.ts';
import { closeScheduler, runControlHandlers, sweepsHandlers } from './sweeps/handlers.ts';
import { trainingHandlers } from './training/handlers.ts';
import { ensureDataDir } from './home.ts';
import { probeBackendsInWorker } from './training/probe.ts';
import { forkWorker, type WorkerLauncher } from './workerHost.ts';
import type { CallContext, Handlers } from './contract/define.ts';
import {
  backendOrder,
  isMethodName,
  methods,
  type BackendProbe,
  type MethodName,
  type MethodOutput,
  type Methods,
} from './contract/index.ts';
import type { ServiceContext, Shell } from './context.ts';

// What the shells need besides the contract and the errors comes through here, so a shell never
// reaches into the rest of core (eslint.config.js: shellMayImport).
export type { ServiceContext, Shell } from './context.ts';
export { resolveDataDir } from './home.ts';
export type { WorkerHandle, WorkerLauncher } from './workerHost.ts';

export interface ServiceOptions {
  dataDir: string;
  shell: Shell;
  /** How workers are started; defaults to child_process.fork. */
  launchWorker?: WorkerLauncher;
  /** Path of the worker entry; defaults to the TypeScript source (Node runs it with type stripping). */
  workerEntry?: string;
  /**
   * The folder holding package.json and migrations/. Defaults to the source checkout; the
   * Electron shell passes app.getAppPath(), since bundling moves this file.
   */
  appRoot?: string;
  /**
   * Where dataset downloads come from instead of the home sites (a folder, https, or http on this
   * machine); defaults to KERNELLAB_DATASET_MIRROR. Configuration of the process, never of a request.
   */
  datasetMirror?: string;
  /**
   * How long a running run's lease lasts without a renewal (ms; default two minutes). A process
   * that stalls longer loses its runs to the others on the data folder; fault tests shorten it.
   */
  leaseMs?: number;
}

/** The API every shell exposes: one entry point that validates, dispatches and returns. */
export interface Service {
  /** `signal`: the caller is gone (a closed HTTP request); handlers that take long stop on it. */
  call<M extends MethodName>(name: M, input: unknown, options?: { signal?: AbortSignal }): Promise<MethodOutput<M>>;
  readonly events: EventBus;
  readonly context: ServiceContext;
  close(): Promise<void>;
}

const defaultWorkerEntry = fileURLToPath(new URL('./training/worker.ts', import.meta.url));

const defaultAppRoot = fileURLToPath(new URL('../../', import.meta.url));

function readAppVersion(appRoot: string): string {
  const pkg = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Every worker gets the installed tensorflow engine in its environment (its folder, and for a GPU
 * engine the CUDA libraries on its library path — for that process only). Read at each start, so
 * an engine installed or removed while the app runs is what the next run gets.
 */
function withEngine(launch: WorkerLauncher, enginesDir: string): WorkerLauncher {
  return (entry, args, env) => {
    const dir = engineDir(enginesDir, 'tensorflow');
    const disk = readManifest(dir);
    const engineEnv =
      disk.state === 'ready' ? { ...engineProcessEnv(dir, disk.manifest), KERNELLAB_TENSORFLOW_VARIANT: disk.manifest.variant } : {};
    return launch(entry, args, { ...engineEnv, ...env });
  };
}

function appHandlers(ctx: ServiceContext): Handlers<Pick<Methods, 'app.info' | 'app.health'>> {
  let probe: Promise<BackendProbe[]> | undefined;
  // An engine installed or removed changes what loads: probe again on the next app.info.
  ctx.events.subscribe((event) => {
    if (event.name === 'engine.progress' && event.payload.phase === 'done') probe = undefined;
  });
  const appVersion = readAppVersion(ctx.appRoot);
  return {
    'app.info': async () => {
      // Probing spawns a worker and loads tfjs there; do it once per process, on first demand.
      probe ??= probeBackendsInWorker(ctx.launchWorker, ctx.workerEntry).catch((error: unknown) => {
        probe = undefined;
        throw error;
      });
      const backends = await probe;
      const chosen = backendOrder.find((name) => backends.some((b) => b.name === name && b.available)) ?? null;
      return {
        appVersion,
        nodeVersion: process.versions.node,
        electronVersion: process.versions.electron ?? null,
        tfjsVersion,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpus().length,
        dataDir: ctx.layout.root,
        shell: ctx.shell,
        backends,
        chosenBackend: chosen,
      };
    },
    'app.health': () => {
      const checks: { name: string; ok: boolean; detail: string }[] = [];
      try {
        accessSync(ctx.layout.root, constants.W_OK);
        checks.push({ name: 'dataDir', ok: true, detail: `${ctx.layout.root} is writable` });
      } catch (error) {
        checks.push({ name: 'dataDir', ok: false, detail: `${ctx.layout.root} is not writable: ${(error as Error).message}` });
      }
      try {
        accessSync(ctx.layout.runs, constants.W_OK);
        checks.push({ name: 'runs', ok: true, detail: `${ctx.layout.runs} is writable` });
      } catch (error) {
        checks.push({
          name: 'runs',
          ok: false,
          detail: `${ctx.layout.runs} is not writable: runs cannot save checkpoints (${(error as Error).message})`,
        });
      }
      // SQLite keeps writing into a database file deleted (or replaced) while it is open: every
      // write would be lost, so that is a failed check, and the store refuses writes.
      const gone = ctx.store.fileProblem();
      checks.push({ name: 'database', ok: gone === null, detail: gone ?? `${ctx.layout.database} is the database in use` });
      return { ok: checks.every((c) => c.ok), uptimeMs: Date.now() - ctx.startedAt, checks };
    },
  };
}

export function createService(options: ServiceOptions): Service {
  const layout = ensureDataDir(options.dataDir);
  const events = new EventBus();
  const appRoot = options.appRoot ?? defaultAppRoot;
  const closing = new AbortController();
  const context: ServiceContext = {
    closing: closing.signal,
    appRoot,
    layout,
    shell: options.shell,
    events,
    store: RunStore.open(layout.database, {
      events,
      migrationsDir: join(appRoot, 'migrations'),
      ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
    }),
    launchWorker: withEngine(options.launchWorker ?? forkWorker, layout.engines),
    workerEntry: options.workerEntry ?? defaultWorkerEntry,
    startedAt: Date.now(),
  };
  // Spelled out as a full Handlers map so the compiler refuses a contract method without a handler.
  const handlers: Handlers<Methods> = {
    ...appHandlers(context),
    ...datasetsHandlers(context, { mirror: options.datasetMirror }),
    ...enginesHandlers(context, tfjsVersion),
    ...runsHandlers(context),
    ...sweepsHandlers(context),
    ...runControlHandlers(context),
    ...trainingHandlers(context),
  };

  return {
    events: context.events,
    context,
    async call<M extends MethodName>(name: M, input: unknown, options: { signal?: AbortSignal } = {}): Promise<MethodOutput<M>> {
      if (typeof name !== 'string' || !isMethodName(name)) {
        throw new KernelLabError('not_found', `Unknown method '${String(name)}'`);
      }
      const parsed = methods[name].input.safeParse(input ?? {});
      if (!parsed.success) throw invalidInput(`input for ${name}`, parsed.error);
      const handler = handlers[name] as (input: unknown, call: CallContext) => unknown;
      const signal = options.signal ? AbortSignal.any([options.signal, closing.signal]) : closing.signal;
      return (await handler(parsed.data, { signal })) as MethodOutput<M>;
    },
    async close() {
      closing.abort();
      // Running runs are interrupted (resumable) before the database closes under them.
      await closeScheduler(context);
      context.store.close();
    },
  };
}
