import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { build } from 'vite';

export interface ServedHarness {
  url: string;
  close(): Promise<void>;
}

const types: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/**
 * Builds the GPU host test page (e2e/gpuHost) with vite — the GPU Worker bundled as the app
 * would bundle it — and serves it on 127.0.0.1 (a secure context: WebGPU needs one).
 */
export async function serveGpuHarness(): Promise<ServedHarness> {
  const outDir = mkdtempSync(join(tmpdir(), 'kernellab-gpu-harness-'));
  await build({
    configFile: false,
    root: resolve('e2e/gpuHost'),
    logLevel: 'error',
    build: { outDir, emptyOutDir: true, minify: false, target: 'es2023', chunkSizeWarningLimit: 100_000 },
    worker: { format: 'es' },
  });
  const server: Server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname));
    const file = join(outDir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(outDir) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: async () => {
      await new Promise((done) => server.close(done));
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}
