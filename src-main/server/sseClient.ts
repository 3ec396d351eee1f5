/**
 * One Server-Sent Events client with backpressure. `res.write` returning false means the
 * client is not reading as fast as events come (a slow link, a background tab, a stuck client):
 * from then on events wait in a queue where progress events replace their older self (a
 * `run.progress` of run 5 is worth only its latest value), until the socket drains. A client
 * whose queue and socket buffer together pass `maxBufferedBytes` is dropped: its EventSource
 * reconnects, and the server's memory stays bounded however many clients stop reading.
 */
import type { ServerResponse } from 'node:http';
import type { KernelLabEvent } from '../core/contract/index.ts';

/** Events whose newest value makes the older ones worthless, keyed by what they describe. */
function coalesceKey(event: KernelLabEvent): string | undefined {
  const payload = event.payload as Record<string, unknown>;
  switch (event.name) {
    case 'run.progress':
      return `run.progress:${String(payload.runId)}`;
    case 'sweep.progress':
      return `sweep.progress:${String(payload.sweepId)}`;
    case 'dataset.progress':
      return `dataset.progress:${String(payload.dataset)}`;
    case 'run.updated':
      // Status and summary as of now: the latest one is the run's state.
      return `run.updated:${String(payload.runId)}`;
    default:
      return undefined;
  }
}

/** The SSE frame of an event; the same event object reaches every client, so it is encoded once. */
const frames = new WeakMap<KernelLabEvent, string>();
function frameOf(event: KernelLabEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    // Unnamed SSE events: the page reads one stream and dispatches on `name`, like the IPC bridge.
    frame = `data: ${JSON.stringify(event)}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

export class SseClient {
  readonly #res: ServerResponse;
  readonly #maxBufferedBytes: number;
  readonly #onDrop: (client: SseClient) => void;
  /** Frames waiting for the socket to drain, in order; a coalesced event moves to the end. */
  readonly #queue = new Map<string, string>();
  #queuedBytes = 0;
  #unique = 0;
  #congested = false;
  #closed = false;

  constructor(res: ServerResponse, options: { maxBufferedBytes: number; onDrop: (client: SseClient) => void }) {
    this.#res = res;
    this.#maxBufferedBytes = options.maxBufferedBytes;
    this.#onDrop = options.onDrop;
    res.on('drain', () => this.#flush());
  }

  /** Bytes this client holds in the server's memory: queued frames plus the socket's unsent buffer. */
  get bufferedBytes(): number {
    return this.#queuedBytes + this.#res.writableLength;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(event: KernelLabEvent): void {
    this.#write(coalesceKey(event), frameOf(event));
  }

  /** An SSE comment: keeps proxies from timing the stream out and shows a dead client as a full buffer. */
  heartbeat(): void {
    this.#write('heartbeat', ': keep-alive\n\n');
  }

  #write(key: string | undefined, frame: string): void {
    if (this.#closed) return;
    if (!this.#congested) {
      if (!this.#res.write(frame)) this.#congested = true;
      return;
    }
    const id = key ?? `#${this.#unique++}`;
    const older = this.#queue.get(id);
    if (older !== undefined) {
      this.#queue.delete(id);
      this.#queuedBytes -= Buffer.byteLength(older);
    }
    this.#queue.set(id, frame);
    this.#queuedBytes += Buffer.byteLength(frame);
    if (this.bufferedBytes > this.#maxBufferedBytes) this.drop();
  }

  #flush(): void {
    this.#congested = false;
    for (const [id, frame] of this.#queue) {
      this.#queue.delete(id);
      this.#queuedBytes -= Buffer.byteLength(frame);
      if (!this.#res.write(frame)) {
        this.#congested = true;
        return;
      }
    }
  }

  /** Ends the stream at once, freeing what it held. */
  drop(): void {
    if (this.#closed) return;
    this.close();
    this.#res.destroy();
    this.#onDrop(this);
  }

  /** Marks the client gone (its request closed or the server stops); nothing more is written. */
  close(): void {
    this.#closed = true;
    this.#queue.clear();
    this.#queuedBytes = 0;
  }
}
