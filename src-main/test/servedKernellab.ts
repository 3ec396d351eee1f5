/**
 * Test support: `kernellab serve` as a real child process with a typed `call`, a read-only peek
 * at its database, and a polling wait. Used by the restart and fault suites.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { findServedAddress } from '../cli/serveAddress.ts';

/** For tests in the core, which may not import a shell: the served address found by its shape. */
export { findServedAddress };

/** The CLI entry, for tests that run other commands beside `serve`. */
export const cliPath = fileURLToPath(new URL('../../bin/kernellab.js', import.meta.url));
const cli = cliPath;

export interface ServedKernellab {
  child: ChildProcess;
  call: <T>(method: string, input?: unknown) => Promise<T>;
  exited: Promise<void>;
  /** Where it listens (`http://127.0.0.1:port`) and its token, for callers that speak HTTP themselves. */
  base: string;
  token: string;
}

/** Every child started here, so a test's afterAll can kill what a failed assertion left running. */
export const servedChildren: ChildProcess[] = [];

export function killServedChildren(): void {
  for (const child of servedChildren) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Starts `kernellab serve` on a free port over `dataDir`; resolves once it prints its URL. */
export function serveKernellab(dataDir: string): Promise<ServedKernellab> {
  const child = spawn(process.execPath, [cli, '--home', dataDir, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  servedChildren.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const found = findServedAddress(output);
      if (!found) return;
      const { base, token } = found;
      const call = async <T>(method: string, input: unknown = {}): Promise<T> => {
        const res = await fetch(`${base}/api/call/${method}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(input),
        });
        const body = (await res.json()) as { ok: boolean; result: T; error?: { message: string } };
        if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
        return body.result;
      };
      resolve({ child, call, exited, base: base!, token: token! });
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code}) before it was ready: ${output}`)));
  });
}

/** Runs a read-only query on the database another process is writing. */
export function peek<T>(dbPath: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 240_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
