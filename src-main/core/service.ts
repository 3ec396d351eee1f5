import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { version as tfjsVersion } from '@tensorflow/tfjs-core/dist/version.js';
import { appHandlers } from './appHandlers.ts';
import { coded, invalidInput, KernelLabError } from './errors.ts';
import { coreText } from './contract/coreText.ts';
import { EventBus } from './events.ts';
import { datasetsHandlers } from './datasets/handlers.ts';
import { DatasetTransfers } from './datasets/transfers.ts';
import { enginesHandlers } from './engine/handlers.ts';
import { EngineInstalls, verifyInWorker } from './engine/installs.ts';
import { tensorflowWorkers } from './engine/gpuSlots.ts';
import { withEngine } from './engine/workerEnv.ts';
import { tensorflowManifest } from './engine/layout.ts';
import { RunStore } from './db/RunStore.ts';
import { runsHandlers } from './db/handlers.ts';
import { inspectHandlers } from './inspect/handlers.ts';
import { Predictor } from './inspect/predictor.ts';
import { Lifecycle } from './lifecycle.ts';
import type { Executor } from './sweeps/execution.ts';
import { runControlHandlers, sweepsHandlers } from './sweeps/handlers.ts';
import { Scheduler } from './sweeps/scheduler.ts';
import { GpuHostsWaiting } from './gpuhost/GpuHostsWaiting.ts';
import { physicalCores } from './sweeps/workerBudget.ts';
import { createWorkerExecutor } from './sweeps/workerExecutor.ts';
import { trainingHandlers } from './training/handlers.ts';
import { agentHandlers, agentsHandlers } from './agents/handlers.ts';
import { clustersHandlers } from './clusters/handlers.ts';
import { watchClusterJobs } from './clusters/launch.ts';
import { BackendProbes } from './training/probe.ts';
import { ensureDataDir } from './home.ts';
import { forkWorker, type WorkerLauncher } from './workerHost.ts';
import type { CallContext, Handlers } from './contract/define.ts';
import { agentTokenPattern, isMethodName, methods, type MethodName, type MethodOutput, type Methods } from './contract/index.ts';
import type { ServiceContext, Shell } from './context.ts';

// What the shells need besides the contract and the errors comes through here, so a shell never
// reaches into the rest of core (eslint.config.js: shellMayImport).
export type { ServiceContext, Shell } from './context.ts';
export { resolveDataDir } from './home.ts';
export { presets } from './models/presets.ts';
// `kernellab import keras FILE` reads a .keras file from disk with the reader the service uses for the app's bytes.
export { readKerasFile } from './models/keras/kerasFile.ts';
// Shells write a streamed export (RunStore.exportStream) to a file, stdout or an HTTP answer with it.
export { writeExport } from './db/exportWrite.ts';
export type { ExportStream } from './db/exchange.ts';
export type { WorkerHandle, WorkerLauncher } from './workerHost.ts';
export type { Executor } from './sweeps/execution.ts';

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
  /** How often the app and serve poll cluster jobs (ms); KERNELLAB_CLUSTER_POLL_MS or 15 s by default. */
  clusterPollMs?: number;
  /**
   * What trains a claimed run; defaults to a worker process on this machine (workerExecutor.ts).
   * Tests pass their own; a GPU host or a remote agent is one more Executor.
   */
  executor?: Executor;
  /**
   * false: this process answers and exits (`kernellab call`) and trains nothing; what it queues
   * waits for a process that stays and trains (the app, `kernellab serve`). Default true.
   */
  trains?: boolean;
}

/** The API every shell exposes: one entry point that validates, dispatches and returns. */
export interface Service {
  /**
   * `signal`: the caller is gone (a closed HTTP request); handlers that take long stop on it.
   * `agentToken`: the secret an agent sent (`Authorization: Bearer kla_…`); `agent.` methods take
   * nothing else, and it opens nothing but them.
   */
  call<M extends MethodName>(name: M, input: unknown, options?: CallOptions): Promise<MethodOutput<M>>;
  readonly events: EventBus;
  readonly context: ServiceContext;
  /**
   * Stops the service: calls in flight see their signal abort, engine installs and dataset
   * transfers stop, running runs are interrupted (resumable) and their workers have exited, then
   * the database closes. Resolves when all of that is done; calling it again returns the same stop.
   */
  close(): Promise<void>;
}

const defaultWorkerEntry = fileURLToPath(new URL('./training/worker.ts', import.meta.url));

const defaultAppRoot = fileURLToPath(new URL('../../', import.meta.url));

