import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, sep } from 'node:path';
import { contentSecurityPolicyHeader } from '../core/contract/pagePolicy.ts';
import { maxKerasFileBytes } from '../core/contract/training.ts';
import { coded, httpStatusOf, KernelLabError, toErrorBody } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { hostPolicy, isLoopbackHost } from './hostPolicy.ts';
import { exportDownload } from './exportDownload.ts';
import { importCall } from './importBody.ts';
import { importUpload, removeLeftUploads } from './importUpload.ts';
import { mustClose, parseJsonBody, readBody } from './requestBody.ts';
import { SseClient, type SseLimits } from './sseClient.ts';

export interface ServeOptions {
  service: Service;
  port?: number;
  host?: string;
  /** The built renderer (index.html and assets); API only when absent. */
  staticDir?: string;
  /** Largest accepted request body; larger ones get 413 before they are read to the end. */
  maxBodyBytes?: number;
  /**
   * Largest body for `runs.import`, which carries a whole JSON export (runs with their metrics):
   * `{"content": "<the export>"}` is written to a file as it arrives and imported from there
   * (importBody.ts), so by default it may be as large as an upload to `/api/import/runs`
   * (maxImportFileBytes; the 100,000-run export of 252 MiB is a body of ~290 MB with its escapes).
   */
  maxImportBytes?: number;
  /**
   * Largest `runs.import` body of any other shape (another member beside `content`, say), which is
   * read and parsed whole as one string; default 256 MiB. Larger ones are refused (413) saying so.
   */
  maxWholeImportBytes?: number;
  /**
   * Largest export posted to `/api/import/runs` (the file itself, written to a temporary file in the
   * data folder); default 4 GiB: 16 times the 100,000-run export (252 MiB), and the database must
   * take about as much again on the same disk.
   */
  maxImportFileBytes?: number;
  token?: string;
  /** Host names the server answers to besides its addresses (`serve --allow-host`). */
  allowedHostNames?: readonly string[];
  /** When an SSE client that does not keep up is dropped (see sseClient.ts for the defaults). */
  sseLimits?: Partial<SseLimits>;
  /** Seconds between SSE keep-alive comments (default 15). */
  sseHeartbeatSeconds?: number;
  /**
   * A certificate and its key (PEM): serve HTTPS. Required to bind beyond loopback — a token sent
   * in plain HTTP over a network is readable by anyone on it.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Largest body of an `agent.` call (checkpoint chunks, batches of events); default 16 MiB. */
  maxAgentBodyBytes?: number;
}

/**
 * Largest body of `training.importKeras`: a dropped .keras file crosses as base64 (weights and
 * all; the service reads only its config.json), up to the contract's maxKerasFileBytes.
 */
const maxKerasImportBody = Math.ceil(maxKerasFileBytes / 3) * 4 + (64 << 10);

/** The body limit of a call (not `runs.import`'s: importBody.ts reads that one). */
function bodyLimitOf(method: string, agentCall: boolean, limits: { maxBody: number; maxAgentBody: number }): number {
  if (method === 'training.importKeras') return Math.max(limits.maxBody, maxKerasImportBody);
  return agentCall ? limits.maxAgentBody : limits.maxBody;
}

/** Why `serve` refuses a non-loopback address without TLS, and what to do instead. */
export const exposedWithoutTls =
  'Serving beyond this machine needs TLS: pass --tls-cert and --tls-key (a certificate for the name agents and browsers use), ' +
  'because the token would cross the network in plain HTTP. Or keep serving on 127.0.0.1 and tunnel over SSH: from this machine, ' +
  "`ssh -N -R 7860:127.0.0.1:7860 user@login-node` makes the login node's 127.0.0.1:7860 reach this server (agents then use --server http://127.0.0.1:7860 there, " +
  "or the login node's name where its sshd allows GatewayPorts); to open the app from another machine, `ssh -N -L 7860:127.0.0.1:7860 this-machine` there.";

export interface RunningServer {
  /** The URL to open, from another machine when the server is exposed (see HostPolicy.urls). */
  url: string;
  /** The URL to open: it carries the token, which the page then keeps in a cookie. */
  urlWithToken: string;
  /** Every URL that reaches the server, the most useful first; `url` is the first. */
  urls: string[];
  /** Reachable from other machines (bound to something other than loopback). */
  exposed: boolean;
  token: string;
  port: number;
  /** SSE clients connected now. */
  readonly sseClientCount: number;
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
  'Content-Security-Policy': contentSecurityPolicyHeader,
};

function sameToken(given: string | undefined, expected: Buffer): boolean {
  if (!given) return false;
  const buffer = Buffer.from(given);
  // timingSafeEqual needs equal lengths; the length of a random token reveals nothing.
  return buffer.length === expected.length && timingSafeEqual(buffer, expected);
}

function bearerOf(req: IncomingMessage): string | undefined {
  return req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
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
  res.writeHead(status, {
    ...securityHeaders,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    // The rest of a refused body is not worth reading on this connection.
    ...(mustClose.has(res.req) ? { Connection: 'close' } : {}),
  });
  res.end(text);
}

function sendError(res: ServerResponse, error: unknown): void {
  const body = toErrorBody(error);
  sendJson(res, httpStatusOf[body.code], { ok: false, error: body });
}

