import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real HTTP server on 127.0.0.1 that serves files from memory and misbehaves on purpose,
 * chosen by the first path segment: /<mode>/<path>.
 *   ok        serves the file, honouring Range
 *   norange   ignores Range (always 200 with the whole file)
 *   drop      the first request for a file sends half of it and cuts the connection
 *   hang      sends the headers and 1000 bytes, then nothing
 *   html      200 with an HTML error page (text/html)
 *   htmlsaved the same page sent as application/octet-stream (a page saved as data)
 *   error500  the first request for a file gets HTTP 500
 *   slow      sends 64 KiB every 50 ms
 *   missing   404
 */
export interface DataServer {
  url: string;
  /** Every request: mode, path and its Range header. */
  log: { mode: string; path: string; range: string | undefined }[];
  close(): Promise<void>;
}

const PAGE = '<!DOCTYPE html>\n<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>\n';

export async function startDataServer(files: Map<string, Buffer>): Promise<DataServer> {
  const log: DataServer['log'] = [];
  const seen = new Set<string>();
  const server: Server = createServer((req, res) => {
    const [, mode = '', ...rest] = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).split('/');
    const path = rest.join('/');
    const range = req.headers.range;
    log.push({ mode, path, range });
    const body = files.get(path);
    const first = !seen.has(`${mode}/${path}`);
    seen.add(`${mode}/${path}`);
    if (mode === 'missing' || !body) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (mode === 'html' || mode === 'htmlsaved') {
      res
        .writeHead(200, { 'Content-Type': mode === 'html' ? 'text/html' : 'application/octet-stream', 'Content-Length': PAGE.length })
        .end(PAGE);
      return;
    }
    if (mode === 'error500' && first) {
      res.writeHead(500).end('try later');
      return;
    }
    let start = 0;
    const match = /^bytes=(\d+)-$/.exec(range ?? '');
    if (match && mode !== 'norange') {
      start = Number(match[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': body.length - start,
        'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length, 'Accept-Ranges': 'bytes' });
    }
    const rest2 = body.subarray(start);
    if (mode === 'hang') {
      res.write(rest2.subarray(0, 1000));
      return;
    }
    if (mode === 'drop' && first) {
      res.write(rest2.subarray(0, Math.floor(rest2.length / 2)), () => res.destroy());
      return;
    }
    if (mode === 'slow') {
      let at = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        const chunk = rest2.subarray(at, at + 65536);
        at += chunk.length;
        if (at >= rest2.length) {
          clearInterval(timer);
          res.end(chunk);
        } else res.write(chunk);
      }, 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(rest2);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
