import { readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { unknownMethodName } from '../test/methodNames.ts';
import { servedService } from '../test/servedService.ts';

/** Every file under a folder with its size and mtime: "nothing was written" means this is unchanged. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out.push(`${p}:${s.size}:${s.mtimeMs}`);
    }
  };
  walk(dir);
  return out.join('\n');
}

describe('HTTP bad-input suite (property-based)', () => {
  const served = servedService({ server: { maxBodyBytes: 64 * 1024 } });
  let before: string;

  beforeAll(async () => {
    // Warm the health check so later snapshots compare like with like.
    await served.service.call('app.health', {});
    before = snapshot(served.home);
  });

  const post = (path: string, body: string, token: string | null = served.server.token) =>
    fetch(`${served.server.url}${path}`, { method: 'POST', body, headers: token === null ? {} : { Authorization: `Bearer ${token}` } });

  it('refuses every request with a missing or wrong token', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(fc.string({ minLength: 0, maxLength: 80 }), { nil: null }), async (token) => {
        fc.pre(token !== served.server.token);
        const response = await post('api/call/app.health', '{}', token);
        expect(response.status).toBe(401);
      }),
      { numRuns: 40 },
    );
  });

  it('answers unknown or malformed method names, near misses included, with 404 saying so, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(unknownMethodName, async (name) => {
        const response = await post(`api/call/${encodeURIComponent(name)}`, '{}');
        expect(response.status).toBe(404);
        const body = (await response.json()) as { ok: boolean; error: { code: string; message: string } };
        expect(body.ok).toBe(false);
        expect(body.error.code).toBe('not_found');
        // A name that could be a method is called unknown by name; anything else (and `.` or `..`,
        // which the URL resolves away) is not an API route at all.
        const routable = /^[A-Za-z0-9_.]+$/.test(name) && !/^\.{1,2}$/.test(name);
        expect(body.error.message).toMatch(routable ? `Unknown method '${name}'` : /^No API route \/api\//);
      }),
      { numRuns: 100 },
    );
  });

  it('answers wrongly typed inputs with 400 naming the field, for every method that takes none', async () => {
    const inputs = fc.oneof(
      fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue(), { minKeys: 1, maxKeys: 4 }),
      fc.array(fc.jsonValue(), { maxLength: 3 }),
      fc.integer(),
      fc.string(),
      fc.boolean(),
    );
    await fc.assert(
      fc.asyncProperty(inputs, async (input) => {
        const response = await post('api/call/app.health', JSON.stringify(input));
        expect(response.status).toBe(400);
        const body = (await response.json()) as { ok: boolean; error: { code: string; message: string; issues: string[] } };
        expect(body.ok).toBe(false);
        expect(body.error.code).toBe('invalid_input');
        expect(body.error.message).toMatch(/^Invalid input for app\.health: \(root\): /);
        // app.health takes no fields: every key sent is named as unknown; anything not an object is refused as such.
        if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
          for (const key of Object.keys(input)) expect(body.error.message).toContain(`"${key}"`);
        } else {
          expect(body.error.issues).toEqual([expect.stringMatching(/^\(root\): Invalid input: expected object, received /)]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('answers bodies that are not JSON with 400', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 200 }), async (text) => {
        let isJson = true;
        try {
          JSON.parse(text);
        } catch {
          isJson = false;
        }
        // A blank body is no input at all (as from `curl -X POST`), not a malformed one: see below.
        fc.pre(!isJson && text.trim() !== '');
        expect((await post('api/call/app.health', text)).status).toBe(400);
      }),
      { numRuns: 30 },
    );
    for (const blank of ['', ' ', '\n\t ']) expect((await post('api/call/app.health', blank)).status, JSON.stringify(blank)).toBe(200);
  });

  it('answers oversized bodies with 413', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 64 * 1024 + 1, max: 512 * 1024 }), async (size) => {
        expect((await post('api/call/app.health', 'x'.repeat(size))).status).toBe(413);
      }),
      { numRuns: 5 },
    );
  });

  /** A raw request over node:http, which (unlike fetch) sends any Host and streams a chunked body. */
  const raw = (path: string, options: { host?: string; chunks?: string[]; body?: string }) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${served.server.url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${served.server.token}`, ...(options.host !== undefined ? { Host: options.host } : {}) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      for (const chunk of options.chunks ?? []) req.write(chunk);
      req.end(options.body);
    });

  it('answers oversized chunked bodies with 413, not a reset', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 64 * 1024 + 1, max: 2 * 1024 * 1024 }),
        fc.integer({ min: 1, max: 64 * 1024 }),
        async (size, piece) => {
          const chunks = Array.from({ length: Math.ceil(size / piece) }, () => 'x'.repeat(piece));
          expect(await raw('api/call/app.health', { chunks })).toBe(413);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('answers JSON nested past 64 levels with 400, however it nests', async () => {
    const opener = fc.constantFrom('[', '{"a":', '[{"b":', '{"c":[');
    await fc.assert(
      fc.asyncProperty(fc.array(opener, { minLength: 33, maxLength: 3000 }), async (openers) => {
        const depth = openers.reduce((d, o) => d + (o.match(/[[{]/g) ?? []).length, 0);
        fc.pre(depth > 64);
        // Refused before it is parsed: the closing half does not even have to be there.
        const text = `${openers.join('')}1`;
        const response = await post('api/call/training.summary', text);
        expect(response.status).toBe(400);
        expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/nested deeper than 64 levels/);
      }),
      { numRuns: 25 },
    );
  });

  it('refuses every Host that is not one of its names', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.domain(),
          fc.ipV4(),
          fc.ipV6().map((a) => `[${a}]`),
          fc.constantFrom('0.0.0.0', 'localhost.evil.example', '127.0.0.1.nip.io'),
        ),
        fc.boolean(),
        async (name, withPort) => {
          fc.pre(!['127.0.0.1', 'localhost', '[::1]'].includes(name.toLowerCase()));
          const host = withPort ? `${name}:${served.server.port}` : name;
          expect(await raw('api/call/app.health', { host, body: '{}' })).toBe(401);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('serves nothing for traversal paths', async () => {
    const segment = fc.constantFrom('..', '%2e%2e', '%2E%2E', '..%2f', '..%5c', '%00', 'etc', 'passwd', '.', '~', 'kernellab.db');
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 6 }), async (parts) => {
        const response = await fetch(`${served.server.url}${parts.join('/')}`, {
          headers: { Authorization: `Bearer ${served.server.token}` },
        });
        expect(response.status).not.toBe(200);
        expect(response.status).toBeLessThan(500);
      }),
      { numRuns: 40 },
    );
  });

  it('is still up and has written nothing after all of it', async () => {
    const response = await post('api/call/app.health', '{}');
    expect(response.status).toBe(200);
    expect(snapshot(served.home)).toBe(before);
  });
});
