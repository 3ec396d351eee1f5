import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelLabEvent } from '../core/contract/index.ts';
import { pausedError } from '../core/sweeps/execution.ts';
import { dataDirWithMnist } from '../core/sweeps/sweepFixture.ts';
import { forkWorker, type WorkerHandle } from '../core/workerHost.ts';
import { ServiceClient, type HostProcess } from './serviceClient.ts';

/**
 * The desktop app's quit with a run training, without Electron: main (this test, through
 * ServiceClient) closes the service host while its worker trains; the run must end interrupted and
 * resumable, the worker and the host gone, and a new host must finish the run from its checkpoint.
 */
const hostEntry = fileURLToPath(new URL('./serviceHostEntry.ts', import.meta.url));
const workerEntry = fileURLToPath(new URL('../core/training/worker.ts', import.meta.url));
const appRoot = fileURLToPath(new URL('../../', import.meta.url));

let data: { dir: string; cleanup: () => void };
const hosts: ChildProcess[] = [];
beforeAll(async () => {
  data = await dataDirWithMnist('kernellab-hostquit-');
});
afterAll(() => {
  for (const host of hosts) if (host.exitCode === null && host.signalCode === null) host.kill('SIGKILL');
  data.cleanup();
});

function open(events: KernelLabEvent[], workers: WorkerHandle[]): ServiceClient {
  return new ServiceClient({
    spawnHost: (): HostProcess => {
      const child = fork(hostEntry, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      hosts.push(child);
      return {
        postMessage: (message) => {
          if (child.connected) child.send(message as never);
        },
        onMessage: (listener) => child.on('message', listener),
        onExit: (listener) => child.on('exit', (code) => listener(code)),
        kill: () => child.kill('SIGKILL'),
      };
    },
    start: { home: data.dir, appRoot, workerEntry },
    launchWorker: (entry, args, env) => {
      const worker = forkWorker(entry, args, env);
      workers.push(worker);
      return worker;
    },
    onEvent: (event) => events.push(event),
  });
}

async function until(what: string, fn: () => boolean, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('quitting the desktop app while a run trains', () => {
  it('interrupts the run resumably, leaves no process behind, and a new start finishes it from its checkpoint', async () => {
    const events: KernelLabEvent[] = [];
    const workers: WorkerHandle[] = [];
    const first = open(events, workers);
    const { runId } = await first.call('runs.start', {
      run: {
        model: {
          name: 'tiny',
          inputShape: [28, 28, 1],
          numClasses: 10,
          layers: [{ type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 }, { type: 'flatten' }, { type: 'dense', units: 10 }],
        },
        dataset: 'mnist',
        subset: { train: 600, test: 100 },
        hyperparameters: { epochs: 4, batchSize: 16, learningRate: 0.01, validationSplit: 0.2, seed: 4, backend: 'wasm' },
      },
    });
    // Quit once epoch 1 is saved and epoch 2 is under way.
    await until('a checkpoint and progress in epoch 2', () =>
      events.some((e) => e.name === 'run.progress' && e.payload.runId === runId && e.payload.epoch === 2),
    );
    const worker = workers[0]!;
    expect(worker.pid).toBeGreaterThan(0);
    await first.close();
    expect(hosts[0]!.exitCode).toBe(0);
    expect(alive(worker.pid!)).toBe(false);

    const second = open(events, workers);
    const interrupted = await second.call('runs.get', { id: runId });
    expect(interrupted).toMatchObject({ status: 'interrupted', error: pausedError });
    expect(await second.call('runs.resume', { id: runId })).toEqual({ requeued: true });
    expect((await second.call('runs.wait', { id: runId })).status).toBe('completed');
    const done = await second.call('runs.get', { id: runId });
    // Every epoch once: the first from before the quit, the rest after the resume.
    expect(done.summary.find((m) => m.key === 'loss')).toMatchObject({ count: 4, lastStep: 4 });
    await second.close();
  }, 300_000);
});
