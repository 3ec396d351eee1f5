import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../i18n/coreText.ts';
import { RunStore } from '../core/db/RunStore.ts';
import { createService, type Service } from '../core/service.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { leftUploadMs, removeLeftUploads, uploadFolderPrefix } from './importUpload.ts';
import { startServer, type RunningServer } from './server.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are inspected loosely in assertions
const json = (response: Response): Promise<any> => response.json();

describe('POST /api/import/runs (browser mode uploads an export)', () => {
  const temp = makeTempDir();
  const home = join(temp.dir, 'home');
  let service: Service;
  let server: RunningServer;
  let content: string;

  beforeAll(async () => {
    service = createService({ dataDir: home, shell: 'server' });
    server = await startServer({ service, port: 0, maxImportFileBytes: 50_000 });
    const elsewhere = RunStore.open(join(temp.dir, 'elsewhere.db'));
    try {
      const run = elsewhere.createRun({
        name: '올린 실행',
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
  });
  afterAll(async () => {
    await server.close();
    await service.close();
    temp.cleanup();
  });

  const uploads = () => readdirSync(home).filter((name) => name.startsWith(uploadFolderPrefix));
  const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}api/import/runs`, {
      method: 'POST',
      body,
      headers: { Authorization: `Bearer ${server.token}`, ...headers },
      ...(body instanceof ReadableStream && { duplex: 'half' }),
    } as RequestInit);
  const runNames = () => service.context.store.listRuns().rows.map((r) => r.name);

  it('imports a good export, skips it the second time, and leaves no temporary file', async () => {
    expect(await json(await post(content))).toEqual({ ok: true, result: { imported: 1, skipped: 0 } });
    expect(runNames()).toContain('올린 실행');
    expect(await json(await post(content))).toEqual({ ok: true, result: { imported: 0, skipped: 1 } });
    expect(uploads()).toEqual([]);
  });

  it('refuses an export over the upload limit with 413 and a coded sentence, declared or streamed, and removes what it wrote', async () => {
    const declared = await post('x'.repeat(50_001));
    expect(declared.status).toBe(413);
    const body = await json(declared);
    expect(body.error).toMatchObject({
      code: 'too_large',
      message: 'The runs export is over the 50000-byte upload limit',
      messageCode: { code: 'error_import_upload_too_large', params: { limit: 50_000 } },
    });
    // No Content-Length: the limit is found while the body is written to the temporary file.
    const chunks = Array.from({ length: 8 }, () => new TextEncoder().encode('y'.repeat(10_000)));
    const streamed = await post(new ReadableStream({ pull: (c) => (chunks.length ? c.enqueue(chunks.pop()!) : c.close()) }));
    expect(streamed.status).toBe(413);
    expect((await json(streamed)).error.messageCode.code).toBe('error_import_upload_too_large');
    expect(uploads()).toEqual([]);
  });

  it('refuses a body that is not JSON, or has no token, changing nothing', async () => {
    const before = runNames().length;
    const notJson = await post('this is not an export');
    expect(notJson.status).toBe(400);
    const refused = (await json(notJson)).error;
    expect(refused.message).toMatch(/^Invalid runs export: .*not JSON/);
    // What the page shows a Korean user for the same answer (issue 17).
    expect(errorBodyText(refused, 'ko')).toMatch(
      /^실행 내보내기 파일이 올바르지 않습니다: \(root\): KernelLab이 읽을 수 있는 JSON이 아닙니다 \(바이트 0: /,
    );
    const noToken = await fetch(`${server.url}api/import/runs`, { method: 'POST', body: content });
    expect(noToken.status).toBe(401);
    expect(runNames()).toHaveLength(before);
    expect(uploads()).toEqual([]);
  });

  it('removes the temporary file when the client goes away mid-upload, and keeps answering', async () => {
    const url = new URL(`${server.url}api/import/runs`);
    const req = request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { Authorization: `Bearer ${server.token}`, 'Content-Length': 40_000 },
    });
    req.on('error', () => {}); // the socket is destroyed on purpose
    req.write(content.slice(0, 10_000));
    // The first part is written to the data folder before the client goes away.
    for (let i = 0; i < 200 && uploads().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(uploads()).toHaveLength(1);
    req.destroy();
    for (let i = 0; i < 200 && uploads().length > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(uploads()).toEqual([]);
    const health = await fetch(`${server.url}api/call/app.health`, {
      method: 'POST',
      body: '{}',
      headers: { Authorization: `Bearer ${server.token}` },
    });
    expect(health.status).toBe(200);
  });
});

describe('upload folders a killed server left in the data folder', () => {
  it('are removed when a server starts once an hour untouched; a younger one (maybe another server’s upload) is kept', async () => {
    const temp = makeTempDir();
    const home = join(temp.dir, 'home');
    const service = createService({ dataDir: home, shell: 'server' });
    try {
      const left = join(home, `${uploadFolderPrefix}killed`);
      const live = join(home, `${uploadFolderPrefix}live`);
      for (const dir of [left, live]) {
        mkdirSync(dir);
        writeFileSync(join(dir, 'runs.json'), '{"format":"kernellab-runs"');
      }
      // A runs.import body still arriving (importBody.ts): its runs.json not written yet, its body.json growing.
      const arriving = join(home, `${uploadFolderPrefix}arriving`);
      mkdirSync(arriving);
      writeFileSync(join(arriving, 'body.json'), '{"content":"');
      const old = (Date.now() - leftUploadMs - 60_000) / 1000;
      for (const path of [join(left, 'runs.json'), left, arriving]) utimesSync(path, old, old);
      const server = await startServer({ service, port: 0 });
      await server.close();
      expect(existsSync(left)).toBe(false);
      expect(existsSync(join(live, 'runs.json'))).toBe(true);
      expect(existsSync(join(arriving, 'body.json'))).toBe(true);
      expect(removeLeftUploads(home)).toBe(0);
    } finally {
      await service.close();
      temp.cleanup();
    }
  });
});
