/**
 * Finding the parts of a large JSON text without parsing all of it at once: the members of its
 * top-level object and the elements of an array, as [start, end) slices that JSON.parse then reads
 * one at a time. A 250 MB runs export parsed whole took 3 GB and held the event loop for a minute
 * (issue 12); sliced, memory stays near the size of the text and work comes in small pieces.
 *
 * Measured before writing this (a 265 MB export of 10⁵ runs, one pass): @streamparser/json 14 s,
 * stream-json 69 s, this scanner with JSON.parse per element 4 s; only the last keeps an import of
 * 10⁵ runs within its 30 s. The scanner checks structure and nesting only; each slice is then
 * parsed by JSON.parse, which checks the rest.
 */

import type { ScanReason } from './scanReasons.ts';

/** A JSON text that is not what the scanner expects, with where. */
export class JsonSliceError extends Error {
  readonly position: number;
  /** True when the text nests deeper than allowed (the rest is a syntax problem). */
  readonly tooDeep: boolean;
  /** What is wrong, in the scanner's words (coded by scanReasons.ts); null when it nests too deeply. */
  readonly reason: ScanReason | null;
  constructor(message: ScanReason | 'nested too deeply', position: number, tooDeep = false) {
    super(`${message} at character ${position}`);
    this.name = 'JsonSliceError';
    this.position = position;
    this.tooDeep = tooDeep;
    this.reason = message === 'nested too deeply' ? null : message;
  }
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipSpace(text: string, i: number): number {
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The end of the string starting at `i` (a quote), just past its closing quote. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  throw new JsonSliceError('a string is not closed', i);
}

/**
 * The end of the JSON value starting at `i` (after leading space). Objects and arrays are
 * followed by their brackets only (JSON.parse checks the rest); nesting deeper than `maxDepth`
 * throws where it happens.
 */
export function skipValue(text: string, i: number, maxDepth: number): number {
  i = skipSpace(text, i);
  const first = text.charCodeAt(i);
  if (first === 0x22) return skipString(text, i);
  if (first !== 0x7b && first !== 0x5b) {
    let j = i;
    while (j < text.length) {
      const c = text.charCodeAt(j);
      if (c === 0x2c || c === 0x7d || c === 0x5d || isSpace(c)) break;
      j++;
    }
    if (j === i) throw new JsonSliceError('a value is missing', i);
    return j;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22) j = skipString(text, j) - 1;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > maxDepth) throw new JsonSliceError('nested too deeply', j, true);
    } else if (c === 0x7d || c === 0x5d) {
      if (--depth === 0) return j + 1;
    }
  }
  throw new JsonSliceError('an object or list is not closed', i);
}

export interface Slice {
  start: number;
  end: number;
}

/**
 * The members of the top-level object of `text`: each key with the slice of its value, in order.
 * A member `lazy` says yes to is yielded with end -1 and not scanned: the caller walks it (a long
 * list, element by element) and passes where it ends to the next `next(end)`.
 */
export function* objectMembers(
  text: string,
  maxDepth: number,
  lazy: (key: string) => boolean = () => false,
): Generator<Slice & { key: string }, void, number | undefined> {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== 0x7b) throw new JsonSliceError('expected an object', i);
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x7d) return;
  for (;;) {
    if (text.charCodeAt(i) !== 0x22) throw new JsonSliceError('expected a member name', i);
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== 0x3a) throw new JsonSliceError('expected ":"', i);
    const start = skipSpace(text, i + 1);
    let end: number;
    if (lazy(key)) {
      const given = yield { key, start, end: -1 };
      if (given === undefined) throw new Error(`objectMembers: the end of the lazy member ${key} was not given`);
      end = given;
    } else {
      end = skipValue(text, start, maxDepth - 1);
      yield { key, start, end };
    }
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x7d) {
      if (skipSpace(text, i + 1) !== text.length) throw new JsonSliceError('unexpected text after the object', i + 1);
      return;
    }
    if (c !== 0x2c) throw new JsonSliceError('expected "," or "}"', i);
    i = skipSpace(text, i + 1);
  }
}

/** The elements of the array starting at `start`, each as a slice, in order; returns where the array ends. */
export function* arrayElements(text: string, start: number, maxDepth: number): Generator<Slice, number> {
  let i = skipSpace(text, start);
  if (text.charCodeAt(i) !== 0x5b) throw new JsonSliceError('expected a list', i);
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === 0x5d) return i + 1;
  for (;;) {
    const elementStart = i;
    const end = skipValue(text, elementStart, maxDepth - 1);
    yield { start: elementStart, end };
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === 0x5d) return i + 1;
    if (c !== 0x2c) throw new JsonSliceError('expected "," or "]"', i);
    i = skipSpace(text, i + 1);
  }
}
