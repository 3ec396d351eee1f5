/**
 * One attempt to fetch one dataset file from one source (an http(s) URL or a mirror folder's file)
 * into its `.part` file, and why an attempt failed (`AttemptError.next`: retry, try the next source,
 * or stop). download.ts decides which source and when; this file only moves bytes, bounded.
 */
import { createReadStream, createWriteStream, existsSync, rmSync, statSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { coded } from '../errors.ts';
import { redirectAllowed } from './mirror.ts';
import type { FileDigest, RegistryFile } from './registry.ts';

/** What a fetch takes from DownloadOptions. */
export interface FetchOptions {
  signal?: AbortSignal;
  /** No data for this long (ms) ends the attempt (retried). */
  idleTimeoutMs?: number;
}

/** Why one attempt at one source failed, and what to do next. */
export class AttemptError extends Error {
  readonly next: 'retry' | 'next-source' | 'stop';
  /** The coded form: of a 'stop' (the one attempt error the user sees on its own), or of the problem a failed download lists. */
  readonly text: CoreText | undefined;
  constructor(message: string, next: 'retry' | 'next-source' | 'stop', text?: CoreText) {
    super(message);
    this.next = next;
    this.text = text;
  }
}

export const canceled = () => coded('conflict', 'download canceled', 'dataset_download_canceled', {});

/** One attempt to bring `location` into `part`, resuming what is there. Calls onBytes(bytesInPart, freshBytes). */
export async function fetchTo(
  location: string,
  part: string,
  item: FileDigest,
  options: FetchOptions,
  onBytes: (current: number, fresh: number) => void,
): Promise<void> {
  const limit = Math.max(item.bytes, (item as RegistryFile).content?.bytes ?? 0) + 1024 * 1024;
  if (!/^https?:\/\//i.test(location)) {
    if (!existsSync(location)) throw new AttemptError('no such file', 'next-source', coreText('attempt_no_such_file', {}));
    const st = statSync(location);
    // A FIFO or a device in a mirror folder would block a file-I/O thread or never end.
    if (!st.isFile()) throw new AttemptError('is not a regular file', 'next-source', coreText('attempt_not_regular', {}));
    const size = st.size;
    if (size > limit)
      throw new AttemptError(
        `is ${size} bytes, far more than the ${item.bytes} expected`,
        'next-source',
        coreText('attempt_file_too_big', { size: String(size), expected: String(item.bytes) }),
      );
    await writeCounted(createReadStream(location), part, 0, limit, onBytes, item.name);
    return;
  }
  let start = existsSync(part) ? statSync(part).size : 0;
  if (start > limit) {
    rmSync(part, { force: true });
    start = 0;
  }
  const res = await request(location, start > 0 ? { Range: `bytes=${start}-` } : {}, options);
  const status = res.statusCode ?? 0;
  if (status === 416 && start > 0) {
    // The part already holds the whole file: verification decides.
    res.resume();
    return;
  }
  if (status === 404 || status === 410 || status === 403 || status === 401) {
    res.resume();
    throw new AttemptError(`HTTP ${status}`, 'next-source', coreText('attempt_http', { status: String(status) }));
  }
  if (status >= 500 || status === 429 || status === 408) {
    res.resume();
    throw new AttemptError(`HTTP ${status}`, 'retry', coreText('attempt_http', { status: String(status) }));
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    throw new AttemptError(`HTTP ${status}`, 'next-source', coreText('attempt_http', { status: String(status) }));
  }
  if (/text\/html/i.test(String(res.headers['content-type'] ?? ''))) {
    res.resume();
    throw new AttemptError('the server answered with an HTML page, not the file', 'next-source', coreText('attempt_html', {}));
  }
  let offset = 0;
  if (status === 206) {
    const match = /^bytes (\d+)-/.exec(String(res.headers['content-range'] ?? ''));
    offset = match ? Number(match[1]) : -1;
    if (offset !== start) {
      res.resume();
      rmSync(part, { force: true });
      const range = res.headers['content-range'] ?? 'no Content-Range';
      throw new AttemptError(
        `the server resumed at the wrong offset (${range}); starting over`,
        'retry',
        coreText('attempt_wrong_offset', { range: range.slice(0, 1000) }),
      );
    }
  }
  const length = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
  if (length !== undefined && offset + length > limit) {
    res.resume();
    throw new AttemptError(
      `the server announces ${offset + length} bytes, far more than the ${item.bytes} expected`,
      'next-source',
      coreText('attempt_announces_too_much', { size: String(offset + length), expected: String(item.bytes) }),
    );
  }
  const written = await writeCounted(res, part, offset, limit, onBytes, item.name);
  if (length !== undefined && written < length) {
    throw new AttemptError(
      `the connection dropped after ${offset + written} of ${offset + length} bytes`,
      'retry',
      coreText('attempt_dropped_of', { received: String(offset + written), size: String(offset + length) }),
    );
  }
}

/** Responses whose socket went idle too long (the seconds): the stream error they end with is the timeout, not a drop. */
const timedOut = new WeakMap<IncomingMessage, number>();

function request(url: string, headers: Record<string, string>, options: FetchOptions, redirects = 0): Promise<IncomingMessage> {
  return new Promise((resolveRequest, reject) => {
    const get = url.startsWith('https:') ? httpsGet : httpGet;
    const timeoutMs = options.idleTimeoutMs ?? 30_000;
    let response: IncomingMessage | undefined;
    const req = get(
      url,
      { headers: { 'User-Agent': 'KernelLab', ...headers }, ...(options.signal ? { signal: options.signal } : {}) },
      (res) => {
        response = res;
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (redirects >= 5) return reject(new AttemptError('too many redirects', 'next-source', coreText('attempt_redirects', {})));
          const next = new URL(res.headers.location, url).href;
          if (!redirectAllowed(url, next))
            return reject(
              new AttemptError(
                `refused a redirect to ${next} (https to plain http, or not http)`,
                'next-source',
                coreText('attempt_redirect_refused', { url: next.slice(0, 1000) }),
              ),
            );
          return resolveRequest(request(next, headers, options, redirects + 1));
        }
        resolveRequest(res);
      },
    );
    // The socket's idle timer covers both a server that never answers and one that stops mid-file.
    req.setTimeout(timeoutMs, () => {
      const message = `no data from the server for ${timeoutMs / 1000} s`;
      if (response) timedOut.set(response, timeoutMs / 1000);
      req.destroy(new AttemptError(message, 'retry', coreText('attempt_idle', { seconds: String(timeoutMs / 1000) })));
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof AttemptError) return reject(error);
      if (error.name === 'AbortError') return reject(canceled());
      const next = error.code === 'ENOTFOUND' || error.code === 'ECONNREFUSED' ? 'next-source' : 'retry';
      // Node's own words (getaddrinfo ENOTFOUND host, connect ECONNREFUSED …) pass as they are.
      const reason = error.message || String(error.code);
      reject(new AttemptError(reason, next, coreText('attempt_network', { reason: reason.slice(0, 1000) })));
    });
  });
}

