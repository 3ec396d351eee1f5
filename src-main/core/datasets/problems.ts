import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { KernelLabError, type ErrorCode } from '../errors.ts';

/** A dataset file that is not what it should be: the message always starts with the file's name. */
export function fileProblem(file: string, problem: string, code: ErrorCode = 'invalid_input'): KernelLabError {
  return new KernelLabError(code, `${basename(file)}: ${problem}`);
}

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Recognises the usual ways a web server answers with a page instead of the file. */
export function looksLikeHtml(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 512)).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<?xml') || head.startsWith('<head');
}

/**
 * The file's content: gunzipped when it is gzip, as is otherwise. `maxBytes` guards against a
 * gzip bomb: decompression stops there and the file is refused.
 */
export function decompress(bytes: Uint8Array, file: string, maxBytes: number): Uint8Array {
  if (looksLikeHtml(bytes))
    throw fileProblem(file, 'is an HTML page, not dataset data (a web server answered with an error or login page)');
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes, { maxOutputLength: maxBytes + 1 });
    if (out.length > maxBytes) throw new RangeError('too large');
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (err instanceof RangeError || err.code === 'ERR_BUFFER_TOO_LARGE') {
      throw fileProblem(
        file,
        `decompresses to more than ${maxBytes} bytes, far beyond this dataset's size (a gzip bomb or the wrong file)`,
      );
    }
    if (err.code === 'Z_BUF_ERROR') throw fileProblem(file, 'gzip data is truncated (unexpected end of file)');
    throw fileProblem(file, `gzip data is corrupt (${err.message})`);
  }
}
