/**
 * Request bodies: read up to a limit whether the client sent a Content-Length or streamed the
 * body chunked, and parse them as JSON no deeper than any KernelLab input needs.
 */
import type { IncomingMessage } from 'node:http';
import { coded, jsonComplaint, type KernelLabError } from '../core/errors.ts';
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
      reject(bodyTooLarge(limit, declared));
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
        reject(bodyTooLarge(limit, null));
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

/** The refusal of a body over `limit` bytes (a 413); `declared`: the size its Content-Length gave. */
export function bodyTooLarge(limit: number, declared: number | null): KernelLabError {
  return declared === null
    ? coded('too_large', `Request body is over the ${limit}-byte limit`, 'request_body_too_large', { limit: String(limit) })
    : coded('too_large', `Request body of ${declared} bytes is over the ${limit}-byte limit`, 'request_body_too_large_declared', {
        size: String(declared),
        limit: String(limit),
      });
}

/** The body is not JSON: V8's complaint in the English sentence, coded by where it stopped (jsonComplaint.ts). */
function notJson(reason: string): KernelLabError {
  const sentence = `Request body is not JSON: ${reason}`;
  const complaint = jsonComplaint(reason);
  switch (complaint.kind) {
    case 'at':
      return coded('invalid_input', sentence, 'request_body_not_json_at', { at: String(complaint.at) });
    case 'ends_early':
      return coded('invalid_input', sentence, 'request_body_not_json_ends_early', {});
    case 'token':
      return coded('invalid_input', sentence, 'request_body_not_json_token', { token: complaint.token });
    case 'other':
      return coded('invalid_input', sentence, 'request_body_not_json', { reason: reason.slice(0, 500) });
  }
}

/** Requests whose body was refused part-way: their reply says `Connection: close`. */
export const mustClose = new WeakSet<IncomingMessage>();

/** A JSON body as a value; an empty body is `{}`. Bad JSON and too-deep nesting are `invalid_input` (400). */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return {};
  const at = jsonDepthExceededAt(text);
  if (at >= 0) {
    throw coded(
      'invalid_input',
      `Request body is nested deeper than ${maxJsonDepth} levels (at character ${at}); no KernelLab input needs that`,
      'request_body_too_deep',
      { depth: maxJsonDepth, at: String(at) },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw notJson((error as Error).message);
  }
}
