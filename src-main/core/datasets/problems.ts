import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { z } from 'zod';
import type { coreTextParams, CoreText, CoreTextCode } from '../contract/coreText.ts';
import { KernelLabError, type ErrorCode } from '../errors.ts';

/** The codes whose message starts with `{file}`. */
type FileCode = { [C in CoreTextCode]: 'file' extends keyof z.infer<(typeof coreTextParams)[C]> ? C : never }[CoreTextCode];

/** A file problem's coded form (contract/coreText.ts) without the file, which fileProblem adds. */
export type FileText = { [C in FileCode]: [C, Omit<z.infer<(typeof coreTextParams)[C]>, 'file'>] }[FileCode];

/**
 * A dataset file that is not what it should be: the message always starts with the file's name.
 * `text` is the problem's code and parameters, so the page and the CLI can say it in Korean.
 */
export function fileProblem(file: string, problem: string, text?: FileText, code: ErrorCode = 'invalid_input'): KernelLabError {
  const name = basename(file);
  const coded = text && ({ code: text[0], params: { ...text[1], file: name } } as CoreText);
  return new KernelLabError(code, `${name}: ${problem}`, undefined, coded ? { text: coded } : {});
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
    throw fileProblem(file, 'is an HTML page, not dataset data (a web server answered with an error or login page)', [
      'dataset_file_html',
      {},
    ]);
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
        ['dataset_file_gzip_bomb', { maxBytes }],
      );
    }
    if (err.code === 'Z_BUF_ERROR')
      throw fileProblem(file, 'gzip data is truncated (unexpected end of file)', ['dataset_file_gzip_truncated', {}]);
    throw fileProblem(file, `gzip data is corrupt (${err.message})`, ['dataset_file_gzip_corrupt', { reason: err.message }]);
  }
}
