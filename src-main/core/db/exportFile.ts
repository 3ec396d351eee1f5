/**
 * A runs export read from a file a piece at a time (issue 12): the whole text is never in memory.
 * Pass 1 walks the file's bytes once, in 1 MiB reads, and notes where the top-level members and
 * each element of `runs` begin and end (byte offsets); importRuns.ts then reads each part back by
 * its offsets and JSON.parse checks it. Reading a 252 MiB export into one string took 547 MiB
 * before any run was imported; this keeps two numbers per run.
 *
 * The walk is jsonSlices.ts's scanner as a state machine over bytes: UTF-8 never uses a byte below
 * 0x80 inside a multi-byte character, so quotes, backslashes and brackets are found by byte. It
 * checks the top-level structure, nesting depth and sizes; the text of every part is checked by
 * JSON.parse (a part cut short or run together with the next one does not parse).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { coreText } from '../contract/coreText.ts';
import { coded } from '../errors.ts';
import { invalid, tooLarge } from './importChecks.ts';
import type { Slice } from './jsonSlices.ts';
import { scanReasonText, type ScanReason } from './scanReasons.ts';

/** Nesting past the limit, at a byte offset of the file. */
const tooDeep = (where: string, levels: number, at: number) =>
  invalid(
    where,
    `not JSON KernelLab reads (nested deeper than ${levels} levels at byte ${at})`,
    coreText('import_too_deep_byte', { levels, at }),
  );

/** Where the parts of an export are: its small members by key, and each run's slice as [start, end) pairs. */
export interface ExportLayout {
  header: Map<string, Slice>;
  runSlices: number[];
}

/** An export to import: where its parts are (pass 1), then the text of any part. */
export interface ExportSource {
  layout(signal: AbortSignal | undefined): Promise<ExportLayout>;
  text(slice: Slice): string;
}

export interface LayoutLimits {
  maxDepth: number;
  maxHeaderBytes: number;
  maxRunBytes: number;
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Phases of the walk at the top level: before the object, a member's name, ':', its value, after the object. */
type Phase = 'start' | 'key' | 'inKey' | 'colon' | 'valueStart' | 'value' | 'done';

/** The walk over the bytes of one export, fed a read at a time. */
class LayoutWalk {
  readonly header = new Map<string, Slice>();
  readonly runSlices: number[] = [];
  #phase: Phase = 'start';
  #depth = 0;
  #inString = false;
  #escape = false;
  #key: number[] = [];
  #memberKey = '';
  #memberStart = -1;
  #inRuns = false;
  #elementStart = -1;
  #members = 0;
  readonly #limits: LayoutLimits;
  constructor(limits: LayoutLimits) {
    this.#limits = limits;
  }

  #where(): string {
    return this.#inRuns ? `runs.${this.runSlices.length / 2}` : this.#memberKey || '(root)';
  }

  #fail(message: ScanReason, at: number): never {
    throw invalid(this.#where(), `not JSON KernelLab reads (${message} at byte ${at})`, scanReasonText(message, at, 'byte'));
  }

