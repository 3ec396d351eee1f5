/**
 * How workers get the installed tensorflow engine, for every process that starts workers: the
 * service (app, serve, CLI) and a remote agent on a cluster node.
 */
import type { WorkerLauncher } from '../workerHost.ts';
import { countNvidiaGpus, GpuSlots } from './gpuSlots.ts';
import { engineDir, engineProcessEnv, readManifest } from './layout.ts';

/**
 * Every worker gets the installed tensorflow engine in its environment (its folder, and for a GPU
 * engine the CUDA libraries on its library path — for that process only). Read at each start, so
 * an engine installed or removed while the app runs is what the next run gets.
 */
export function withEngine(launch: WorkerLauncher, enginesDir: string): WorkerLauncher {
  let slots: GpuSlots | undefined;
  return (entry, args, env) => {
    const dir = engineDir(enginesDir, 'tensorflow');
    const disk = readManifest(dir);
    if (disk.state !== 'ready') return launch(entry, args, env);
    const engineEnv: NodeJS.ProcessEnv = { ...engineProcessEnv(dir, disk.manifest), KERNELLAB_TENSORFLOW_VARIANT: disk.manifest.variant };
    // One GPU per worker (the pool has one worker per GPU), unless the user chose the devices.
    let gpu: number | undefined;
    if (disk.manifest.variant === 'gpu' && disk.manifest.check.usingGpu && process.env.CUDA_VISIBLE_DEVICES === undefined) {
      slots ??= new GpuSlots(countNvidiaGpus());
      gpu = slots.take();
      if (gpu !== undefined) engineEnv.CUDA_VISIBLE_DEVICES = String(gpu);
    }
    const handle = launch(entry, args, { ...engineEnv, ...env });
    if (gpu !== undefined) handle.onExit(() => slots!.release(gpu));
    return handle;
  };
}
