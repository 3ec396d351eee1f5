import { rmSync } from 'node:fs';
import type { Handlers } from '../contract/define.ts';
import type { EngineCheck, EngineInfo, EngineManifest, EngineName, EngineProgress, Methods } from '../contract/index.ts';
import { KernelLabError } from '../errors.ts';
import type { ServiceContext } from '../context.ts';
import { FromWorker } from '../training/workerProtocol.ts';
import type { WorkerLauncher } from '../workerHost.ts';
import { installEngine, installLockHolder } from './install.ts';
import { engineDir, engineProcessEnv, readManifest } from './layout.ts';
import { engineRequirements } from './tools.ts';

type EngineMethods = 'engines.list' | 'engines.install' | 'engines.cancel' | 'engines.remove';

interface ActiveInstall {
  controller: AbortController;
  progress: EngineProgress | null;
  done: Promise<unknown>;
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
        reject(new KernelLabError('unavailable', `the staged engine did not answer its check within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      worker.onMessage((raw) => {
        clearTimeout(timer);
        const message = FromWorker.safeParse(raw);
        if (message.success && message.data.type === 'engineCheckResult') resolve(message.data.check);
        else if (message.success && message.data.type === 'error')
          reject(new KernelLabError('unavailable', `the staged engine does not work: ${message.data.message}`));
        else reject(new KernelLabError('unavailable', `the engine check got an unexpected answer: ${JSON.stringify(raw).slice(0, 200)}`));
      });
      worker.onExit((code, signal) => {
        clearTimeout(timer);
        reject(
          new KernelLabError(
            'unavailable',
            `the staged engine crashed the worker that loaded it (code ${code}, signal ${signal}): its libraries do not load here`,
          ),
        );
      });
      worker.send({ type: 'engineCheck' });
    });
}

export function enginesHandlers(ctx: ServiceContext, tfjsVersion: string): Handlers<Pick<Methods, EngineMethods>> {
  const enginesDir = ctx.layout.engines;
  const active = new Map<EngineName, ActiveInstall>();
  const lastFailure = new Map<EngineName, string>();

  const info = async (name: EngineName): Promise<EngineInfo> => {
    const dir = engineDir(enginesDir, name);
    const disk = readManifest(dir);
    const install = active.get(name);
    const elsewhere = install ? undefined : installLockHolder(enginesDir, name);
    return {
      name,
      status: install || elsewhere !== undefined ? 'installing' : disk.state,
      dir,
      manifest: disk.state === 'ready' ? disk.manifest : null,
      problem: disk.state === 'broken' ? disk.problem : (lastFailure.get(name) ?? null),
      progress: install?.progress ?? null,
      requirements: await engineRequirements(disk.state === 'ready' ? disk.manifest.variant === 'gpu' : false),
    };
  };

  return {
    'engines.list': async () => ({ enginesDir, engines: [await info('tensorflow')] }),

    'engines.install': async ({ name, gpu, tensorflowVersion, wheelFiles, skipOfficial, wait }) => {
      const running = active.get(name);
      if (running) {
        if (!wait) return info(name);
        await running.done.catch(() => undefined);
        return info(name);
      }
      const holder = installLockHolder(enginesDir, name);
      if (holder !== undefined)
        throw new KernelLabError('conflict', `the ${name} engine is being installed by process ${holder}; wait for it or cancel it there`);
      const controller = new AbortController();
      const entry: ActiveInstall = { controller, progress: null, done: Promise.resolve() };
      lastFailure.delete(name);
      const emit = (progress: EngineProgress) => {
        entry.progress = progress;
        ctx.events.emit('engine.progress', progress);
      };
      const run = installEngine({
        enginesDir,
        name,
        gpu,
        tfjsVersion,
        tensorflowVersion,
        wheelFiles,
        skipOfficial,
        signal: controller.signal,
        onProgress: emit,
        verify: verifyInWorker(ctx.launchWorker, ctx.workerEntry),
      });
      entry.done = run;
      active.set(name, entry);
      const settled = run.then(
        () => undefined,
        (error: Error) => {
          const canceled = controller.signal.aborted;
          if (!canceled) lastFailure.set(name, error.message);
          emit({
            engine: name,
            phase: canceled ? 'canceled' : 'failed',
            step: entry.progress?.step ?? 0,
            steps: entry.progress?.steps ?? 1,
            fraction: null,
            message: error.message,
          });
          return error;
        },
      );
      void settled.finally(() => active.delete(name));
      if (wait) {
        const error = await settled;
        active.delete(name);
        if (error) throw error;
      }
      return info(name);
    },

    'engines.cancel': async ({ name }) => {
      const install = active.get(name);
      if (!install) return { canceled: false };
      install.controller.abort();
      await install.done.catch(() => undefined);
      active.delete(name);
      return { canceled: true };
    },

    'engines.remove': ({ name }) => {
      if (active.has(name) || installLockHolder(enginesDir, name) !== undefined)
        throw new KernelLabError('conflict', `the ${name} engine is being installed; cancel the install first`);
      const dir = engineDir(enginesDir, name);
      const existed = readManifest(dir).state !== 'absent';
      rmSync(dir, { recursive: true, force: true });
      if (existed)
        ctx.events.emit('engine.progress', {
          engine: name,
          phase: 'done',
          step: 1,
          steps: 1,
          fraction: 1,
          message: `${name} engine removed`,
        });
      return { removed: existed };
    },
  };
}
