/**
 * Request bodies: read up to a limit whether the client sent a Content-Length or streamed the
 * body chunked, and parse them as JSON no deeper than any KernelLab input needs.
 */
import type { IncomingMessage } from 'node:http';
import { KernelLabError } from '../core/errors.ts';
import { jsonDepthExceededAt, maxJsonDepth } from '../core/contract/jsonDepth.ts';

/**
 * The body as text. Over `limit` bytes it rejects with `too_large` (413) and keeps discarding
 * what the client still sends, so the client can finish writing and read the 413: destroying the
 * socket under a client that is mid-upload resets the connection and the answer is lost. The
 * reply to a too-large body closes the connection (see `mustClose`), which bounds the discarding.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      mustClose.add(req);
      req.resume();
      reject(new KernelLabError('too_large', `Request body of ${declared} bytes is over the ${limit}-byte limit`));
      return;
    }
    let chunks: Buffer[] | undefined = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (!chunks) return;
      size += chunk.length;
      if (size > limit) {
        chunks = undefined;
        mustClose.add(req);
        reject(new KernelLabError('too_large', `Request body is over the ${limit}-byte limit`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (chunks) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', reject);
  });
}

/** Requests whose body was refused part-way: their reply says `Connection: close`. */
export const mustClose = new WeakSet<IncomingMessage>();

/** A JSON body as a value; an empty body is `{}`. Bad JSON and too-deep nesting are `invalid_input` (400). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  const at = jsonDepthExceededAt(text);
  if (at >= 0) {
    throw new KernelLabError(
      'invalid_input',
      `Request body is nested deeper than ${maxJsonDepth} levels (at character ${at}); no KernelLab input needs that`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KernelLabError('invalid_input', `Request body is not JSON: ${(error as Error).message}`);
  }
}
