import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelLabEvent } from '../core/contract/index.ts';
import { createService, type Service } from '../core/service.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { selfSignedCert } from '../test/selfSignedCert.ts';
import { startServer, type RunningServer } from './server.ts';

const emit = (service: Service, event: KernelLabEvent) =>
  (service.events as unknown as { emit: (n: string, p: unknown) => void }).emit(event.name, event.payload);

/** A GET over a raw socket that never reads what comes back: a stuck tab, a client on a dead link. */
function nonReadingClient(server: RunningServer, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nAuthorization: Bearer ${server.token}\r\n\r\n`);
      socket.pause();
      resolve(socket);
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

const waitFor = async (what: string, fn: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('SSE with clients that stop reading', () => {
  const temp = makeTempDir();
  let service: Service;
  let server: RunningServer;
  beforeAll(async () => {
    service = createService({ dataDir: join(temp.dir, 'home'), shell: 'server' });
    server = await startServer({ service, port: 0, sseLimits: { maxQueuedBytes: 512 * 1024 } });
  });
  afterAll(async () => {
    await server.close();
    await service.close();
    temp.cleanup();
  });

  it('drops the clients that do not read, and a reading client still gets every event', async () => {
    const stuck = await Promise.all(Array.from({ length: 10 }, () => nonReadingClient(server, '/api/events')));
    const controller = new AbortController();
    const response = await fetch(`${server.url}api/events`, {
      headers: { Authorization: `Bearer ${server.token}` },
      signal: controller.signal,
    });
    await waitFor('11 SSE clients', () => server.sseClientCount === 11);
    let text = '';
    const reading = (async () => {
      const decoder = new TextDecoder();
      const reader = response.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += decoder.decode(value, { stream: true });
      }
    })().catch(() => undefined);

    // 6,000 events of about 2 KB: 12 MB a client, more than the kernel's socket buffers hold, so
    // a server without backpressure would keep the rest of it in memory for each stuck client.
    const pad = 'x'.repeat(2000);
    for (let step = 0; step < 6000; step++) {
      emit(service, {
        name: 'metrics.appended',
        payload: { runId: 1, points: [{ key: pad, step, value: 1 }] },
      } as unknown as KernelLabEvent);
      if (step % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    await waitFor('the stuck clients to be dropped', () => server.sseClientCount === 1);
    await waitFor('every event at the reading client', () => text.split('data: ').length - 1 === 6000);
    controller.abort();
    await reading;
    for (const socket of stuck) socket.destroy();
  });
});

describe('serve on every address (0.0.0.0), over TLS as it must be', () => {
  const temp = makeTempDir();
  let service: Service;
  let server: RunningServer | undefined;
  const cert = selfSignedCert(temp.dir);
  const outside = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  beforeAll(async () => {
    service = createService({ dataDir: join(temp.dir, 'home'), shell: 'server' });
    if (cert) server = await startServer({ service, port: 0, host: '0.0.0.0', tls: cert });
  });
  afterAll(async () => {
    await server?.close();
    await service.close();
    temp.cleanup();
  });

  const status = (address: string, host: string, origin?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = httpsRequest(`https://${address}:${server!.port}/api/call/app.health`, {
        method: 'POST',
        // The test certificate names localhost and 127.0.0.1; the outside address is checked by Host, not by TLS.
        rejectUnauthorized: false,
        headers: { Authorization: `Bearer ${server!.token}`, Host: host, ...(origin ? { Origin: origin } : {}) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end('{}');
    });

  it("prints URLs another machine can open, and answers to the machine's real address", async (context) => {
    if (!server) {
      console.warn('SKIPPED: openssl is not installed, so no test certificate can be made');
      context.skip();
      return;
    }
    expect(server.exposed).toBe(true);
    for (const url of server.urls) expect(url).not.toContain('0.0.0.0');
    expect(server.urls.at(-1)).toBe(`https://127.0.0.1:${server.port}/`);
    expect(await status('127.0.0.1', `localhost:${server.port}`)).toBe(200);
    // Still no other name: a rebinding page sends its own.
    expect(await status('127.0.0.1', `evil.example:${server.port}`)).toBe(401);
    expect(await status('127.0.0.1', `0.0.0.0:${server.port}`)).toBe(401);
    if (!outside) {
      console.warn('SKIPPED (the outside-address half): this machine has no non-loopback IPv4 address');
      context.skip();
      return;
    }
    expect(server.url).toBe(`https://${outside}:${server.port}/`);
    expect(await status(outside, `${outside}:${server.port}`)).toBe(200);
    expect(await status(outside, `${outside}:${server.port}`, `https://${outside}:${server.port}`)).toBe(200);
    // A page served over plain http by the same name is another origin.
    expect(await status(outside, `${outside}:${server.port}`, `http://${outside}:${server.port}`)).toBe(401);
    expect(await status(outside, `${outside}:${server.port}`, `https://evil.example:${server.port}`)).toBe(401);
  });
});
