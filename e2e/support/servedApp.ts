import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ServedApp {
  /** The URL `kernellab serve` printed, token included. */
  url: string;
  home: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the real `kernellab serve` as a child process on a free port with a fresh data folder. */
export async function startServedApp(options: { home?: string; env?: NodeJS.ProcessEnv } = {}): Promise<ServedApp> {
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
      const match = output.match(/Open (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kernellab serve exited with ${code}:\n${output}`)));
  });
  return {
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
}