/** Browser mode: the built renderer plus the contract over HTTP JSON and Server-Sent Events. */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { service } = options;
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('hex');
  const expected = Buffer.from(token);
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  const maxImportFile = options.maxImportFileBytes ?? 4 * 1024 ** 3;
  const maxImport = options.maxImportBytes ?? maxImportFile;
  const maxWholeImport = options.maxWholeImportBytes ?? 256 * 1024 * 1024;
  const staticDir = options.staticDir && existsSync(join(options.staticDir, 'index.html')) ? options.staticDir : undefined;
  const sseClients = new Set<SseClient>();
  const maxAgentBody = options.maxAgentBodyBytes ?? 16 * 1024 * 1024;
  if (!isLoopbackHost(host) && !options.tls) throw coded('invalid_input', exposedWithoutTls, 'error_serve_needs_tls', {});
  removeLeftUploads(service.context.layout.root);

  function authorised(req: IncomingMessage, url: URL): boolean {
    const bearer = req.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    return (
      sameToken(bearer, expected) ||
      sameToken(url.searchParams.get('token') ?? undefined, expected) ||
      sameToken(cookieValue(req.headers.cookie, cookieName), expected)
    );
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, agentCall: boolean): Promise<void> {
    if (url.pathname === '/api/events') {
      if (req.method !== 'GET') throw new KernelLabError('not_found', 'GET /api/events only');
      res.writeHead(200, {
        ...securityHeaders,
        'Content-Type': 'text/event-stream',
        'Cache-Control': 'no-store',
        Connection: 'keep-alive',
      });
      res.write(': connected\n\n');
      const client = new SseClient(res, { ...(options.sseLimits ? { limits: options.sseLimits } : {}), onDrop: () => forget() });
      sseClients.add(client);
      const unsubscribe = service.events.subscribe((event) => client.send(event));
      const forget = () => {
        unsubscribe();
        client.close();
        sseClients.delete(client);
      };
      req.on('close', forget);
      return;
    }
    // A client that hangs up stops what it asked for (an import of a big folder, say).
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    if (url.pathname === '/api/import/runs' && !agentCall) {
      if (req.method !== 'POST') throw new KernelLabError('not_found', `${url.pathname} takes POST`);
      sendJson(res, 200, { ok: true, result: await importUpload(req, service, maxImportFile, gone.signal) });
      return;
    }
    if (url.pathname === '/api/export/runs' && !agentCall) {
      if (req.method !== 'GET') throw new KernelLabError('not_found', `${url.pathname} takes GET`);
      await exportDownload(res, url.searchParams, service, securityHeaders, gone.signal);
      return;
    }
    const match = url.pathname.match(/^\/api\/call\/([A-Za-z0-9_.]+)$/);
    if (!match) throw new KernelLabError('not_found', `No API route ${url.pathname}`);
    if (req.method !== 'POST') throw new KernelLabError('not_found', `${url.pathname} takes POST`);
    if (match[1] === 'runs.import' && !agentCall) {
      // Never one string here: written to a file and imported from there (importBody.ts).
      sendJson(res, 200, { ok: true, result: await importCall(req, service, { body: maxImport, whole: maxWholeImport }, gone.signal) });
      return;
    }
    const input = parseJsonBody(await readBody(req, bodyLimitOf(match[1]!, agentCall, { maxBody, maxAgentBody })));
    const result = await service.call(match[1] as never, input, { signal: gone.signal, ...(agentCall && { agentToken: bearerOf(req) }) });
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

  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    (async () => {
      // Agents (contract/agents.ts) carry their own sweep-scoped token and only that: the service
      // checks it, and it opens nothing else. They come through tunnels and proxies under any
      // host name; the Host check guards browsers' cookies against DNS rebinding, and an agent
      // token is never a cookie.
      const agentCall = /^\/api\/call\/agent\.[A-Za-z]+$/.test(url.pathname);
      // A page on another site must not drive this API (DNS rebinding, cross-origin posts).
      if (!agentCall && !policy.acceptsHost(req.headers.host)) {
        const shown = String(req.headers.host).slice(0, 300);
        throw coded('unauthorized', `Host '${shown}' is not served`, 'error_serve_host_refused', { host: shown });
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !policy.acceptsOrigin(origin)) {
        const shown = origin.slice(0, 300);
        throw coded('unauthorized', `Requests from origin ${shown} are refused`, 'error_serve_origin_refused', { origin: shown });
      }
      if (!agentCall && !authorised(req, url))
        throw coded('unauthorized', 'Missing or wrong token: open the URL that `kernellab serve` printed', 'error_serve_token', {});
      if (url.pathname.startsWith('/api/')) await handleApi(req, res, url, agentCall);
      else serveStatic(req, res, url);
    })().catch((error: unknown) => {
      if (res.headersSent) res.end();
      else sendError(res, error);
    });
  };
  const server: Server = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createServer(onRequest);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        reject(
          coded(
            'unavailable',
            `Port ${options.port} on ${host} is in use (another kernellab serve?): pass --port N, or --port 0 for a free one`,
            'error_serve_port_in_use',
            { port: String(options.port ?? 0), host },
          ),
        );
      } else if (error.code === 'EADDRNOTAVAIL') {
        reject(coded('invalid_input', `--host ${host} is not an address of this machine`, 'error_serve_host_not_here', { host }));
      } else reject(error);
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // Requests arrive only after listen, so the handler above never sees this before it is set.
  const policy = hostPolicy(host, port, {
    ...(options.allowedHostNames && { allowedHostNames: options.allowedHostNames }),
    secure: options.tls !== undefined,
  });
  const urls = policy.urls();
  const url = urls[0]!;
  // A client that stopped reading shows up as a buffer that grows even when no event comes.
  const heartbeat = setInterval(() => sseClients.forEach((c) => c.heartbeat()), (options.sseHeartbeatSeconds ?? 15) * 1000);
  heartbeat.unref();

  return {
    url,
    urlWithToken: `${url}?token=${token}`,
    urls,
    exposed: policy.exposed,
    token,
    port,
    get sseClientCount() {
      return sseClients.size;
    },
    close: () =>
      new Promise((resolve) => {
        clearInterval(heartbeat);
        for (const client of sseClients) client.close();
        sseClients.clear();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
