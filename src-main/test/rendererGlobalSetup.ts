/**
 * Vitest global setup for the renderer's state classes (`*.svelte.test.ts`): one real
 * `kernellab serve` over a temp home with MNIST linked in, shared by those test files. They reach
 * it through `src-renderer/test/servedBridge.ts`, the same HTTP calls the page makes. Tests that
 * write (tags, columns, runs) use names of their own: the server is shared.
 */
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { generateSyntheticRuns } from '../core/db/synthetic.ts';
import { linkMnist } from './mnistHome.ts';
import { killServedChildren, serveKernellab } from './servedKernellab.ts';
import { makeTempDir } from './tempDir.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kernellab: { base: string; token: string };
  }
}

/** The recorded runs every renderer state test sees (seeded, so the same each time). */
export const rendererRuns = { runs: 24, runsPerSweep: 12, params: 5, epochs: 6, seed: 7 };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const temp = makeTempDir('kernellab-renderer-');
  const home = join(temp.dir, 'home');
  await linkMnist(home);
  // Runs to list and open without training: two sweeps of 12 recorded runs, 6 epochs each.
  generateSyntheticRuns(join(home, 'kernellab.db'), rendererRuns);
  const served = await serveKernellab(home);
  project.provide('kernellab', { base: served.base, token: served.token });
  return async () => {
    served.child.kill('SIGTERM');
    await Promise.race([served.exited, new Promise((r) => setTimeout(r, 10_000))]);
    killServedChildren();
    temp.cleanup();
  };
}
