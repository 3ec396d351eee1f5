/**
 * `runs.import` over HTTP without its text ever being one string in the server (issue 12). The
 * body, `{"content":"<the export, as a JSON string>"}`, was read whole, decoded to a string and
 * parsed: for a 252 MiB export the body's bytes, its text and the content string were held at once
 * (over 750 MiB), and the decoding, the depth check and JSON.parse held the event loop for a
 * second. Now the body is written to a file in the data folder's upload area as it arrives (as
 * POST /api/import/runs does), the content string is unescaped from there into a second file a
 * read at a time, and that file is imported as `runs.importFile` imports one: one code path and one
 * memory profile for every way an export arrives.
 *
 * Only a body that is exactly one object with one member `content` holding a string takes this
 * way; anything else (another member, a number, a lone surrogate escape, bad JSON) is read and
 * parsed as before, so it is refused or accepted with the same words as before, up to its own
 * limit (256 MiB by default): that way holds the body whole, so a larger one is refused, saying
 * what shape would be taken, before it is read into memory.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { coded } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import { bodyToFile, uploadFolderPrefix } from './importUpload.ts';
import { bodyTooLarge, parseJsonBody } from './requestBody.ts';

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The refusal readBody gives a body over its limit, word for word (a 413). */
const tooLarge = (limit: number) => (declared: number | null) => bodyTooLarge(limit, declared);

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** The one member name this way takes, as bytes. */
const contentKey = Buffer.from('content');
/** What a one-character escape stands for: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`. */
const escapes = new Map<number, number>([
  [0x22, 0x22],
  [0x5c, 0x5c],
  [0x2f, 0x2f],
  [0x62, 0x08],
  [0x66, 0x0c],
  [0x6e, 0x0a],
  [0x72, 0x0d],
  [0x74, 0x09],
]);

/** Where the walk of `{"content":"…"}` is: before each token, inside the name or the string, or after the object. */
type Phase = 'open' | 'name' | 'inName' | 'colon' | 'value' | 'string' | 'close' | 'end';

/** Outside the name and the string: the one byte each phase takes, and the phase after it. */
const steps: Partial<Record<Phase, [number, Phase]>> = {
  open: [0x7b, 'name'],
  name: [0x22, 'inName'],
  colon: [0x3a, 'value'],
  value: [0x22, 'string'],
  close: [0x7d, 'end'],
};

/** Not the one shape this way takes: the body is parsed whole instead. */
class NotThatShape extends Error {}

/**
 * Unescapes the content string of `{"content":"…"}` into UTF-8 bytes, fed a read at a time; the
 * output goes to `out` (a file) in pieces of up to 1 MiB.
 */
