import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { httpStatusOf, KernelLabError, toErrorBody } from '../core/errors.ts';
import type { Service } from '../core/service.ts';

export interface ServeOptions {
  service: Service;
  port?: number;
  host?: string;
  /** The built renderer (index.html and assets); API only when absent. */
  staticDir?: string;
  /** Largest accepted request body; larger ones get 413 before they are read to the end. */
  maxBodyBytes?: number;
  /** Largest body for `runs.import`, which carries a whole JSON export (runs with their metrics). */
  maxImportBytes?: number;
  token?: string;
}

export interface RunningServer {
  url: string;
  /** The URL to open: it carries the token, which the page then keeps in a cookie. */
  urlWithToken: string;
  token: string;
  port: number;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

const cookieName = 'kernellab_token';

const securityHeaders = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

function sameToken(given: string | undefined, expected: Buffer): boolean {
  if (!given) return false;
  const buffer = Buffer.from(given);
  // timingSafeEqual needs equal lengths; the length of a random token reveals nothing.
  return buffer.length === expected.length && timingSafeEqual(buffer, expected);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...securityHeaders, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  const body = toErrorBody(error);
  sendJson(res, httpStatusOf[body.code], { ok: false, error: body });
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      reject(new KernelLabError('too_large', `Request body of ${declared} bytes is over the ${limit}-byte limit`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new KernelLabError('too_large', `Request body is over the ${limit}-byte limit`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Browser mode: the built renderer plus the contract over HTTP JSON and Server-Sent Events. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { service } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('hex');
  const expected = Buffer.from(token);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const maxImport = options.maxImportBytes ?? 256 * 1024 * 1024;
  const staticDir = options.staticDir && existsSync(join(options.staticDir, 'index.html')) ? options.staticDir : undefined;
  const sseClients = new Set<ServerResponse>();
  let port = 0;

  function allowedHosts(): Set<string> {
    return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${host}:${port}`]);
  }

  function authorised(req: IncomingMessage, url: URL): boolean {
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    return (
      sameToken(bearer, expected) ||
      sameToken(url.searchParams.get('token') ?? undefined, expected) ||
      sameToken(cookieValue(req.headers.cookie, cookieName), expected)
    );
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') throw new KernelLabError('not_found', 'GET /api/events only');
      res.writeHead(200, {
        ...securityHeaders,
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      sseClients.add(res);
      const unsubscribe = service.events.subscribe((event) => {
        // Unnamed SSE events: the page reads one stream and dispatches on `name`, like the IPC bridge.
        res.write(`data: ${JSON.stringify(event)}\n\n`);
      });
      req.on('close', () => {
        unsubscribe();
        sseClients.delete(res);
      });
      return;
    }
    const match = url.pathname.match(/^\/api\/call\/([A-Za-z0-9_.]+)$/);
    if (!match) throw new KernelLabError('not_found', `No API route ${url.pathname}`);
    if (req.method !== 'POST') throw new KernelLabError('not_found', `${url.pathname} takes POST`);
    const text = await readBody(req, match[1] === 'runs.import' ? maxImport : maxBody);
    let input: unknown = {};
    if (text.trim() !== '') {
      try {
        input = JSON.parse(text);
      } catch (error) {
        throw new KernelLabError('invalid_input', `Request body is not JSON: ${(error as Error).message}`);
      }
    }
    const result = await service.call(match[1] as never, input);
    sendJson(res, 200, { ok: true, result });
  }

  function serveStatic(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (!staticDir)
      throw new KernelLabError('not_found', 'The renderer is not built: run `npm run build`, then start `kernellab serve` again.');
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new KernelLabError('not_found', `${req.method} is not served`);
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      throw new KernelLabError('invalid_input', 'Malformed path');
    }
    const relative = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^[/\\]+/, '');
    const file = join(staticDir, relative);
    // Nothing outside the renderer folder is served, whatever the path says.
    if (relative.includes('\0') || !(file === staticDir || file.startsWith(staticDir + sep))) {
      throw new KernelLabError('not_found', 'Not found');
    }
    if (!existsSync(file) || !statSync(file).isFile()) throw new KernelLabError('not_found', `Not found: ${pathname}`);
    const headers: Record<string, string> = {
      ...securityHeaders,
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
    };
    if (url.searchParams.has('token')) {
      headers['Set-Cookie'] = `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`;
    }
    res.writeHead(200, headers);
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    (async () => {
      // A page on another site must not drive this API (DNS rebinding, cross-origin posts).
      if (!allowedHosts().has(req.headers.host ?? '')) throw new KernelLabError('unauthorized', `Host '${req.headers.host}' is not served`);
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedHosts().has(origin.replace(/^https?:\/\//, ''))) {
        throw new KernelLabError('unauthorized', `Requests from origin ${origin} are refused`);
      }
      if (!authorised(req, url))
        throw new KernelLabError('unauthorized', 'Missing or wrong token: open the URL that `kernellab serve` printed');
      if (url.pathname.startsWith('/api/')) await handleApi(req, res, url);
      else serveStatic(req, res, url);
    })().catch((error: unknown) => {
      if (res.headersSent) res.end();
      else sendError(res, error);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          new KernelLabError(
            'unavailable',
            `Port ${options.port} on ${host} is in use (another kernellab serve?): pass --port N, or --port 0 for a free one`,
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL') {
        reject(new KernelLabError('invalid_input', `--host ${host} is not an address of this machine`));
      } else reject(error);
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shownHost}:${port}/`;

  return {
    url,
    urlWithToken: `${url}?token=${token}`,
    token,
    port,
    close: () =>
      new Promise((resolve) => {
        for (const client of sseClients) client.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