function envPollMs(): number | undefined {
  const ms = Number(process.env.KERNELLAB_CLUSTER_POLL_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

export interface CallOptions {
  signal?: AbortSignal;
  agentToken?: string;
}

/** Methods a remote executor calls with an agent token (contract/agents.ts). */
export function isAgentMethod(name: string): boolean {
  return name.startsWith('agent.');
}

function agentPrincipal(ctx: ServiceContext, secret: string | undefined): { tokenId: number; sweepId: number | null } {
  if (secret === undefined || !agentTokenPattern.test(secret))
    throw coded(
      'unauthorized',
      'agent methods need an agent token (kernellab sweep submit makes one; agents.createToken too)',
      'error_agent_token_needed',
      {},
    );
  const token = ctx.store.agents.tokenOfSecret(secret);
  if (!token) throw coded('unauthorized', 'this agent token is unknown or was revoked', 'error_agent_token_unknown', {});
  return { tokenId: token.id, sweepId: token.sweepId };
}

/** Builds every part of a service from its options, in dependency order; nothing is started yet. */
function buildContext(options: ServiceOptions, closing: AbortSignal): ServiceContext {
  const layout = ensureDataDir(options.dataDir);
  const events = new EventBus();
  const appRoot = options.appRoot ?? defaultAppRoot;
  const store = RunStore.open(layout.database, {
    events,
    migrationsDir: join(appRoot, 'migrations'),
    ...(options.leaseMs !== undefined && { leaseMs: options.leaseMs }),
  });
  const launchWorker = withEngine(options.launchWorker ?? forkWorker, layout.engines);
  const workerEntry = options.workerEntry ?? defaultWorkerEntry;
  const gpuHostsWaiting = new GpuHostsWaiting();
  const scheduler = new Scheduler({
    store,
    events,
    // The CLI trains what it queued itself (its run, the sweeps it follows); the app and the
    // server take any runnable run.
    scope: options.shell === 'cli' ? 'own' : 'any',
    trains: options.trains ?? true,
    // A page lending a hardware GPU that waits for a run gets the unpinned ones first (issue 16).
    leaveUnpinned: (now) => gpuHostsWaiting.leaveUnpinnedQueuedAfter(now),
    // One tensorflow worker per GPU on a GPU engine; one per physical core on the CPU engine.
    defaultWorkers: { tensorflow: tensorflowWorkers(tensorflowManifest(layout.engines), physicalCores()) },
    executor:
      options.executor ??
      createWorkerExecutor({
        launchWorker,
        workerEntry,
        datasetsDir: layout.datasets,
        runsDir: layout.runs,
        // A worker whose main stops answering ends well before main's lease runs out.
        watchdogMs: Math.max(1000, Math.floor(store.leaseMs / 4)),
      }),
  });
  const backends = new BackendProbes(launchWorker, workerEntry);
  // An engine installed or removed changes what loads: probe again on the next app.info.
  events.subscribe((event) => {
    if (event.name === 'engine.progress' && event.payload.phase === 'done') backends.forget();
  });
  return {
    closing,
    appRoot,
    layout,
    shell: options.shell,
    events,
    store,
    launchWorker,
    workerEntry,
    startedAt: Date.now(),
    scheduler,
    gpuHostsWaiting,
    datasets: new DatasetTransfers({ root: layout.datasets, events, mirror: options.datasetMirror }),
    engines: new EngineInstalls({ enginesDir: layout.engines, events, tfjsVersion, verify: verifyInWorker(launchWorker, workerEntry) }),
    backends,
    predictor: new Predictor({ launchWorker, workerEntry }),
  };
}

/**
 * Builds a service and starts it. The parts are started in order and stopped in reverse by
 * close(): the store first and last; the scheduler (the desktop app and `kernellab serve` keep
 * running queued runs after a restart; the CLI's starts when a command asks for runs); then
 * dataset transfers and engine installs, which stop before the runs are interrupted.
 */
export function createService(options: ServiceOptions): Service {
  const closing = new AbortController();
  const context = buildContext(options, closing.signal);
  const { store, scheduler, datasets, engines, predictor } = context;
  let stopWatching: (() => void) | undefined;
  const lifecycle = new Lifecycle([
    { name: 'database', stop: () => store.close() },
    { name: 'scheduler', start: () => options.shell !== 'cli' && scheduler.start(), stop: () => scheduler.close() },
    { name: 'dataset transfers', stop: () => datasets.close() },
    { name: 'engine installs', stop: () => engines.close() },
    // Started on its first request (a CLI command never pays for it); stopped before the database closes.
    { name: 'predictor', stop: () => predictor.stop() },
    // Slurm and Kubernetes jobs of sweeps: their state polled, a Slurm sweep topped up (clusters/launch.ts).
    {
      name: 'cluster jobs',
      start: () => {
        if (options.shell !== 'cli') stopWatching = watchClusterJobs(context, options.clusterPollMs ?? envPollMs() ?? 15_000);
      },
      stop: () => stopWatching?.(),
    },
  ]);
  // Spelled out as a full Handlers map so the compiler refuses a contract method without a handler.
  const handlers: Handlers<Methods> = {
    ...agentHandlers(context),
    ...agentsHandlers(context),
    ...appHandlers(context),
    ...clustersHandlers(context),
    ...datasetsHandlers(context),
    ...enginesHandlers(context),
    ...inspectHandlers(context),
    ...runsHandlers(context),
    ...sweepsHandlers(context),
    ...runControlHandlers(context),
    ...trainingHandlers(context),
  };
  lifecycle.start();

  return {
    events: context.events,
    context,
    async call<M extends MethodName>(name: M, input: unknown, options: CallOptions = {}): Promise<MethodOutput<M>> {
      if (typeof name !== 'string' || !isMethodName(name)) {
        throw new KernelLabError('not_found', `Unknown method '${String(name)}'`, undefined, {
          text: coreText('error_unknown_method', { method: String(name).slice(0, 200) }),
        });
      }
      // After close() nothing new starts: a caller that polls (runs.wait) hears why instead of spinning.
      if (closing.signal.aborted)
        throw new KernelLabError('unavailable', `KernelLab is shutting down; ${name} was not run`, undefined, {
          text: coreText('error_shutting_down', { method: name }),
        });
      // An agent token is checked before its input is even read: a wrong one learns nothing.
      const agent = isAgentMethod(name) ? agentPrincipal(context, options.agentToken) : undefined;
      const parsed = methods[name].input.safeParse(input ?? {});
      if (!parsed.success) throw invalidInput(`input for ${name}`, parsed.error, coreText('error_invalid_method_input', { method: name }));
      const handler = handlers[name] as (input: unknown, call: CallContext) => unknown;
      const signal = options.signal ? AbortSignal.any([options.signal, closing.signal]) : closing.signal;
      return (await handler(parsed.data, { signal, agent })) as MethodOutput<M>;
    },
    close() {
      closing.abort();
      return lifecycle.stop();
    },
  };
}
