import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../i18n/coreText.ts';
import { RunStore } from '../core/db/RunStore.ts';
import { servedService } from '../test/servedService.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { unwrapContent } from './importBody.ts';
import { uploadFolderPrefix } from './importUpload.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are inspected loosely in assertions
const json = (response: Response): Promise<any> => response.json();

/** Every character past ASCII as a `\uXXXX` escape (an emoji as its two surrogate halves), as some JSON writers send it. */
const asciiOnly = (body: string) => body.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

describe('runs.import over HTTP: the export text is written to a file and imported from there', () => {
  // A body of another shape is parsed whole up to 2 MB here (256 MiB by default), {"content": …} streamed up to 8 MB.
  const served = servedService({ server: { maxBodyBytes: 1000, maxImportBytes: 8_000_000, maxWholeImportBytes: 2_000_000 } });
  const home = served.home;

  const uploads = () => readdirSync(home).filter((name) => name.startsWith(uploadFolderPrefix));
  const call = (body: string) =>
    fetch(`${served.server.url}api/call/runs.import`, {
      method: 'POST',
      body,
      headers: { Authorization: `Bearer ${served.server.token}` },
    });

  /** An export of runs named `names` from another database, each with 40 points, a note full of escapes and a tag. */
  function exported(names: string[], note = (name: string) => `${name}\n\t"quoted" \\ back/slash \u0001 ${name}`): string {
    const elsewhere = RunStore.open(join(served.dir, `elsewhere-${names[0]!.length}-${Date.now()}.db`));
    try {
      const ids = names.map((name) => {
        const run = elsewhere.createRun({
          name,
          modelSpec: { layers: [] },
          dataset: 'mnist',
          backend: 'cpu',
          seed: 1,
          hyperparameters: {},
          status: 'completed',
        });
        elsewhere.logBatch(
          Array.from({ length: 40 }, (_, step) => ({ runId: run.id, key: 'loss', step, epoch: 1, value: 1 / (step + 1) })),
        );
        elsewhere.setNote(run.id, note(name));
        elsewhere.setTags(run.id, [`${name.slice(0, 20)} 태그`]);
        return run.id;
      });
      return elsewhere.exportRuns({ runIds: ids }, 'json').content;
    } finally {
      elsewhere.close();
    }
  }

  const runByName = (name: string) => served.service.context.store.listRuns({ limit: 1000 }).rows.find((r) => r.name === name);

  it('imports what the text says, characters and escapes as they were, whether the body is UTF-8 or \\u escapes', async () => {
    const names = ['실행 😀 하나', 'run "two" \\ 둘', 'ünïcödé three'];
    const inUtf8 = exported(names);
    // The import's progress is reported while the export lies in a file in the data folder's upload area.
    const seen: string[][] = [];
    const unsubscribe = served.service.events.subscribe((event) => {
      if (event.name === 'runs.importProgress') seen.push(uploads().flatMap((dir) => readdirSync(join(home, dir))));
    });
    try {
      expect(await json(await call(JSON.stringify({ content: inUtf8 })))).toEqual({ ok: true, result: { imported: 3, skipped: 0 } });
    } finally {
      unsubscribe();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[0]).toEqual(['runs.json']);
    for (const name of names) {
      const run = runByName(name)!;
      expect(run).toBeDefined();
      const detail = served.service.context.store.runDetail(run.id)!;
      expect(detail.note).toBe(`${name}\n\t"quoted" \\ back/slash \u0001 ${name}`);
      expect(detail.tags).toEqual([`${name.slice(0, 20)} 태그`]);
      expect(served.service.context.store.metricSeries(run.id).counts).toEqual({ loss: 40 });
    }

    const escapedNames = ['𝒳 escaped 𝒴', '이스케이프'];
    const body = asciiOnly(JSON.stringify({ content: exported(escapedNames) }));
    expect(body).toMatch(/^[\x20-\x7e]*$/);
    expect(body).toContain('\\ud835\\udcb3');
    expect(await json(await call(body))).toEqual({ ok: true, result: { imported: 2, skipped: 0 } });
    for (const name of escapedNames) expect(runByName(name)).toBeDefined();
    // The same text again: nothing new, and nothing left in the upload area.
    expect(await json(await call(JSON.stringify({ content: inUtf8 })))).toEqual({ ok: true, result: { imported: 0, skipped: 3 } });
    expect(uploads()).toEqual([]);
  });

  it('carries notes across the reads of the body intact: characters, escapes and surrogate pairs split between reads', async () => {
    // 24 runs with notes of ~90,000 characters: bodies of several MiB, read a MiB at a time.
    const note = (name: string) => `${name} ${'한글 "q" \\ 😀 \n\t\u0002 x'.repeat(4500)}`;
    const names = Array.from({ length: 12 }, (_, i) => `long note ${i}`);
    const escapedNames = Array.from({ length: 12 }, (_, i) => `long escaped note ${i}`);
    const inUtf8 = JSON.stringify({ content: exported(names, note) });
    const escaped = asciiOnly(JSON.stringify({ content: exported(escapedNames, note) }));
    expect(Buffer.byteLength(inUtf8)).toBeGreaterThan(2 ** 21);
    expect(escaped.length).toBeGreaterThan(2 ** 21);
    expect(await json(await call(inUtf8))).toEqual({ ok: true, result: { imported: 12, skipped: 0 } });
    expect(await json(await call(escaped))).toEqual({ ok: true, result: { imported: 12, skipped: 0 } });
    for (const name of [...names, ...escapedNames])
      expect(served.service.context.store.runDetail(runByName(name)!.id)!.note).toBe(note(name));
    expect(uploads()).toEqual([]);
  });

  it('takes {"content": …} over the limit of a body parsed whole from a file, and refuses another shape that large, saying which shape is taken', async () => {
    // 30 runs with notes of ~90,000 characters: a body of about 3 MB, over the 2 MB a body parsed whole may have.
    const note = (name: string) => `${name} ${'한글 "q" \\ 😀 \n x'.repeat(4500)}`;
    const names = Array.from({ length: 30 }, (_, i) => `past the whole limit ${i}`);
    const content = exported(names, note);
    const body = JSON.stringify({ content });
    expect(Buffer.byteLength(body)).toBeGreaterThan(2_000_000);
    const total = () => served.service.context.store.listRuns().total;
    const before = total();

    // The same export beside another member: read whole it would be, so it is refused before that, and nothing is imported.
    const otherShape = JSON.stringify({ content, extra: 1 });
    const refused = await call(otherShape);
    expect(refused.status).toBe(413);
    const error = (await json(refused)).error;
    // In Korean, no English is left but the method's name, the member's name and the path.
    expect(errorBodyText(error, 'ko')).toBe(
      `runs.import 본문이 ${Buffer.byteLength(otherShape).toLocaleString('ko-KR')}바이트로, 내보내기를 문자열로 담은 "content" 멤버 하나만 있지 않은 본문의 한도 2,000,000바이트를 넘습니다: 그 멤버만 보내거나 내보내기 파일을 /api/import/runs로 올리세요`,
    );
    expect(error).toMatchObject({
      code: 'too_large',
      message: `A runs.import body of ${Buffer.byteLength(otherShape)} bytes is over the 2000000-byte limit of a body with anything but the one member "content" holding the export as a string: send only that member, or post the export file to /api/import/runs`,
      messageCode: { code: 'error_import_body_shape_too_large', params: { size: Buffer.byteLength(otherShape), limit: 2_000_000 } },
    });
    expect(total()).toBe(before);
    expect(uploads()).toEqual([]);

    // {"content": …} of that size is imported from the unescaped file, the body itself already gone.
    const seen: string[][] = [];
    const unsubscribe = served.service.events.subscribe((event) => {
      if (event.name === 'runs.importProgress') seen.push(uploads().flatMap((dir) => readdirSync(join(home, dir))));
    });
    try {
      expect(await json(await call(body))).toEqual({ ok: true, result: { imported: 30, skipped: 0 } });
    } finally {
      unsubscribe();
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.flat())).toEqual(new Set(['runs.json']));
    expect(total()).toBe(before + 30);
    expect(served.service.context.store.runDetail(runByName(names[29]!)!.id)!.note).toBe(note(names[29]!));
    expect(uploads()).toEqual([]);
  });

  it('refuses a bad export, and any other body, with the same answers as before, leaving nothing behind', async () => {
    const total = () => served.service.context.store.listRuns().total;
    const before = total();
    const notAnExport = await call(JSON.stringify({ content: '{"format":"something else","version":1}' }));
    expect(notAnExport.status).toBe(400);
    expect((await json(notAnExport)).error).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/^Invalid runs export: format: expected "kernellab.runs"/),
    });

    const cases: [string, RegExp][] = [
      ['{"content":5}', /Invalid input for runs\.import/],
      ['{"content":"{}","extra":1}', /Invalid input for runs\.import/],
      ['{"content":"{}"', /Request body is not JSON/],
      ['{"content":"{}"} x', /Request body is not JSON/],
      ['', /Invalid input for runs\.import/],
      // A lone surrogate has no UTF-8 form: the body is parsed as a string, as before, and the text refused.
      ['{"content":"\\ud800"}', /Invalid runs export: \(root\): not JSON/],
    ];
    for (const [body, message] of cases) {
      const answer = await call(body);
      expect(answer.status, body).toBe(400);
      expect((await json(answer)).error.message, body).toMatch(message);
    }
    const tooBig = await call(JSON.stringify({ content: 'x'.repeat(8_000_000) }));
    expect(tooBig.status).toBe(413);
    expect((await json(tooBig)).error.message).toMatch(/^Request body of 8000014 bytes is over the 8000000-byte limit$/);
    expect(total()).toBe(before);
    expect(uploads()).toEqual([]);
    expect(existsSync(home)).toBe(true);
  });
});

