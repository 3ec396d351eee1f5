import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { forkWorker } from './workerHost.ts';

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
