/**
 * Engine installs in flight in this service: their progress, cancel, and why the last one failed.
 * One object per service, built and stopped by createService (service.ts); the engines handlers
 * only adapt calls to it.
 */
import { rmSync } from 'node:fs';
import type { EngineCheck, EngineInfo, EngineManifest, EngineName, EngineProgress } from '../contract/index.ts';
import { coded, KernelLabError } from '../errors.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { EventBus } from '../events.ts';
import { FromWorker } from '../training/workerProtocol.ts';
import type { WorkerLauncher } from '../workerHost.ts';
import { installEngine, type InstallOptions } from './install.ts';
import { installingElsewhere, installLockHolder } from './installFolder.ts';
import { engineDir, engineProcessEnv, readManifest } from './layout.ts';
import { engineRequirements } from './tools.ts';

interface ActiveInstall {
  controller: AbortController;
  progress: EngineProgress | null;
  /** Settles with the install's error (undefined when it succeeded); never rejects. */
  settled: Promise<Error | undefined>;
}

/**
 * Loads a staged engine in a fresh worker (native code that crashes takes only the worker) and
 * runs its conv check there; the worker's environment is the one runs will get.
 */
export function verifyInWorker(launch: WorkerLauncher, entry: string, timeoutMs = 5 * 60_000) {
  return (stagedDir: string, draft: EngineManifest): Promise<EngineCheck> =>
    new Promise((resolve, reject) => {
      const worker = launch(entry, [], { ...engineProcessEnv(stagedDir, draft), KERNELLAB_TENSORFLOW_VARIANT: draft.variant });
      const timer = setTimeout(() => {
        worker.kill('SIGKILL');
        reject(
          coded('unavailable', `the staged engine did not answer its check within ${timeoutMs / 1000} s`, 'engine_check_timeout', {
            seconds: Math.round(timeoutMs / 1000),
          }),
        );
      }, timeoutMs);
      worker.onMessage((raw) => {
        clearTimeout(timer);
        const message = FromWorker.safeParse(raw);
        if (message.success && message.data.type === 'engineCheckResult') resolve(message.data.check);
        else if (message.success && message.data.type === 'error')
          reject(
            coded('unavailable', `the staged engine does not work: ${message.data.message}`, 'engine_check_failed', {
              error: message.data.message.slice(0, 1000),
            }),
          );
        else reject(new KernelLabError('unavailable', `the engine check got an unexpected answer: ${JSON.stringify(raw).slice(0, 200)}`));
      });
      worker.onExit((code, signal) => {
        clearTimeout(timer);
        reject(
          coded(
            'unavailable',
            `the staged engine crashed the worker that loaded it (code ${code}, signal ${signal}): its libraries do not load here`,
            'engine_check_crashed',
            { exitCode: String(code), signal: String(signal) },
          ),
        );
      });
      worker.send({ type: 'engineCheck' });
    });
}

export interface EngineInstallsOptions {
  enginesDir: string;
  events: EventBus;
  /** The tfjs-core version the engine's addon must match. */
  tfjsVersion: string;
  /** Checks a staged engine before it replaces the installed one (verifyInWorker). */
  verify: (stagedDir: string, draft: EngineManifest) => Promise<EngineCheck>;
}

export type InstallRequest = Pick<InstallOptions, 'name' | 'gpu' | 'tensorflowVersion' | 'wheelFiles' | 'skipOfficial'>;

export class EngineInstalls {
  readonly enginesDir: string;
  readonly #options: EngineInstallsOptions;
  readonly #active = new Map<EngineName, ActiveInstall>();
  readonly #lastFailure = new Map<EngineName, { message: string; text: CoreText | null }>();
  /** Aborted when the service stops: an install ends and leaves the installed engine as it was. */
  readonly #closing = new AbortController();

  constructor(options: EngineInstallsOptions) {
    this.enginesDir = options.enginesDir;
    this.#options = options;
  }

