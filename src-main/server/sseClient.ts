/**
 * One Server-Sent Events client with backpressure. `res.write` returning false means the
 * client is not reading as fast as events come (a slow link, a background tab, a stuck client,
 * or just a burst: queueing a sweep emits one event per run in a single tick). From then on
 * nothing more is written to its socket, so the socket's own buffer stays at Node's high-water
 * mark; events wait in a queue until the socket drains, and progress events replace their older
 * self there (a `run.progress` of run 5 is worth only its latest value). The queue holds the
 * same frame strings every client is sent (one encoding per event), so a queue costs a slot per
 * event, not a copy. A client is dropped when its queue passes `maxQueuedBytes` of frames, or
 * when it is still full at `stalledHeartbeats` heartbeats in a row with no drain between them
 * (heartbeats are timers, so time the event loop spent blocked elsewhere, when no client could
 * have read, does not count against a client). Its EventSource reconnects, and the server's
 * memory stays bounded however many clients stop reading.
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
    default:
      // run.updated is not coalesced: it comes in bursts of distinct runs (a sweep queued), where
      // a key per event would cost each waiting client more than the event itself.
      return undefined;
  }
}

/**
 * The SSE frame of an event and its coalescing key; the same event object reaches every client,
 * so both are made once and shared by every queue that holds them.
 */
const encoded = new WeakMap<KernelLabEvent, { frame: string; key: string | undefined }>();
function encode(event: KernelLabEvent): { frame: string; key: string | undefined } {
  let done = encoded.get(event);
  if (done === undefined) {
    // Unnamed SSE events: the page reads one stream and dispatches on `name`, like the IPC bridge.
    done = { frame: `data: ${JSON.stringify(event)}\n\n`, key: coalesceKey(event) };
    encoded.set(event, done);
  }
  return done;
}

const heartbeatFrame = ': keep-alive\n\n';

export interface SseLimits {
  /** Frames a client that is behind may have waiting before it is dropped (default 4 MiB). */
  maxQueuedBytes: number;
  /** Heartbeats in a row that find the client still full before it is dropped (default 3: 30 to 45 s at 15 s). */
  stalledHeartbeats: number;
}

export const defaultSseLimits: SseLimits = { maxQueuedBytes: 4 * 1024 * 1024, stalledHeartbeats: 3 };

export class SseClient {
  readonly #res: ServerResponse;
  readonly #limits: SseLimits;
  readonly #onDrop: (client: SseClient) => void;
  /** Frames waiting for the socket to drain, in order; a coalesced event leaves a hole and goes to the end. */
  #queue: (string | undefined)[] = [];
  readonly #slotOf = new Map<string, number>();
  #queuedBytes = 0;
  /** Whether the socket is full: nothing more is written to it until it drains. */
  #congested = false;
  /** Heartbeats in a row that found it full. */
  #stalledBeats = 0;
  #closed = false;

  constructor(res: ServerResponse, options: { limits?: Partial<SseLimits>; onDrop: (client: SseClient) => void }) {
    this.#res = res;
    this.#limits = { ...defaultSseLimits, ...options.limits };
    this.#onDrop = options.onDrop;
    res.on('drain', () => this.#flush());
  }

  /** Bytes of frames waiting for this client (shared with other clients, so an upper bound of its own cost). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Bytes in the socket's unsent buffer: at most Node's high-water mark plus one frame. */
  get socketBytes(): number {
    return this.#res.writableLength;
  }

  get closed(): boolean {
    return this.#closed;
  }

  send(event: KernelLabEvent): void {
    const { frame, key } = encode(event);
    this.#write(key, frame);
  }

  /** An SSE comment: keeps proxies from timing the stream out, and finds a client that stopped reading. */
  heartbeat(): void {
    if (this.#closed) return;
    if (this.#congested && ++this.#stalledBeats >= this.#limits.stalledHeartbeats) {
      this.drop();
      return;
    }
    this.#write('heartbeat', heartbeatFrame);
  }

  #write(key: string | undefined, frame: string): void {
    if (this.#closed) return;
    if (!this.#congested) {
      if (!this.#res.write(frame)) this.#congested = true;
      return;
    }
    if (key !== undefined) {
      const older = this.#slotOf.get(key);
      if (older !== undefined) {
        this.#queuedBytes -= this.#queue[older]!.length;
        this.#queue[older] = undefined;
      }
      this.#slotOf.set(key, this.#queue.length);
    }
    this.#queue.push(frame);
    this.#queuedBytes += frame.length;
    if (this.#queuedBytes > this.#limits.maxQueuedBytes) this.drop();
  }

  #flush(): void {
    if (this.#closed) return;
    this.#congested = false;
    this.#stalledBeats = 0;
    const queue = this.#queue;
    this.#queue = [];
    this.#slotOf.clear();
    this.#queuedBytes = 0;
    for (let i = 0; i < queue.length; i++) {
      const frame = queue[i];
      if (frame === undefined) continue;
      if (!this.#res.write(frame)) {
        // Full again: what is left waits for the next drain, holes dropped.
        this.#congested = true;
        for (let j = i + 1; j < queue.length; j++) {
          const rest = queue[j];
          if (rest === undefined) continue;
          this.#queue.push(rest);
          this.#queuedBytes += rest.length;
        }
        // Coalescing keys are not carried over: a newer event of the same key just queues after.
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
    this.#queue = [];
    this.#slotOf.clear();
    this.#queuedBytes = 0;
  }
}
