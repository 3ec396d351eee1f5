import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../core/service.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { dispatchIpc } from './ipcDispatch.ts';

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
    const methods = fc.constantFrom(
      'runs.get',
      'runs.setNote',
      'runs.setTags',
      'runs.delete',
      'runs.start',
      'sweeps.start',
      'training.summary',
      'datasets.import',
    );
    await fc.assert(
      fc.asyncProperty(methods, payload, async (method, input) => {
        const reply = await dispatchIpc(service, method, input, true);
        if (reply.ok) return; // a few random payloads can be valid (e.g. an empty filter); the rest must be refused
        expect(['invalid_input', 'not_found']).toContain(reply.error.code);
        expect(reply.error.message.length).toBeGreaterThan(10);
      }),
      { numRuns: 60 },
    );
    const runs = await service.call('runs.list', {});
    expect(runs.total).toBe(0);
  });

  it('refuses unknown methods', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), async (name) => {
        fc.pre(!['app.info', 'app.health'].includes(name) && !name.includes('.'));
        const reply = await dispatchIpc(service, name, {}, true);
        expect(reply).toMatchObject({ ok: false, error: { code: 'not_found' } });
      }),
      { numRuns: 20 },
    );
  });
});
