import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../i18n/coreText.ts';
import { RunStore } from '../core/db/RunStore.ts';
import type { KernelLabError } from '../core/errors.ts';
import { createService, type Service } from '../core/service.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { exportQuery } from './exportDownload.ts';
import { startServer, type RunningServer } from './server.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are inspected loosely in assertions
const json = (response: Response): Promise<any> => response.json();

describe('browser-mode server', () => {
  const temp = makeTempDir();
  let service: Service;
  let server: RunningServer;
  const staticDir = join(temp.dir, 'renderer');

  beforeAll(async () => {
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>KernelLab</title>');
    writeFileSync(join(temp.dir, 'secret.txt'), 'outside the renderer folder');
    service = createService({ dataDir: join(temp.dir, 'home'), shell: 'server' });
    server = await startServer({ service, port: 0, staticDir, maxBodyBytes: 1000, maxImportBytes: 20_000, maxImportFileBytes: 50_000 });
  });
  afterAll(async () => {
    await server.close();
    await service.close();
    temp.cleanup();
  });

  const call = (method: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}api/call/${method}`, { method: 'POST', body, headers: { Authorization: `Bearer ${server.token}`, ...headers } });

  it('says which port is taken when another server holds it', async () => {
    await expect(startServer({ service, port: server.port })).rejects.toThrow(
      new RegExp(`Port ${server.port} on 127.0.0.1 is in use .*--port 0 for a free one`),
    );
  });

  it("says its own refusals in the user's language too: a taken port, no token, another origin", async () => {
    const taken = (await startServer({ service, port: server.port }).catch((e: unknown) => e)) as KernelLabError;
    expect(errorBodyText(taken.toBody(), 'en')).toBe(taken.message);
    expect(errorBodyText(taken.toBody(), 'ko')).toBe(
      `127.0.0.1의 포트 ${server.port}은(는) 이미 쓰이고 있습니다(다른 kernellab serve?). --port N을 주거나, 빈 포트를 쓰려면 --port 0을 주세요`,
    );
    const noToken = (await json(await fetch(`${server.url}api/call/app.health`, { method: 'POST', body: '{}' }))).error;
    expect(errorBodyText(noToken, 'en')).toBe(noToken.message);
    expect(errorBodyText(noToken, 'ko')).toBe('토큰이 없거나 맞지 않습니다. `kernellab serve`가 출력한 URL을 여세요');
    const origin = (await json(await call('app.health', '{}', { Origin: 'http://evil.example' }))).error;
    expect(errorBodyText(origin, 'en')).toBe('Requests from origin http://evil.example are refused');
    expect(errorBodyText(origin, 'ko')).toBe('출처 http://evil.example에서 온 요청은 거부됩니다');
    // A body over the limit (1000 bytes here), nested too deep, or not JSON.
    const big = await call('app.health', JSON.stringify({ pad: 'x'.repeat(2000) }));
    expect(big.status).toBe(413);
    const bigError = (await json(big)).error;
    expect(errorBodyText(bigError, 'en')).toBe(bigError.message);
    expect(errorBodyText(bigError, 'ko')).toMatch(/^\d+바이트인 요청 본문이 1000바이트 한도를 넘습니다$/);
    const notJson = (await json(await call('app.health', '{nope'))).error;
    expect(notJson.message).toMatch(/^Request body is not JSON: /);
    expect(errorBodyText(notJson, 'ko')).toBe('요청 본문이 JSON이 아닙니다 (문자 1)');
    const deep = (await json(await call('app.health', '['.repeat(200)))).error;
    expect(errorBodyText(deep, 'en')).toBe(deep.message);
    expect(errorBodyText(deep, 'ko')).toMatch(
      /^요청 본문이 \d+단계보다 깊이 중첩되어 있습니다\(문자 \d+\)\. 그런 KernelLab 입력은 없습니다$/,
    );
  });

  it('binds loopback and prints a URL carrying the token', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.urlWithToken).toContain(`?token=${server.token}`);
  });

  it('refuses requests without the token or with a wrong one', async () => {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(`${server.url}?token=nope`)).status).toBe(401);
    const noAuth = await fetch(`${server.url}api/call/app.health`, { method: 'POST', body: '{}' });
    expect(noAuth.status).toBe(401);
    expect((await json(noAuth)).error.message).toMatch(/token/);
  });

  it('serves the page with the token and sets a cookie that later requests can use', async () => {
    const page = await fetch(server.urlWithToken);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('KernelLab');
    const cookie = page.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    const health = await fetch(`${server.url}api/call/app.health`, {
      method: 'POST',
      body: '{}',
      headers: { Cookie: cookie.split(';')[0]! },
    });
    expect(health.status).toBe(200);
    expect((await json(health)).result.ok).toBe(true);
  });

  it('answers a real contract method', async () => {
    const response = await call('app.info', '{}');
    expect(response.status).toBe(200);
    const { result } = await json(response);
    expect(result.shell).toBe('server');
    expect(result.backends.find((b: { name: string }) => b.name === 'wasm').available).toBe(true);
  });

  it('names the wrong field of a bad input, and refuses unknown methods and non-JSON bodies', async () => {
    const bad = await call('app.health', '{"verbose":true}');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.issues[0]).toMatch(/verbose/);
    expect((await call('app.nope', '{}')).status).toBe(404);
    expect((await call('app.health', '{not json')).status).toBe(400);
  });

  it('answers 413 to a body over the limit', async () => {
    const response = await call('app.health', JSON.stringify({ pad: 'x'.repeat(5000) }));
    expect(response.status).toBe(413);
  });

  it('answers 413, not a reset, to an oversized chunked body (no Content-Length)', async () => {
    // node:http sends Transfer-Encoding: chunked when no length is set, as a streaming client does.
    const viaHttp = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${server.url}api/call/app.health`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}` } });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < 50; i++) req.write('x'.repeat(1000));
      req.end();
    });
    expect(viaHttp.status).toBe(413);
    expect(JSON.parse(viaHttp.body).error.message).toMatch(/over the 1000-byte limit/);
    const chunk = new TextEncoder().encode('y'.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 8 * 1024 * 1024) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const viaFetch = await fetch(`${server.url}api/call/app.health`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { Authorization: `Bearer ${server.token}` },
    } as RequestInit);
    expect(viaFetch.status).toBe(413);
    // The server is still up and answers on a new connection.
    expect((await call('app.health', '{}')).status).toBe(200);
  });

  it('answers 400, not 500, to JSON nested deeper than any input needs', async () => {
    const deep = await call('app.health', '['.repeat(400) + ']'.repeat(400));
    expect(deep.status).toBe(400);
    expect((await json(deep)).error.message).toMatch(/nested deeper than 64 levels/);
    // Brackets inside strings are text, not nesting.
    const inString = await call('app.health', JSON.stringify({ pad: '['.repeat(500) }));
    expect(inString.status).toBe(400);
    expect((await json(inString)).error.message).toMatch(/Invalid input for app\.health/);
  });

  it('takes a runs.import export larger than the general limit, up to its own', async () => {
    // Over the 1,000-byte limit of this server, under the import limit: reaches validation.
    const big = await call('runs.import', JSON.stringify({ content: `{"runs": [${'1,'.repeat(1000)}1]}` }));
    expect(big.status).not.toBe(413);
    expect(big.status).toBeLessThan(500);
    const tooBig = await call('runs.import', 'x'.repeat(20_001));
    expect(tooBig.status).toBe(413);
  });

  it('imports an export posted as it is to /api/import/runs (written to a file, read a part at a time), within its own limit', async () => {
    const elsewhere = RunStore.open(join(temp.dir, 'elsewhere.db'));
    let content: string;
    try {
      const run = elsewhere.createRun({
        name: '업로드',
        modelSpec: { layers: [] },
        dataset: 'mnist',
        backend: 'cpu',
        seed: 1,
        hyperparameters: {},
        status: 'completed',
      });
      elsewhere.logBatch(Array.from({ length: 60 }, (_, step) => ({ runId: run.id, key: 'loss', step, epoch: 1, value: 1 / (step + 1) })));
      content = elsewhere.exportRuns({ runIds: [run.id] }, 'json').content;
    } finally {
      elsewhere.close();
    }
    expect(content.length).toBeGreaterThan(1000); // over the general limit, so only the import route takes it
    const post = (body: string) =>
      fetch(`${server.url}api/import/runs`, { method: 'POST', body, headers: { Authorization: `Bearer ${server.token}` } });
    expect(await json(await post(content))).toEqual({ ok: true, result: { imported: 1, skipped: 0 } });
    expect(await json(await post(content))).toEqual({ ok: true, result: { imported: 0, skipped: 1 } });
    expect(service.context.store.listRuns().rows.some((r) => r.name === '업로드')).toBe(true);
    const bad = await post('{"format":"something","version":1}');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.message).toMatch(/Invalid runs export: format/);
    expect((await post('x'.repeat(50_001))).status).toBe(413);
    const unauthorised = await fetch(`${server.url}api/import/runs`, { method: 'POST', body: content });
    expect(unauthorised.status).toBe(401);
  });

  it('downloads an export from GET /api/export/runs as runs.export writes it, a part at a time, and refuses bad queries naming the field', async () => {
    const store = service.context.store;
    const ids = Array.from({ length: 300 }, (_, i) => {
      const run = store.createRun({
        name: `내보내기 ${i}`,
        modelSpec: { layers: [] },
        dataset: 'mnist',
        backend: 'cpu',
        seed: i,
        hyperparameters: {},
        status: 'completed',
      });
      store.logBatch([{ runId: run.id, key: 'loss', step: 1, epoch: 1, value: i === 1 ? NaN : 1 / (i + 1) }]);
      return run.id;
    });
    const get = (query: string, headers: Record<string, string> = { Authorization: `Bearer ${server.token}` }) =>
      fetch(`${server.url}api/export/runs?${query}`, { headers });
    const withoutTime = (text: string) => text.replace(/"exportedAt":\d+/, '');
    const download = await get(`runs=${ids.join(',')}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(download.headers.get('content-disposition')).toBe('attachment; filename="runs-300.json"');
    expect(withoutTime(await download.text())).toBe(withoutTime(store.exportRuns({ runIds: ids }, 'json').content));
    const csv = await get(`runs=${ids[0]}&format=metrics-csv`);
    expect(csv.headers.get('content-disposition')).toBe(`attachment; filename="run-${ids[0]}-metrics.csv"`);
    expect(await csv.text()).toBe(store.exportRuns({ runIds: [ids[0]!] }, 'metrics-csv').content);
    // The serve token as a query parameter works as it does for the page (a plain download link).
    expect((await get(`runs=${ids[0]}&token=${server.token}`, {})).status).toBe(200);
    expect((await get(`runs=${ids[0]}`, {})).status).toBe(401);
    const refusal = async (query: string) => {
      const response = await get(query);
      return { status: response.status, message: (await json(response)).error.message as string };
    };
    expect(await refusal('runs=1,x')).toMatchObject({
      status: 400,
      message: expect.stringMatching(/runs\.export: runs\.1: expected a run, sweep or experiment id .*got 'x'/),
    });
    expect(await refusal(`runs=${ids[0]}&format=xml`)).toMatchObject({ status: 400, message: expect.stringMatching(/format: /) });
    expect(await refusal(`runs=${ids[0]}&sweep=1`)).toMatchObject({ status: 400, message: expect.stringMatching(/exactly one of runIds/) });
    expect(await refusal('')).toMatchObject({ status: 400, message: expect.stringMatching(/exactly one of runIds/) });
    expect(await refusal(`runs=${ids[0]}&name=x`)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/Unknown export query parameter 'name'/),
    });
    expect(await refusal(`runs=${ids[0]}&runs=${ids[1]}`)).toMatchObject({
      status: 400,
      message: expect.stringMatching(/'runs' is given more than once/),
    });
    // Node answers a URL over 16 KiB itself (431): the id limit is met only by a caller that asks exportQuery directly.
    expect(() => exportQuery(new URLSearchParams({ runs: Array.from({ length: 10_001 }, () => 1).join(',') }))).toThrow(
      /at most 10,000 ids/,
    );
    expect(await refusal('sweep=0')).toMatchObject({ status: 400, message: expect.stringMatching(/sweep: expected/) });
    expect(await refusal('sweep=999999')).toMatchObject({ status: 404 });
    expect(await refusal('runs=999999')).toMatchObject({ status: 404, message: expect.stringMatching(/run 999999 does not exist/) });
    expect(
      (await fetch(`${server.url}api/export/runs?runs=${ids[0]}`, { method: 'POST', headers: { Authorization: `Bearer ${server.token}` } }))
        .status,
    ).toBe(404);
  });

  it('refuses another origin and another Host', async () => {
    expect((await call('app.health', '{}', { Origin: 'http://evil.example' })).status).toBe(401);
    // fetch will not send a forged Host header; node:http will, as a rebinding page's browser would.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}api/call/app.health`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${server.token}`, Host: `evil.example:${server.port}` },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end('{}');
    });
    expect(status).toBe(401);
  });

  it('serves nothing outside the renderer folder', async () => {
    for (const path of ['../secret.txt', '%2e%2e/secret.txt', '..%2fsecret.txt', '%2e%2e%5csecret.txt']) {
      const response = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${server.token}` } });
      expect(response.status, path).not.toBe(200);
    }
  });

  it('streams events over SSE', async () => {
    const controller = new AbortController();
    const response = await fetch(`${server.url}api/events`, {
      headers: { Authorization: `Bearer ${server.token}` },
      signal: controller.signal,
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain(': connected');
    // Subscribed: an emitted event reaches this client.
    await new Promise((r) => setTimeout(r, 20));
    (service.events as unknown as { emit: (n: string, p: unknown) => void }).emit('test.ping', { n: 1 });
    const second = new TextDecoder().decode((await reader.read()).value);
    expect(second).toBe('data: {"name":"test.ping","payload":{"n":1}}\n\n');
    controller.abort();
  });
});
