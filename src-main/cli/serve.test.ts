import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test/tempDir.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { exposedWithoutTls } from '../server/server.ts';
import { findServedAddress } from './serveAddress.ts';

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
      if (findServedAddress(text)) return text;
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
    expect(text).toMatch(/^API only at http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+$/m);
    expect(text).not.toContain('Open http');
  });

  it('prints the URL to open, and no warning, when the pages are built', async () => {
    const renderer = join(tmp.dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>KernelLab</title>');
    const text = await serveOutput(renderer);
    expect(text).toMatch(/^Open http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+$/m);
    expect(text).not.toContain('not built');
  });

  it('puts a language asked for by name (--lang, KERNELLAB_LANG) in the URL, and none otherwise', async () => {
    const renderer = join(tmp.dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>KernelLab</title>');
    expect(await serveOutput(renderer, { args: ['--lang', 'en'] })).toMatch(
      /^Open http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+&lang=en\n/m,
    );
    expect(await serveOutput(renderer, { args: ['--lang', 'ko'] })).toMatch(/\?token=[0-9a-f]+&lang=ko\n/);
    expect(await serveOutput(renderer, { env: { KERNELLAB_LANG: 'ko_KR.UTF-8' } })).toMatch(/\?token=[0-9a-f]+&lang=ko\n/);
    expect(await serveOutput(renderer, { env: { LANG: 'ko_KR.UTF-8' } })).toMatch(/\?token=[0-9a-f]+\n/);
  });

  it("says where to open it in the user's language, and the helpers still find the address in Korean", async () => {
    const renderer = join(tmp.dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>KernelLab</title>');
    const ko = await serveOutput(renderer, { args: ['--lang', 'ko'] });
    expect(ko).toMatch(/^브라우저에서 여세요: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+&lang=ko$/m);
    expect(ko).not.toMatch(/Open|API only/);
    const found = findServedAddress(ko)!;
    expect(found.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+&lang=ko$/);
    expect(found.base).toBe(`http://127.0.0.1:${found.port}`);
    expect(ko).toContain(`: ${found.url}\n`);

    const apiOnly = await serveOutput(join(tmp.dir, 'no-renderer-here'), { args: ['--lang', 'ko'] });
    expect(apiOnly).toMatch(/^API만 제공하는 주소: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+&lang=ko$/m);
    expect(findServedAddress(apiOnly)?.token).toMatch(/^[0-9a-f]{48}$/);
  });

  it('finds the first served address by its shape: https, IPv6, a host name, and not one cut short', () => {
    expect(findServedAddress('Open https://[fd00::5]:7860/?token=ab12&lang=ko\n  or https://10.0.0.5:7860/?token=ab12\n')).toEqual({
      url: 'https://[fd00::5]:7860/?token=ab12&lang=ko',
      base: 'https://[fd00::5]:7860',
      port: 7860,
      token: 'ab12',
    });
    expect(findServedAddress('see http://example.org/ first\n  또는 http://login-1.cluster:80/?token=ff\n')?.base).toBe(
      'http://login-1.cluster:80',
    );
    expect(findServedAddress('브라우저에서 여세요: http://127.0.0.1:7860/?token=ab')).toBeUndefined();
    expect(findServedAddress('KernelLab is serving /tmp/x\n')).toBeUndefined();
  });

  it("refuses --host 0.0.0.0 without TLS, with its TLS and SSH advice in the user's language", () => {
    const renderer = join(tmp.dir, 'renderer');
    mkdirSync(renderer);
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>KernelLab</title>');
    const { KERNELLAB_LANG: _pinned, ...env } = process.env;
    const serve = (...lang: string[]) =>
      spawnSync(process.execPath, [cliPath, '--home', join(tmp.dir, 'home'), ...lang, 'serve', '--host', '0.0.0.0', '--port', '0'], {
        encoding: 'utf8',
        env: { ...env, KERNELLAB_RENDERER_DIR: renderer },
      });
    const en = serve('--lang', 'en');
    expect(en.status).toBe(2);
    expect(en.stderr).toBe(`kernellab: ${exposedWithoutTls}\n`);
    const ko = serve('--lang', 'ko');
    expect(ko.status).toBe(2);
    expect(ko.stderr).toBe(
      'kernellab: 이 컴퓨터 밖으로 서비스하려면 TLS가 필요합니다. 토큰이 평문 HTTP로 네트워크를 지나가게 되기 때문입니다: ' +
        '--tls-cert와 --tls-key(에이전트와 브라우저가 쓰는 이름의 인증서)를 주세요. 아니면 127.0.0.1에서 계속 서비스하고 SSH로 터널을 여세요: ' +
        '이 컴퓨터에서 `ssh -N -R 7860:127.0.0.1:7860 user@login-node`를 실행하면 로그인 노드의 127.0.0.1:7860이 이 서버에 닿습니다' +
        '(그러면 그곳의 에이전트는 --server http://127.0.0.1:7860을 쓰고, 로그인 노드의 sshd가 GatewayPorts를 허용하면 로그인 노드의 이름을 씁니다). ' +
        '다른 컴퓨터에서 앱을 열려면 그 컴퓨터에서 `ssh -N -L 7860:127.0.0.1:7860 this-machine`을 실행하세요.\n',
    );
    // No English left but names, flags, addresses and the quoted commands.
    const words = ko.stderr.replace(/`[^`]*`|--[\w-]+|https?:\/\/\S+?(?=[을를)])|kernellab|TLS|HTTP|SSH|sshd|GatewayPorts/g, '');
    expect(words).not.toMatch(/[A-Za-z]/);
  });
});