  async info(name: EngineName): Promise<EngineInfo> {
    const dir = engineDir(this.enginesDir, name);
    const disk = readManifest(dir);
    const install = this.#active.get(name);
    const elsewhere = install ? undefined : installLockHolder(this.enginesDir, name);
    const failure = this.#lastFailure.get(name);
    return {
      name,
      status: install || elsewhere !== undefined ? 'installing' : disk.state,
      dir,
      manifest: disk.state === 'ready' ? disk.manifest : null,
      problem: disk.state === 'broken' ? disk.problem : (failure?.message ?? null),
      problemCode: disk.state === 'broken' ? disk.problemCode : (failure?.text ?? null),
      progress: install?.progress ?? null,
      requirements: await engineRequirements(disk.state === 'ready' ? disk.manifest.variant === 'gpu' : false),
    };
  }

  /** Starts an install (or joins the one running); with `wait`, resolves when it ends and throws its error. */
  async install(request: InstallRequest, wait: boolean): Promise<EngineInfo> {
    const { name } = request;
    const running = this.#active.get(name);
    if (running) {
      if (wait) await running.settled;
      return this.info(name);
    }
    const holder = installLockHolder(this.enginesDir, name);
    if (holder !== undefined) throw installingElsewhere(name, holder);
    if (this.#closing.signal.aborted)
      throw coded('unavailable', 'KernelLab is shutting down; no install starts now', 'engine_shutting_down', {});
    const controller = new AbortController();
    this.#closing.signal.addEventListener('abort', () => controller.abort(), { once: true, signal: controller.signal });
    const entry: ActiveInstall = { controller, progress: null, settled: Promise.resolve(undefined) };
    this.#lastFailure.delete(name);
    const emit = (progress: EngineProgress) => {
      entry.progress = progress;
      this.#options.events.emit('engine.progress', progress);
    };
    const run = installEngine({
      ...request,
      enginesDir: this.enginesDir,
      tfjsVersion: this.#options.tfjsVersion,
      signal: controller.signal,
      onProgress: emit,
      verify: this.#options.verify,
    });
    entry.settled = run.then(
      () => undefined,
      (error: Error) => {
        const canceled = controller.signal.aborted;
        if (!canceled)
          this.#lastFailure.set(name, { message: error.message, text: (error instanceof KernelLabError && error.text) || null });
        emit({
          engine: name,
          phase: canceled ? 'canceled' : 'failed',
          step: entry.progress?.step ?? 0,
          steps: entry.progress?.steps ?? 1,
          fraction: null,
          message: error.message,
          ...(error instanceof KernelLabError && error.text && { messageCode: error.text }),
        });
        return error;
      },
    );
    this.#active.set(name, entry);
    void entry.settled.finally(() => {
      if (this.#active.get(name) === entry) this.#active.delete(name);
    });
    if (wait) {
      const error = await entry.settled;
      if (this.#active.get(name) === entry) this.#active.delete(name);
      if (error) throw error;
    }
    return this.info(name);
  }

  /** Stops a running install; true when there was one. */
  async cancel(name: EngineName): Promise<boolean> {
    const install = this.#active.get(name);
    if (!install) return false;
    install.controller.abort();
    await install.settled;
    if (this.#active.get(name) === install) this.#active.delete(name);
    return true;
  }

  /** Deletes the installed engine; refused while it is being installed here or elsewhere. */
  remove(name: EngineName): boolean {
    if (this.#active.has(name) || installLockHolder(this.enginesDir, name) !== undefined)
      throw coded('conflict', `the ${name} engine is being installed; cancel the install first`, 'engine_remove_installing', { name });
    const dir = engineDir(this.enginesDir, name);
    const existed = readManifest(dir).state !== 'absent';
    rmSync(dir, { recursive: true, force: true });
    if (existed)
      this.#options.events.emit('engine.progress', {
        engine: name,
        phase: 'done',
        step: 1,
        steps: 1,
        fraction: 1,
        message: `${name} engine removed`,
        messageCode: coreText('engine_removed', { name }),
      });
    return existed;
  }

  /** Stops every install of this service and waits until each has cleaned up its staging folder. */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.all([...this.#active.values()].map((i) => i.settled));
  }
}
