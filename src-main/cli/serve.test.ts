import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test/tempDir.ts';
import { cliPath } from '../test/servedKernellab.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-cli-serve-')));
afterEach(() => tmp.cleanup());

/** Starts `kernellab serve` with stdout and stderr in one file (their order kept); returns that text once a URL is printed. */
async function serveOutput(rendererDir: string, extra: { args?: string[]; env?: Record<string, string> } = {}): Promise<string> {
  const { KERNELLAB_LANG: _pinned, ...inherited } = process.env;
  const log = join(tmp.dir, 'serve.log');
  const fd = openSync(log, 'w');
  const child = spawn(process.execPath, [cliPath, '--home', join(tmp.dir, 'home'), ...(extra.args ?? []), 'serve', '--port', '0'], {
    stdio: ['ignore', fd, fd],
    // Without vitest's KERNELLAB_LANG pin (vitest.config.ts): each case says how the language is asked for.
    env: { ...inherited, KERNELLAB_RENDERER_DIR: rendererDir, ...extra.env },
  });
  closeSync(fd);
  try {
    const end = Date.now() + 30_000;
    for (;;) {
      const text = readFileSync(log, 'utf8');
      if (/http:\/\/127\.0\.0\.1:\d+\/\?token=/.test(text)) return text;
      if (child.exitCode !== null) throw new Error(`serve exited ${child.exitCode}: ${text}`);
      if (Date.now() > end) throw new Error(`no URL after 30 s: ${text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
}

describe('kernellab serve', () => {
  it('says the pages are not built, and how to build them, before it prints any URL', async () => {
    const text = await serveOutput(join(tmp.dir, 'no-renderer-here'));
    const warning = text.indexOf("The app's pages are not built");
    const url = text.indexOf('http://');
    expect(warning).toBeGreaterThanOrEqual(0);
    expect(warning).toBeLessThan(url);
    expect(text).toContain('`npm run build`');
    expect(text).toMatch(/API only at http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/);
    expect(text).not.toContain('Open http');
  });

  it('prints the URL to open, and no warning, when the pages are built', async () => {
    const renderer = join(tmp.dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>KernelLab</title>');
    const text = await serveOutput(renderer);
    expect(text).toMatch(/Open http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+/);
    expect(text).not.toContain('not built');
  });

  it('puts a language asked for by name (--lang, KERNELLAB_LANG) in the URL, and none otherwise', async () => {
    const renderer = join(tmp.dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>KernelLab</title>');
    expect(await serveOutput(renderer, { args: ['--lang', 'ko'] })).toMatch(/Open http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+&lang=ko\n/);
    expect(await serveOutput(renderer, { env: { KERNELLAB_LANG: 'ko_KR.UTF-8' } })).toMatch(/\?token=[0-9a-f]+&lang=ko\n/);
    expect(await serveOutput(renderer, { env: { LANG: 'ko_KR.UTF-8' } })).toMatch(/\?token=[0-9a-f]+\n/);
  });
});
