import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliPath } from '../test/servedKernellab.ts';
import { findServedAddress } from './serveAddress.ts';
import { makeTempDir } from '../test/tempDir.ts';

interface Served {
  child: ChildProcess;
  base: string;
  token: string;
  port: number;
  stderr: () => string;
  /** Resolves with how the process ended and how long after `since` it did. */
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const children: ChildProcess[] = [];

function serve(home: string, env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const child = spawn(process.execPath, [cliPath, '--home', home, 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const found = findServedAddress(out);
      if (found) resolve({ child, base: found.base, port: found.port, token: found.token, stderr: () => err, exit });
    });
    void exit.then(({ code }) => reject(new Error(`serve exited (${code}) before it was ready: ${out}${err}`)));
  });
}

/** Sends `signal` and resolves with how long the process took to end. */
async function stop(served: Served, signal: NodeJS.Signals = 'SIGTERM') {
  const sent = Date.now();
  served.child.kill(signal);
  const end = await served.exit;
  return { ...end, ms: end.at - sent };
}

/** A raw GET that never reads its response. */
function stuckClient(served: Served, path: string): Promise<Socket> {
  return new Promise((resolve) => {
    const socket = connect(served.port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nAuthorization: Bearer ${served.token}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
  });
}

describe('kernellab serve stops on SIGTERM within 5 s, whatever is in flight', () => {
  const temp = makeTempDir('kernellab-serve-stop-');
  let silent: Server;
  let silentPort = 0;
  const held: Socket[] = [];
  beforeAll(async () => {
    // A mirror that accepts connections and never answers: a download waits on it.
    silent = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as { port: number }).port;
  });
  afterEach(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(async () => {
    held.forEach((s) => s.destroy());
    await new Promise((r) => silent.close(r));
    temp.cleanup();
  });

  it('idle: ends with exit code 0 and says it is stopping', async () => {
    const served = await serve(join(temp.dir, 'idle'));
    const end = await stop(served);
    expect(end.code).toBe(0);
    expect(end.ms).toBeLessThan(5000);
    expect(served.stderr()).toMatch(/SIGTERM: stopping \(send it again to quit at once\)/);
  });

  it('with clients that stopped reading events, an upload stalled half-way and a download waiting on a silent server', async () => {
    const served = await serve(join(temp.dir, 'busy'), { KERNELLAB_DATASET_MIRROR: `http://127.0.0.1:${silentPort}` });
    const stuck = await Promise.all(Array.from({ length: 5 }, () => stuckClient(served, '/api/events')));
    const upload = connect(served.port, '127.0.0.1', () =>
      upload.write(
        `POST /api/call/app.health HTTP/1.1\r\nHost: 127.0.0.1:${served.port}\r\nAuthorization: Bearer ${served.token}\r\nContent-Length: 1000\r\n\r\n{"a":`,
      ),
    );
    upload.on('error', () => undefined);
    const started = await fetch(`${served.base}/api/call/datasets.download`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${served.token}` },
      body: JSON.stringify({ name: 'mnist' }),
    });
    expect(started.status).toBe(200);
    const waiting = fetch(`${served.base}/api/call/datasets.download`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${served.token}` },
      body: JSON.stringify({ name: 'mnist', wait: true }),
    }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    const end = await stop(served);
    expect(end.ms).toBeLessThan(5000);
    expect(end.code).toBe(0);
    await waiting;
    [...stuck, upload].forEach((s) => s.destroy());
  });

  it('a second signal ends it at once', async () => {
    const served = await serve(join(temp.dir, 'twice'));
    served.child.kill('SIGTERM');
    served.child.kill('SIGTERM');
    const end = await served.exit;
    // Either the first stop finished already, or the second signal ended the process by itself.
    expect(end.code === 0 || end.signal === 'SIGTERM').toBe(true);
  });
});
