/**
 * An export written out as it is read (issue 12): each part of an ExportStream is pulled only when
 * the output has room for more (a file, an HTTP answer, stdout), so what is held at a time is a
 * part or two, whatever the run count, and each pull holds the event loop for one batch of runs.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ExportStream } from './exchange.ts';

export interface WriteExportOptions {
  /** False leaves `out` open afterwards (stdout); true by default. */
  end?: boolean;
  /** Stops the writing (the client went away); the output is left cut short. */
  signal?: AbortSignal | undefined;
  /** Each part as it is written (stdout to a terminal is made safe). */
  map?: (part: string) => string;
}

/** Writes the export's parts to `out` with backpressure; resolves with the last character written ('' when none). */
export async function writeExport(stream: ExportStream, out: Writable, options: WriteExportOptions = {}): Promise<string> {
  const parts = stream.parts();
  let last = '';
  const mapped: Iterable<string> = {
    [Symbol.iterator]: () => ({
      next: () => {
        const step = parts.next();
        if (step.done) return { done: true, value: undefined };
        const text = options.map ? options.map(step.value) : step.value;
        if (text.length > 0) last = text.slice(-1);
        return { done: false, value: text };
      },
      return: () => {
        parts.return?.();
        return { done: true, value: undefined };
      },
    }),
  };
  // One part buffered ahead at most: the next is read once the output took the last one.
  const source = Readable.from(mapped, { objectMode: true, highWaterMark: 1 });
  await pipeline(source, out, { end: options.end ?? true, ...(options.signal && { signal: options.signal }) });
  return last;
}
