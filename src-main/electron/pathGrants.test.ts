import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodyText, issuesOf } from '../../i18n/coreText.ts';
import { mnistDataFiles } from '../core/datasets/index.ts';
import { RunStore } from '../core/db/RunStore.ts';
import { createService, type Service } from '../core/service.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { dispatchIpc } from './ipcDispatch.ts';
import { PathGrants, pickedPrefix } from './pathGrants.ts';

describe('paths in the desktop app come from main’s file dialog', () => {
  const temp = makeTempDir();
  let service: Service;
  beforeAll(() => {
    service = createService({ dataDir: join(temp.dir, 'home'), shell: 'electron' });
  });
  afterAll(async () => {
    await service.close();
    temp.cleanup();
  });

  it('imports files chosen in the dialog, through their tokens', async () => {
    const grants = new PathGrants();
    const picked = grants.grant(mnistDataFiles());
    expect(picked.map((p) => p.name)).toEqual(mnistDataFiles().map((f) => f.split('/').at(-1)));
    for (const p of picked) expect(p.token).toMatch(new RegExp(`^${pickedPrefix}[A-Za-z0-9_-]{24}$`));
    const reply = await dispatchIpc(service, 'datasets.import', { paths: picked.map((p) => p.token) }, true, grants);
    expect(reply).toMatchObject({ ok: true, result: { name: 'mnist', status: 'ready' } });
  });

  it('refuses any path the page typed, or a token it made up, naming the field; nothing is read', async () => {
    const grants = new PathGrants();
    const [real] = grants.grant(['/etc']);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constantFrom('/etc/passwd', '/dev/zero', '../../x', `${pickedPrefix}guess`, 'picked:'), fc.string()), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.nat({ max: 3 }),
        async (paths, at) => {
          // A made-up entry anywhere, even beside a real token, refuses the whole call.
          const mixed = [...paths.slice(0, at), real!.token, ...paths.slice(at)];
          for (const method of ['datasets.import', 'engines.install'] as const) {
            const field = method === 'datasets.import' ? 'paths' : 'wheelFiles';
            const input = method === 'datasets.import' ? { paths: mixed } : { name: 'tensorflow', wheelFiles: mixed };
            const reply = await dispatchIpc(service, method, input, true, grants);
            expect(reply.ok).toBe(false);
            if (!reply.ok) {
              expect(reply.error.code).toBe('unauthorized');
              expect(reply.error.message).toMatch(new RegExp(`${field}\\.\\d+ is not a file chosen in the file dialog`));
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('imports a runs export picked in the dialog into the store, read from the file (runs.importFile); a typed path is refused', async () => {
    const elsewhere = RunStore.open(join(temp.dir, 'elsewhere.db'));
    const file = join(temp.dir, '실험 runs.json');
    try {
      const run = elsewhere.createRun({
        name: '가져오기',
        modelSpec: { layers: [] },
        dataset: 'mnist',
        backend: 'cpu',
        seed: 1,
        hyperparameters: {},
        status: 'completed',
      });
      elsewhere.logBatch(Array.from({ length: 30 }, (_, step) => ({ runId: run.id, key: 'loss', step, epoch: 1, value: 1 / (step + 1) })));
      writeFileSync(file, elsewhere.exportRuns({ runIds: [run.id] }, 'json').content);
    } finally {
      elsewhere.close();
    }
    const grants = new PathGrants();
    const [picked] = grants.grant([file]);
    expect(picked!.name).toBe('실험 runs.json');
    const progress: number[] = [];
    const unsubscribe = service.events.subscribe((event) => {
      if (event.name === 'runs.importProgress') progress.push(event.payload.done);
    });
    try {
      expect(await dispatchIpc(service, 'runs.importFile', { path: picked!.token }, true, grants)).toEqual({
        ok: true,
        result: { imported: 1, skipped: 0 },
      });
      expect(await dispatchIpc(service, 'runs.importFile', { path: picked!.token }, true, grants)).toEqual({
        ok: true,
        result: { imported: 0, skipped: 1 },
      });
    } finally {
      unsubscribe();
    }
    expect(progress).toContain(1);
    const imported = (await service.call('runs.list', {})).rows.find((r) => r.name === '가져오기');
    expect((await service.call('runs.metrics', { id: imported!.id })).counts).toEqual({ loss: 30 });
    for (const path of [file, '/etc/passwd', `${pickedPrefix}guess`, 7, ['x']]) {
      const reply = await dispatchIpc(service, 'runs.importFile', { path }, true, grants);
      expect(reply).toMatchObject({
        ok: false,
        error: {
          code: 'unauthorized',
          message: expect.stringMatching(/^runs\.importFile: path(\.0)? is not a file chosen in the file dialog/),
        },
      });
      // The page says it in its language: the English as before, the Korean with no English left but the method and field.
      if (reply.ok) continue;
      expect(errorBodyText(reply.error, 'en')).toBe(reply.error.message);
      expect(issuesOf(reply.error.issues!, reply.error.issueCodes, 'en')).toEqual(reply.error.issues);
      const field = Array.isArray(path) ? 'path.0' : 'path';
      expect(errorBodyText(reply.error, 'ko')).toBe(
        `runs.importFile: ${field}은(는) 파일 대화 상자에서 고른 파일이 아닙니다. 데스크톱 앱에서는 파일을 입력하지 않고 대화 상자에서 고릅니다`,
      );
      expect(issuesOf(reply.error.issues!, reply.error.issueCodes, 'ko')).toEqual([`${field}: 대화 상자에서 고른 파일이 아닙니다`]);
    }
    // Without the dialog (browser mode, the CLI) the path itself is given, and must be absolute.
    await expect(service.call('runs.importFile', { path: 'runs.json' })).rejects.toThrow(
      /path: expected an absolute path to a runs export file/,
    );
    await expect(service.call('runs.importFile', { path: join(temp.dir, 'none.json') })).rejects.toThrow(
      /Cannot read the runs export .*none\.json: there is no such file/,
    );
  });

  it("tokens expire, and a call with an expired one is refused in the page's language", async () => {
    let now = 1000;
    const grants = new PathGrants({ ttlMs: 60_000, now: () => now });
    const [p] = grants.grant(['/data/mnist']);
    expect(grants.resolve(p!.token)).toBe('/data/mnist');
    now += 60_001;
    expect(grants.resolve(p!.token)).toBeUndefined();
    // A dialog left open past the hour, then Import: nothing is read, and the page can say why in Korean.
    const reply = await dispatchIpc(service, 'datasets.import', { paths: [p!.token] }, true, grants);
    if (reply.ok) throw new Error('an expired token was taken');
    expect(reply.error.message).toBe(
      'datasets.import: paths.0 is not a file chosen in the file dialog; in the desktop app files are picked with the dialog, not typed',
    );
    expect(errorBodyText(reply.error, 'en')).toBe(reply.error.message);
    expect(errorBodyText(reply.error, 'ko')).toMatch(/^datasets\.import: paths\.0은\(는\) 파일 대화 상자에서 고른 파일이 아닙니다\./);
  });
});
