/**
 * The page's own rare errors in both languages (issue 17): an answer of `kernellab serve` that is
 * not JSON (a proxy's error page), no answer at all (serve has stopped: the browser's "Failed to
 * fetch", Node's "fetch failed" here), and a file the browser could not read. Here rather than
 * next to the renderer's files because it needs a real HTTP server (node:http).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setLocale } from './paraglide/runtime.js';
import { unreadableFile } from '../src-renderer/lib/pageErrors.ts';
import { postToServer } from '../src-renderer/lib/serverPost.ts';

const hangul = /[\uac00-\ud7a3]/;
let proxy: Server;
let base: string;

beforeAll(async () => {
  // A proxy in front of serve that answers with its own error page.
  proxy = createServer((_request, response) => {
    response.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
afterEach(() => setLocale('en', { reload: false }));

/** A port on 127.0.0.1 where nothing listens any more: a server that has stopped. */
async function stoppedServer(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const post = (url: string) => postToServer(`${url}/api/call/runs.list`, { headers: { 'Content-Type': 'application/json' }, body: '{}' });

describe("the page's own errors", () => {
  it('name the status and the body of an answer that is not JSON', async () => {
    expect(await post(base)).toEqual({ ok: false, error: { code: 'internal', message: 'HTTP 502: <html>Bad Gateway</html>' } });
    setLocale('ko', { reload: false });
    const reply = await post(base);
    expect(reply.ok).toBe(false);
    const { message } = (reply as { error: { message: string } }).error;
    expect(message).toMatch(hangul);
    expect(message).toContain('HTTP 502: <html>Bad Gateway</html>');
    expect(message.replace(/KernelLab|JSON|HTTP 502: <html>Bad Gateway<\/html>/g, '')).not.toMatch(/[A-Za-z]/);
  });

  it('say that the KernelLab server does not answer, with the browser’s words after it', async () => {
    const stopped = await stoppedServer();
    const en = await post(stopped);
    expect(en).toEqual({
      ok: false,
      error: { code: 'unavailable', message: 'The KernelLab server does not answer (has kernellab serve stopped?): fetch failed' },
    });
    setLocale('ko', { reload: false });
    const ko = (await post(stopped)) as { error: { message: string } };
    expect(ko.error.message).toBe('KernelLab 서버가 응답하지 않습니다(kernellab serve가 멈췄나요?): fetch failed');
  });

  it('say that a file could not be read, with the browser’s reason when it gives one', () => {
    const browsers = new DOMException('The requested file could not be read.', 'NotReadableError');
    expect(unreadableFile(null).message).toBe('the file could not be read');
    expect(unreadableFile(browsers).message).toBe('the file could not be read: The requested file could not be read.');
    setLocale('ko', { reload: false });
    expect(unreadableFile(null).message).toBe('파일을 읽을 수 없습니다');
    expect(unreadableFile(browsers).message).toBe('파일을 읽을 수 없습니다: The requested file could not be read.');
  });
});