  /** One read: `bytes` starting at file offset `offset`. */
  feed(bytes: Uint8Array, offset: number): void {
    for (let i = 0; i < bytes.length;) {
      if (this.#inString) i = this.#string(bytes, i, offset);
      else if (this.#phase === 'value' && this.#depth > 2) i = this.#nested(bytes, i, offset);
      else {
        const c = bytes[i]!;
        if (!isSpace(c)) this.#byte(c, offset + i);
        i++;
      }
    }
    this.#checkSizes(offset + bytes.length);
  }

  /** Bytes inside a string from `i` on; returns where the string ends (after its quote) or the read does. */
  #string(bytes: Uint8Array, i: number, offset: number): number {
    const inKey = this.#phase === 'inKey';
    let escape = this.#escape;
    for (; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (escape) escape = false;
      else if (c === 0x5c) escape = true;
      else if (c === 0x22) {
        this.#escape = false;
        this.#inString = false;
        if (inKey) this.#endKey(offset + i);
        return i + 1;
      }
      // A member name is kept (up to 1 KiB: longer names are none KernelLab reads).
      if (inKey && this.#key.length < 1024) this.#key.push(c);
    }
    this.#escape = escape;
    return i;
  }

  /**
   * Bytes nested below a run (or below an element of another member's list), from `i` on: only
   * brackets and quotes matter there, so the common bytes (a metric's digits) cost one compare
   * each. Returns where this level is left (back at depth 2), a string starts, or the read ends.
   */
  #nested(bytes: Uint8Array, i: number, offset: number): number {
    let depth = this.#depth;
    const maxDepth = this.#limits.maxDepth;
    for (; i < bytes.length; i++) {
      const c = bytes[i]!;
      if (c === 0x22) {
        this.#inString = true;
        this.#depth = depth;
        return i + 1;
      }
      if (c === 0x7b || c === 0x5b) {
        if (++depth > maxDepth) {
          this.#depth = depth;
          throw tooDeep(this.#where(), maxDepth, offset + i);
        }
      } else if ((c === 0x7d || c === 0x5d) && --depth === 2) {
        this.#depth = depth;
        return i + 1;
      }
    }
    this.#depth = depth;
    return i;
  }

  #endKey(at: number): void {
    try {
      this.#memberKey = JSON.parse(`"${Buffer.from(this.#key).toString('utf8')}"`) as string;
    } catch {
      this.#fail('a member name is not a JSON string', at);
    }
    this.#key = [];
    this.#phase = 'colon';
  }

  #checkSizes(at: number): void {
    const { maxHeaderBytes, maxRunBytes } = this.#limits;
    if (this.#inRuns && this.#elementStart >= 0 && at - this.#elementStart > maxRunBytes)
      throw invalid(this.#where(), `more than ${maxRunBytes / 2 ** 20} MiB`, tooLarge(maxRunBytes));
    // The runs list is as long as it is; each run is bounded instead.
    if (!this.#inRuns && this.#memberKey !== 'runs' && this.#memberStart >= 0 && at - this.#memberStart > maxHeaderBytes)
      throw invalid(this.#memberKey, `more than ${maxHeaderBytes / 2 ** 20} MiB`, tooLarge(maxHeaderBytes));
  }

  /** A byte outside strings and space, at file offset `at`. */
  #byte(c: number, at: number): void {
    switch (this.#phase) {
      case 'start':
        if (c !== 0x7b) this.#fail('expected an object', at);
        this.#depth = 1;
        this.#phase = 'key';
        return;
      case 'key':
        if (c === 0x7d && this.#members === 0) return this.#close();
        if (c !== 0x22) this.#fail('expected a member name', at);
        this.#inString = true;
        this.#phase = 'inKey';
        return;
      case 'colon':
        if (c !== 0x3a) this.#fail('expected ":"', at);
        this.#phase = 'valueStart';
        return;
      case 'valueStart':
        this.#memberStart = at;
        this.#phase = 'value';
        if (this.#memberKey === 'runs') {
          if (c !== 0x5b) this.#fail('runs: expected a list', at);
          this.#inRuns = true;
          this.#depth = 2;
          return;
        }
        return this.#inValue(c, at);
      case 'value':
        return this.#inValue(c, at);
      case 'done':
        this.#fail('unexpected text after the object', at);
      // falls through: #fail never returns
      case 'inKey':
        return;
    }
  }

  #inValue(c: number, at: number): void {
    if (c === 0x22) {
      this.#inString = true;
      if (this.#inRuns && this.#depth === 2 && this.#elementStart < 0) this.#elementStart = at;
      return;
    }
    if (this.#depth === 1 && (c === 0x2c || c === 0x7d)) return this.#endMember(c, at);
    if (this.#depth === 1 && c === 0x5d) this.#fail('unexpected "]"', at);
    if (this.#inRuns && this.#depth === 2) {
      if (c === 0x2c || c === 0x5d) {
        if (this.#elementStart >= 0) {
          this.#checkSizes(at);
          this.runSlices.push(this.#elementStart, at);
        } else if (c === 0x2c || this.runSlices.length > 0) this.#fail('a value is missing', at);
        this.#elementStart = -1;
        if (c === 0x5d) {
          this.#inRuns = false;
          this.#depth = 1;
        }
        return;
      }
      if (c === 0x7d) this.#fail('expected "," or "]"', at);
      if (this.#elementStart < 0) this.#elementStart = at;
    }
    if (c === 0x7b || c === 0x5b) {
      if (++this.#depth > this.#limits.maxDepth) throw tooDeep(this.#where(), this.#limits.maxDepth, at);
    } else if (c === 0x7d || c === 0x5d) this.#depth--;
  }

  #endMember(c: number, at: number): void {
    this.#checkSizes(at);
    this.header.set(this.#memberKey, { start: this.#memberStart, end: at });
    this.#members++;
    this.#memberStart = -1;
    this.#memberKey = '';
    if (c === 0x2c) this.#phase = 'key';
    else this.#close();
  }

  #close(): void {
    this.#depth = 0;
    this.#phase = 'done';
  }

  /** The end of the file: the object must be closed. */
  finish(size: number): ExportLayout {
    if (this.#phase !== 'done') this.#fail(this.#phase === 'start' ? 'expected an object' : 'the text ends early', size);
    return { header: this.header, runSlices: this.runSlices };
  }
}

/**
 * An export in the file at `path`, read by offset (pass 1 in reads of `readBytes`). Call `close()` when done (the file stays open
 * from the first call on, so that the parts read are those of the file walked).
 */
export function exportFile(path: string, limits: LayoutLimits, readBytes = 2 ** 20): ExportSource & { close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a folder' : (error as Error).message;
    const sentence = `Cannot read the runs export ${path}: ${why}`;
    if (code === 'ENOENT') throw coded('not_found', sentence, 'error_export_file_missing', { path });
    if (code === 'EISDIR') throw coded('invalid_input', sentence, 'error_export_file_folder', { path });
    throw coded('invalid_input', sentence, 'error_export_file_unreadable', { path, reason: why });
  }
  return {
    async layout(signal) {
      const size = fstatSync(fd).size;
      const walk = new LayoutWalk(limits);
      const buffer = Buffer.allocUnsafe(readBytes);
      let since = performance.now();
      for (let offset = 0; offset < size;) {
        const read = readSync(fd, buffer, 0, Math.min(readBytes, size - offset), offset);
        if (read === 0) break;
        walk.feed(buffer.subarray(0, read), offset);
        offset += read;
        if (performance.now() - since > 50) {
          await yieldToLoop();
          signal?.throwIfAborted();
          since = performance.now();
        }
      }
      return walk.finish(size);
    },
    text({ start, end }) {
      const buffer = Buffer.allocUnsafe(end - start);
      let done = 0;
      while (done < buffer.length) {
        const read = readSync(fd, buffer, done, buffer.length - done, start + done);
        if (read === 0) throw invalid('(file)', 'the file became shorter while it was imported', coreText('import_file_shrank', {}));
        done += read;
      }
      return buffer.toString('utf8');
    },
    close: () => closeSync(fd),
  };
}