describe('unwrapContent: the content string of {"content":"…"} as UTF-8, whatever the reads cut', () => {
  const temp = makeTempDir();
  afterAll(() => temp.cleanup());
  const body = join(temp.dir, 'body.json');
  const out = join(temp.dir, 'runs.json');
  const unwrap = async (text: string, readBytes: number) => {
    writeFileSync(body, text);
    return (await unwrapContent(body, out, new AbortController().signal, readBytes)) ? readFileSync(out) : null;
  };

  it('writes the bytes of the string JSON.parse reads, raw or escaped, for read sizes 1 to 7 (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.integer({ min: 1, max: 7 }),
        fc.boolean(),
        async (content, size, spaced) => {
          // Lone surrogates have no UTF-8 form: those strings are the other property's.
          fc.pre(!/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(content));
          const text = spaced ? ` {\n "content" :\t${JSON.stringify(content)} }\n` : JSON.stringify({ content });
          const expected = Buffer.from(content, 'utf8');
          expect(await unwrap(text, size)).toEqual(expected);
          expect(await unwrap(asciiOnly(text), size)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('declines any other shape, so the body is parsed whole as before', async () => {
    for (const text of [
      '',
      '{}',
      '{"content":1}',
      '{"content":"a","b":1}',
      '{"contents":"a"}',
      '{"\\u0063ontent":"a"}',
      '{"content":"a"',
      '{"content":"a"} 1',
      '{"content":"\\ud800"}',
      '{"content":"\\udc00"}',
      '{"content":"\\ud800x"}',
      '{"content":"\\x"}',
      '{"content":"tab\there"}',
      '["content","a"]',
    ])
      for (const size of [1, 3, 1024]) expect(await unwrap(text, size), `${text} / ${size}`).toBeNull();
  });
});