class ContentWalk {
  #phase: Phase = 'open';
  #name: number[] = [];
  /** Inside the string: 0 plain, 1 after a backslash, 2–5 reading the 4 hex digits of `\u`. */
  #escape = 0;
  #unit = 0;
  /** A high surrogate from a `\u` escape, waiting for its low half (the next escape). */
  #high = -1;
  readonly #buffer = Buffer.allocUnsafe(2 ** 20);
  #used = 0;
  readonly #out: number;
  constructor(out: number) {
    this.#out = out;
  }

  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (this.#phase === 'string') i = this.#string(bytes, i);
      else this.#outside(c);
    }
  }

  /** The bytes of the string from `i` on; returns the index of the last byte it used. */
  #string(bytes: Uint8Array, i: number): number {
    for (; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (this.#escape === 0) {
        if (this.#high >= 0 && c !== 0x5c) throw new NotThatShape();
        if (c === 0x5c) this.#escape = 1;
        else if (c === 0x22) {
          this.#phase = 'close';
          return i;
        } else if (c < 0x20) throw new NotThatShape();
        else i = this.#plain(bytes, i) - 1;
      } else if (this.#escape === 1) this.#escaped(c);
      else this.#hex(c);
    }
    return i;
  }

  /** Copies the plain bytes from `i` on (up to a quote, a backslash or a control byte) as they are; returns where they end. */
  #plain(bytes: Uint8Array, i: number): number {
    let end = i;
    while (end < bytes.length) {
      const c = bytes[end]!;
      if (c === 0x5c || c === 0x22 || c < 0x20) break;
      end++;
    }
    while (i < end) {
      if (this.#used === this.#buffer.length) this.flush();
      const n = Math.min(end - i, this.#buffer.length - this.#used);
      this.#buffer.set(bytes.subarray(i, i + n), this.#used);
      this.#used += n;
      i += n;
    }
    return end;
  }

  #escaped(c: number): void {
    if (c === 0x75) {
      this.#escape = 2;
      this.#unit = 0;
      return;
    }
    const byte = escapes.get(c);
    if (byte === undefined || this.#high >= 0) throw new NotThatShape();
    this.#byte(byte);
    this.#escape = 0;
  }

  #hex(c: number): void {
    const digit = c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;
    if (digit < 0) throw new NotThatShape();
    this.#unit = this.#unit * 16 + digit;
    if (++this.#escape < 6) return;
    this.#escape = 0;
    const unit = this.#unit;
    if (this.#high >= 0) {
      // A lone surrogate has no UTF-8 form: such a body is parsed whole, as before.
      if (unit < 0xdc00 || unit > 0xdfff) throw new NotThatShape();
      this.#codePoint(0x10000 + ((this.#high - 0xd800) << 10) + (unit - 0xdc00));
      this.#high = -1;
    } else if (unit >= 0xd800 && unit <= 0xdbff) this.#high = unit;
    else if (unit >= 0xdc00 && unit <= 0xdfff) throw new NotThatShape();
    else this.#codePoint(unit);
  }

  #codePoint(cp: number): void {
    if (cp < 0x80) this.#byte(cp);
    else if (cp < 0x800) {
      this.#byte(0xc0 | (cp >> 6));
      this.#byte(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
      this.#byte(0xe0 | (cp >> 12));
      this.#byte(0x80 | ((cp >> 6) & 0x3f));
      this.#byte(0x80 | (cp & 0x3f));
    } else {
      this.#byte(0xf0 | (cp >> 18));
      this.#byte(0x80 | ((cp >> 12) & 0x3f));
      this.#byte(0x80 | ((cp >> 6) & 0x3f));
      this.#byte(0x80 | (cp & 0x3f));
    }
  }

  #byte(b: number): void {
    if (this.#used === this.#buffer.length) this.flush();
    this.#buffer[this.#used++] = b;
  }

  flush(): void {
    for (let done = 0; done < this.#used;) done += writeSync(this.#out, this.#buffer, done, this.#used - done);
    this.#used = 0;
  }

  /** A byte outside the string: only `{`, the name `content`, `:`, the string's quote, `}` and space. */
  #outside(c: number): void {
    if (this.#phase === 'inName') {
      if (c === 0x22) {
        if (!contentKey.equals(Buffer.from(this.#name))) throw new NotThatShape();
        this.#phase = 'colon';
      } else if (c === 0x5c || this.#name.length >= contentKey.length) throw new NotThatShape();
      else this.#name.push(c);
      return;
    }
    if (isSpace(c)) return;
    const [expected, next] = steps[this.#phase] ?? [-1, this.#phase];
    if (c !== expected) throw new NotThatShape();
    this.#phase = next;
  }

  /** True when the body was the whole shape, closed. */
  finished(): boolean {
    return this.#phase === 'end';
  }
}

/**
 * Writes the content string of the body in `bodyPath` to `contentPath` as UTF-8, `readBytes` (a
 * MiB) at a time, yielding to the event loop between reads; false (and nothing to use) when the
 * body is not exactly `{"content":"…"}`.
 */
export async function unwrapContent(bodyPath: string, contentPath: string, signal: AbortSignal, readBytes = 2 ** 20): Promise<boolean> {
  const input = openSync(bodyPath, 'r');
  const output = openSync(contentPath, 'w');
  try {
    const walk = new ContentWalk(output);
    const buffer = Buffer.allocUnsafe(readBytes);
    let since = performance.now();
    for (let read; (read = readSync(input, buffer, 0, buffer.length, null)) > 0;) {
      walk.feed(buffer.subarray(0, read));
      if (performance.now() - since > 50) {
        await yieldToLoop();
        signal.throwIfAborted();
        since = performance.now();
      }
    }
    if (!walk.finished()) return false;
    walk.flush();
    return true;
  } catch (error) {
    if (error instanceof NotThatShape) return false;
    throw error;
  } finally {
    closeSync(input);
    closeSync(output);
  }
}

/** The refusal of a body too large to be parsed whole that is not `{"content": "…"}`. */
const wholeTooLarge = (size: number, limit: number) =>
  coded(
    'too_large',
    `A runs.import body of ${size} bytes is over the ${limit}-byte limit of a body with anything but the one member "content" holding the export as a string: send only that member, or post the export file to /api/import/runs`,
    'error_import_body_shape_too_large',
    { size, limit },
  );

/**
 * The `runs.import` call of an HTTP request: its body (at most `limits.body` bytes) written to a
 * temporary folder in the data folder, its export imported from a file there, the folder removed
 * whatever happens. A body of another shape is parsed whole, so only up to `limits.whole` bytes.
 */
export async function importCall(
  req: IncomingMessage,
  service: Service,
  limits: { body: number; whole: number },
  signal: AbortSignal,
): Promise<unknown> {
  const dir = mkdtempSync(join(service.context.layout.root, uploadFolderPrefix));
  try {
    const body = join(dir, 'body.json');
    await bodyToFile(req, body, limits.body, tooLarge(limits.body));
    const content = join(dir, 'runs.json');
    if (await unwrapContent(body, content, signal)) {
      rmSync(body);
      return await service.call('runs.importFile', { path: content }, { signal });
    }
    rmSync(content);
    const size = statSync(body).size;
    if (size > limits.whole) throw wholeTooLarge(size, limits.whole);
    return await service.call('runs.import', parseJsonBody(readFileSync(body, 'utf8')), { signal });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
