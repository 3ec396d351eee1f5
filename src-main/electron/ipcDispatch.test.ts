import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { methods } from '../core/contract/index.ts';
import { createService, type Service } from '../core/service.ts';
import { unknownMethodName } from '../test/methodNames.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { dispatchIpc, dispatchPageLanguage } from './ipcDispatch.ts';
import { MainLanguage } from './language.ts';

// What a renderer can send over IPC: structured-clone values, not only JSON.
const payload = fc.oneof(
  fc.jsonValue(),
  fc.constant(undefined),
  fc.date(),
  fc.uint8Array({ maxLength: 16 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.jsonValue(), fc.date(), fc.constant(undefined)), { maxKeys: 4 }),
);

describe('IPC payload validation (property-based)', () => {
  const temp = makeTempDir();
  let service: Service;
  beforeAll(() => {
    service = createService({ dataDir: join(temp.dir, 'home'), shell: 'electron' });
  });
  afterAll(async () => {
    await service.close();
    temp.cleanup();
  });

  it('refuses every call from an untrusted frame, whatever it carries', async () => {
    await fc.assert(
      fc.asyncProperty(payload, async (input) => {
        const reply = await dispatchIpc(service, 'runs.list', input, false);
        expect(reply).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
      }),
      { numRuns: 30 },
    );
  });

  it('answers malformed inputs with invalid_input naming a field, and writes no run', async () => {
    // The fields of each method's input, as its contract entry documents them: an error names one of them.
    const fields: Record<string, string[]> = {
      'runs.get': ['id'],
      'runs.setNote': ['id', 'body'],
      'runs.setTags': ['id', 'tags'],
      'runs.delete': ['id'],
      'runs.start': ['run', 'set', 'name', 'priority', 'experiment'],
      'sweeps.start': ['spec'],
      'training.summary': ['spec'],
      'datasets.import': ['name', 'paths'],
    };
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...Object.keys(fields)), payload, async (method, input) => {
        const reply = await dispatchIpc(service, method, input, true);
        if (reply.ok) return; // a few random payloads can be valid (e.g. an empty filter); the rest must be refused
        const { code, message, issues = [] } = reply.error;
        if (code === 'not_found') {
          // A well-formed id of a run that does not exist: the message says which.
          expect(message).toContain(String((input as { id: number }).id));
          return;
        }
        expect(code).toBe('invalid_input');
        expect(message).toMatch(new RegExp(`^Invalid input for ${method.replace('.', '\\.')}: `));
        expect(issues.length).toBeGreaterThan(0);
        for (const issue of issues) {
          expect(message).toContain(issue);
          const [path, what] = issue.split(/: (.*)/s) as [string, string];
          if (path !== '(root)') {
            expect(fields[method]).toContain(path.split('.')[0]);
          } else if (/^Unrecognized key/.test(what)) {
            // An unknown field is named by its key.
            const known = new Set(fields[method]);
            for (const key of Object.keys(input as object).filter((k) => !known.has(k))) expect(what).toContain(`"${key}"`);
          } else {
            // Anything but an object is refused as a whole: the message says what came instead.
            expect(what).toMatch(/expected object, received /);
          }
        }
      }),
      { numRuns: 60 },
    );
    const runs = await service.call('runs.list', {});
    expect(runs.total).toBe(0);
  });

  it('refuses unknown methods, near misses included, and runs none of them', async () => {
    await fc.assert(
      fc.asyncProperty(unknownMethodName, async (name) => {
        const reply = await dispatchIpc(service, name, { id: 1, run: { preset: 'lenet5-relu', dataset: 'mnist' } }, true);
        expect(reply).toEqual({ ok: false, error: { code: 'not_found', message: `Unknown method '${name}'` } });
      }),
      { numRuns: 100 },
    );
    expect((await service.call('runs.list', {})).total).toBe(0);
  });

  it('reaches every real method: each validates its input instead of calling it unknown', async () => {
    // A union input cannot say which key is extra; it names the shapes it takes instead.
    const namesWhatItTakes: Record<string, RegExp> = { 'sweeps.reprioritize': /\{ runId, priority \} or \{ sweepId, priority \}/ };
    for (const name of Object.keys(methods)) {
      const reply = await dispatchIpc(service, name, { notAField: 1 }, true);
      if (reply.ok) throw new Error(`${name} accepted an unknown field`);
      // A remote executor's methods need an agent token, which a window never carries: refused before their input is read.
      if (name.startsWith('agent.')) {
        expect(reply.error.code, name).toBe('unauthorized');
        continue;
      }
      expect(reply.error.code, name).toBe('invalid_input');
      expect(reply.error.message, name).toMatch(new RegExp(`^Invalid input for ${name.replace('.', '\\.')}: `));
      expect(reply.error.message, name).toMatch(namesWhatItTakes[name] ?? /Unrecognized key: "notAField"/);
    }
  });
});

describe("the page's language over IPC (property-based)", () => {
  it('takes en or ko from our page, refuses anything else in words, and refuses an untrusted frame whatever it sends', () => {
    const language = new MainLanguage('en');
    fc.assert(
      // Our locales and near misses often, anything a renderer can send besides.
      fc.property(fc.oneof(fc.constantFrom('en', 'ko', 'ko-KR', 'KO', ' ko', 'fr'), payload), (input) => {
        const before = language.locale;
        const refused = dispatchPageLanguage(language, input, false);
        expect(refused).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
        expect(language.locale).toBe(before);
        const reply = dispatchPageLanguage(language, input, true);
        if (input === 'en' || input === 'ko') {
          expect(reply).toEqual({ ok: true, result: input });
          expect(language.locale).toBe(input);
          return;
        }
        expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_input', messageCode: { code: 'error_page_language' } } });
        expect(language.locale).toBe(before);
      }),
      { numRuns: 200 },
    );
    expect(dispatchPageLanguage(language, 'ko', true)).toEqual({ ok: true, result: 'ko' });
    expect(dispatchPageLanguage(language, 'ko', false)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
  });

  it("passes on whether it is the user's switch only as true or false, and tells main's file only when that changes", () => {
    const language = new MainLanguage('en');
    const remembered: (string | undefined)[] = [];
    language.onChoice((chosen) => remembered.push(chosen));
    fc.assert(
      fc.property(fc.oneof(fc.boolean(), payload), (chosen) => {
        expect(dispatchPageLanguage(language, 'ko', false, chosen)).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
        const reply = dispatchPageLanguage(language, 'ko', true, chosen);
        if (chosen === undefined || typeof chosen === 'boolean') expect(reply).toEqual({ ok: true, result: 'ko' });
        else
          expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_input', messageCode: { code: 'error_page_language_chosen' } } });
      }),
      { numRuns: 200 },
    );
    // Each change of the switch told once: never two of the same in a row.
    expect(remembered.every((chosen, i) => i === 0 || chosen !== remembered[i - 1])).toBe(true);
  });
});
