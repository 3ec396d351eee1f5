import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test/tempDir.ts';
import { electronInstalled } from './start.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { version } = (await import('electron/package.json', { with: { type: 'json' } })).default as { version: string };
const zip = `electron-v${version}-linux-x64.zip`;

// `npm start` downloads only where the binary is missing; where it is installed there is nothing to test.
const installed = electronInstalled();
if (installed) console.log('SKIPPED: the Electron binary is installed here, so npm start has nothing to download');

let tmp: { dir: string; cleanup: () => void };
let server: Server | undefined;
beforeEach(() => (tmp = makeTempDir('kernellab-npm-start-')));
afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
  tmp.cleanup();
});

/** A mirror on 127.0.0.1 that records what it was asked and answers with `answer`. */
async function mirror(answer: (path: string) => { status: number; body?: Buffer | string }): Promise<{ url: string; asked: string[] }> {
  const asked: string[] = [];
  server = createServer((req, res) => {
    asked.push(req.url ?? '');
    const { status, body } = answer(req.url ?? '');
    res.writeHead(status, { 'content-length': body === undefined ? 0 : Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/`, asked };
}

/** `npm start` as a user runs it, with the Electron download settings in `env`. */
function npmStart(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/electron|proxy/i.test(k)));
  const child = spawn('npm', ['start'], {
    cwd: root,
    env: { ...clean, electron_config_cache: tmp.dir, ELECTRON_INSTALL_PLATFORM: 'linux', ELECTRON_INSTALL_ARCH: 'x64', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
}

describe.skipIf(installed)('npm start without the Electron binary', () => {
  it(`asks ELECTRON_MIRROR for ${zip}; a 404 gets one clear message, not a stack trace`, async () => {
    const m = await mirror(() => ({ status: 404, body: 'not here' }));
    const { code, output } = await npmStart({ ELECTRON_MIRROR: m.url });
    expect(m.asked).toEqual([`/v${version}/${zip}`]);
    expect(code).toBe(1);
    expect(output).toContain(`downloading ${zip} (once) from ${m.url}`);
    expect(output).toContain(`could not download Electron ${version} (${zip}): the server answered HTTP 404 (Not Found)`);
    expect(output).toContain(`ELECTRON_MIRROR=${m.url}`);
    expect(output).toContain('npm run build && npx kernellab serve');
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain('Electron uninstall');
  }, 60_000);

  it('with remote checksums, asks for the zip and then SHASUMS256.txt, shows progress, and refuses a file that does not match', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const m = await mirror((path) =>
      path.endsWith('.zip') ? { status: 200, body } : { status: 200, body: `${'0'.repeat(64)} *${zip}\n` },
    );
    const { code, output } = await npmStart({ ELECTRON_MIRROR: m.url, electron_use_remote_checksums: '1' });
    expect(m.asked).toEqual([`/v${version}/${zip}`, `/v${version}/SHASUMS256.txt`]);
    expect(code).toBe(1);
    expect(output).toMatch(new RegExp(`Downloading Electron ${version.replace(/\./g, '\\.')}: 100% \\(3\\.0 of 3\\.0 MiB\\)`));
    expect(output).toContain("does not match Electron's published SHA-256 checksum");
    expect(output).toContain('npm run build && npx kernellab serve');
    expect(output).not.toMatch(/^\s+at /m);
  }, 60_000);
});
