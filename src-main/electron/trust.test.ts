import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../core/contract/pagePolicy.ts';
import { guardWebContents, type GuardedContents } from './guard.ts';
import { isRendererUrl, isTrustedFrame, opensExternally, rendererSource } from './trust.ts';

const built = rendererSource(undefined, '/opt/KernelLab/resources/app.asar/out/renderer');
const dev = rendererSource('http://localhost:5173/', '/unused');
const index = pathToFileURL('/opt/KernelLab/resources/app.asar/out/renderer/index.html').href;

describe('which pages are the renderer', () => {
  it('a build: files inside the renderer folder only, not a folder whose name starts the same', () => {
    expect(isRendererUrl(index, built)).toBe(true);
    expect(isRendererUrl(`${index}#/runs/3`, built)).toBe(true);
    expect(isRendererUrl(pathToFileURL('/opt/KernelLab/resources/app.asar/out/renderer/assets/index.js').href, built)).toBe(true);
    for (const url of [
      pathToFileURL('/opt/KernelLab/resources/app.asar/out/renderer-x/index.html').href,
      pathToFileURL('/opt/KernelLab/resources/app.asar/out/renderer').href,
      'file:///opt/KernelLab/resources/app.asar/out/renderer/../../secrets.html',
      'file:///opt/KernelLab/resources/app.asar/out/renderer/%2e%2e/x.html',
      'file://evil.example/opt/KernelLab/resources/app.asar/out/renderer/index.html',
      'http://localhost:5173/',
      'not a url',
      '',
    ])
      expect(isRendererUrl(url, built), url).toBe(false);
  });

  it('the dev server: its exact origin, not a host that starts with it', () => {
    expect(isRendererUrl('http://localhost:5173/', dev)).toBe(true);
    expect(isRendererUrl('http://localhost:5173/src/main.ts?t=1', dev)).toBe(true);
    for (const url of [
      'http://localhost:5173.evil.example/',
      'http://localhost:51730/',
      'https://localhost:5173/',
      'http://127.0.0.1:5173/',
      index,
    ])
      expect(isRendererUrl(url, dev), url).toBe(false);
  });

  it('no URL outside the renderer folder passes, however it is spelled (property)', () => {
    const segment = fc.constantFrom(
      'out',
      'renderer',
      'renderer-x',
      '..',
      '.',
      '%2e%2e',
      'index.html',
      'assets',
      'x',
      '%2F',
      'renderer%2F..',
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (parts) => {
        const url = `file:///opt/KernelLab/resources/app.asar/${parts.join('/')}`;
        const path = new URL(url).pathname;
        const inside = decodeURIComponent(path).startsWith('/opt/KernelLab/resources/app.asar/out/renderer/');
        if (!inside) expect(isRendererUrl(url, built), url).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('IPC is trusted from the renderer top-level page only', () => {
    expect(isTrustedFrame({ url: index, parent: null }, built)).toBe(true);
    expect(isTrustedFrame({ url: index, parent: {} }, built)).toBe(false);
    expect(isTrustedFrame({ url: 'https://evil.example/', parent: null }, built)).toBe(false);
    expect(isTrustedFrame(null, built)).toBe(false);
  });
});

describe('links that leave the app', () => {
  it("open in the user's browser only for https on the allowed hosts", () => {
    expect(opensExternally('https://github.com/zalandoresearch/fashion-mnist')).toBe(true);
    expect(opensExternally('https://www.cs.toronto.edu/~kriz/cifar.html')).toBe(true);
    for (const url of [
      'http://github.com/',
      'https://github.com.evil.example/',
      'https://evil.example/?https://github.com/',
      'https://user:pass@github.com/',
      'file:///etc/passwd',
      'smb://share/x',
      'javascript:alert(1)',
      'ms-msdt:/id',
    ])
      expect(opensExternally(url), url).toBe(false);
  });
});

describe('guardWebContents, on every web contents the app creates', () => {
  class Contents extends EventEmitter {
    openHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }) {
      this.openHandler = handler;
    }
  }
  const prevented = (contents: Contents, name: string, url: string) => {
    let stopped = false;
    contents.emit(name, { url, preventDefault: () => (stopped = true) }, url);
    return stopped;
  };

  it('blocks webviews, navigation and redirects away from the renderer, and every new window', () => {
    const contents = new Contents();
    const opened: string[] = [];
    guardWebContents(contents as unknown as GuardedContents, built, (url) => opened.push(url));
    expect(prevented(contents, 'will-attach-webview', '')).toBe(true);
    for (const name of ['will-navigate', 'will-redirect', 'will-frame-navigate']) {
      expect(prevented(contents, name, 'https://evil.example/'), name).toBe(true);
      expect(prevented(contents, name, pathToFileURL('/opt/KernelLab/resources/app.asar/out/renderer-x/a.html').href), name).toBe(true);
      expect(prevented(contents, name, `${index}#/sweeps`), name).toBe(false);
    }
    expect(contents.openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(contents.openHandler!({ url: 'https://github.com/zalandoresearch/fashion-mnist' })).toEqual({ action: 'deny' });
    expect(opened).toEqual(['https://github.com/zalandoresearch/fashion-mnist']);
  });
});

describe('packaging and page policy', () => {
  const root = join(import.meta.dirname, '../..');

  it('index.html carries the one Content-Security-Policy (file:// pages get no headers)', () => {
    const html = readFileSync(join(root, 'src-renderer/index.html'), 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta?.[1]).toBe(contentSecurityPolicy);
  });

  it('the packaged app has its Electron fuses set, with names electron-builder knows', () => {
    const require = createRequire(import.meta.url);
    const config = require(join(root, 'electron-builder.config.cjs')) as { electronFuses: Record<string, boolean> };
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    // A misspelt fuse would be ignored silently: hold the names to electron-builder's own schema.
    const scheme = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as {
      definitions: { FuseOptionsV1: { properties: Record<string, unknown> } };
    };
    for (const name of Object.keys(config.electronFuses))
      expect(Object.keys(scheme.definitions.FuseOptionsV1.properties), name).toContain(name);
  });
});