/** Streams `input` into `part` (appending at `offset`), counting; maps stream failures to attempt errors. Returns the bytes written. */
async function writeCounted(
  input: NodeJS.ReadableStream,
  part: string,
  offset: number,
  limit: number,
  onBytes: (current: number, fresh: number) => void,
  name: string,
): Promise<number> {
  let written = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      written += chunk.length;
      if (offset + written > limit)
        return done(
          new AttemptError(
            `more than ${limit} bytes arrived; this is not ${name}`,
            'next-source',
            coreText('attempt_too_much_arrived', { limit: String(limit), file: name }),
          ),
        );
      onBytes(offset + written, chunk.length);
      done(null, chunk);
    },
  });
  const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w' });
  try {
    await pipeline(input, counter, out);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err instanceof AttemptError) throw err;
    if (err.code === 'ENOSPC')
      throw new AttemptError(`the disk is full (writing ${part})`, 'stop', coreText('dataset_disk_full', { file: name, path: part }));
    if (err.code === 'EACCES' || err.code === 'EROFS')
      throw new AttemptError(
        `cannot write ${part}: ${err.message}`,
        'stop',
        coreText('dataset_cannot_write', { file: name, reason: err.message }),
      );
    if (err.name === 'AbortError') throw canceled();
    const idle = timedOut.get(input as IncomingMessage);
    const received = String(offset + written);
    if (idle !== undefined)
      throw new AttemptError(
        `no data from the server for ${idle} s (after ${received} bytes)`,
        'retry',
        coreText('attempt_idle_after', { seconds: String(idle), received }),
      );
    const reason = err.message || String(err.code);
    throw new AttemptError(
      `the connection dropped after ${received} bytes (${reason})`,
      'retry',
      coreText('attempt_dropped', { received, reason: reason.slice(0, 1000) }),
    );
  }
  return written;
}
