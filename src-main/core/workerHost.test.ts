import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forkWorker, type WorkerHandle } from './workerHost.ts';

/** Blocks this thread, so a child's death is not yet seen by the event loop (`connected` still true). */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A worker that has said it is ready, then been SIGKILLed while this process did not look. */
async function deadButNotNoticed(): Promise<{ worker: WorkerHandle; exited: Promise<{ code: number | null; signal: string | null }> }> {
  const entry = fileURLToPath(new URL('../test/idleWorker.ts', import.meta.url));
  const worker = forkWorker(entry, []);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    worker.onExit((code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve) => worker.onMessage(() => resolve()));
  process.kill(worker.pid!, 'SIGKILL');
  blockFor(500);
  return { worker, exited };
}

describe('forkWorker', () => {
  it('runs a TypeScript worker whose tfjs gradients load in plain Node (ESM resolve hook)', async () => {
    const entry = fileURLToPath(new URL('../test/gradientsProbe.ts', import.meta.url));
    const worker = forkWorker(entry, []);
    const message = await new Promise<unknown>((resolve, reject) => {
      worker.onMessage(resolve);
      worker.onExit((code) => reject(new Error(`probe exited with ${code} before answering`)));
    });
    worker.kill();
    expect(message).toEqual({ conv2d: true, maxPool: true });
  });
});

describe('sending to a worker that has just died', () => {
  it('is the worker dying (its exit is reported), never an unhandled EPIPE', async () => {
    const unhandled: unknown[] = [];
    const onError = (error: unknown) => unhandled.push(error);
    process.on('uncaughtException', onError);
    try {
      const { worker, exited } = await deadButNotNoticed();
      for (let i = 0; i < 20; i++) worker.send({ type: 'cancel' });
      expect(await exited).toEqual({ code: null, signal: 'SIGKILL' });
      // Errors of a failed write surface a tick or more later.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
    }
  });
});
