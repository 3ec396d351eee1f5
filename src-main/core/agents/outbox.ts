/**
 * What one execution on an agent sends to the server, in order and each once: its RunEvents,
 * numbered from the claim's recordedSeq + 1, every one appended to a JSONL spool before it is
 * sent. A checkpoint is snapshotted when it is reported (hard links, or copies across file
 * systems, checked against the worker's digest: a checkpoint already replaced by the next one is
 * skipped) and its files uploaded before the event that names them.
 *
 * While the server cannot be reached the worker keeps training and events pile up in the spool;
 * the sender tries again (1, 2, 4 … 30 s apart) and replays them when the server answers. The
 * server skips events it already recorded (a report repeated after a lost answer), so nothing is
 * recorded twice. A report answered `held: false` means the run was recovered or claimed again:
 * the execution stops and nothing more is sent.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodeMetricValue,
  type AgentEvent,
  type AgentLease,
  type AgentOutcome,
  type FileRef,
  type MetricValue,
} from '../contract/index.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { RunEvent } from '../sweeps/execution.ts';
import { sleep, Unreachable, type AgentClient } from './client.ts';
import type { AgentLog } from './agentLog.ts';

interface Item {
  seq: number;
  event: AgentEvent;
  /** A checkpoint's snapshot folder (uploaded before the event is reported). */
  dir?: string;
}

export interface OutboxOptions {
  client: AgentClient;
  lease: AgentLease;
  /** The claim's recordedSeq: events up to it are already on the server. */
  recordedSeq: number;
  spoolFile: string;
  /** Where checkpoint snapshots wait for upload. */
  uploadDir: string;
  maxEventsPerReport: number;
  maxChunkBytes: number;
  heartbeatMs: number;
  /** The agent's run log, in its language. */
  log: AgentLog;
  /** The server asked for the run to stop (its sweep was paused or canceled). */
  onStop: (mode: 'cancel' | 'interrupt') => void;
  /** The lease is gone, or the server refused the events: stop training, record nothing more. */
  onLost: (why: string, whyText: CoreText) => void;
}

/** Progress goes at most this often over the network (it is only shown, never stored). */
const progressEveryMs = 1000;

export class Outbox {
  readonly #o: OutboxOptions;
  readonly #queue: Item[] = [];
  #nextSeq: number;
  #acked: number;
  readonly #uploaded = new Set<number>();
  #sending = false;
  #lost: string | null = null;
  #stopAsked: 'cancel' | 'interrupt' | null = null;
  #offlineSince: number | null = null;
  #lastContact = Date.now();
  #lastProgress = 0;
  #requestMs = 0;
  #requests = 0;
  readonly #closed = new AbortController();
  readonly #drained = new Set<() => void>();
  readonly #heartbeat: NodeJS.Timeout;

  constructor(options: OutboxOptions) {
    this.#o = options;
    this.#acked = options.recordedSeq;
    this.#nextSeq = options.recordedSeq + 1;
    mkdirSync(options.uploadDir, { recursive: true });
    this.#spool({ type: 'job', lease: options.lease, server: options.client.server, recordedSeq: options.recordedSeq, pid: process.pid });
    this.#heartbeat = setInterval(() => void this.#beat(), options.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Time spent in report and upload requests so far (ms), and how many there were. */
  get streaming(): { ms: number; requests: number } {
    return { ms: this.#requestMs, requests: this.#requests };
  }

  /** Events the server has recorded. */
  get recordedSeq(): number {
    return this.#acked;
  }

  /** The last event numbered (what agent.finish names as lastSeq once every one is recorded). */
  get lastSeq(): number {
    return this.#nextSeq - 1;
  }

  get lost(): string | null {
    return this.#lost;
  }

  get offline(): boolean {
    return this.#offlineSince !== null;
  }

  /** Takes one event of the execution (called in order, synchronously, from the executor's emit). */
  push(event: RunEvent): void {
    if (this.#lost) return;
    if (event.type === 'progress') {
      const now = Date.now();
      if (now - this.#lastProgress < progressEveryMs || this.#offlineSince !== null) return;
      this.#lastProgress = now;
    }
    const seq = this.#nextSeq;
    const item = this.#toItem(event, seq);
    if (!item) return;
    this.#nextSeq++;
    this.#queue.push(item);
    this.#spool({ seq, event: item.event, ...(item.dir && { dir: item.dir }) });
    void this.#send();
  }

  #toItem(event: RunEvent, seq: number): Item | undefined {
    const metric = (v: number | null | undefined): MetricValue | null => (v === null || v === undefined ? null : encodeMetricValue(v));
    switch (event.type) {
      case 'started':
        return {
          seq,
          event: {
            type: 'started',
            backend: event.backend,
            device: event.device,
            ...(event.deviceCode && { deviceCode: event.deviceCode }),
            ...(event.runtime && { runtime: event.runtime }),
          },
        };
      case 'progress':
        return { seq, event: { ...event, loss: encodeMetricValue(event.loss), accuracy: encodeMetricValue(event.accuracy) } };
      case 'epoch':
        return {
          seq,
          event: {
            type: 'epoch',
            epoch: event.epoch,
            values: Object.fromEntries(Object.entries(event.values).map(([k, v]) => [k, metric(v)])),
          },
        };
      case 'evaluation': {
        const e = event.evaluation;
        return {
          seq,
          event: {
            type: 'evaluation',
            epoch: event.epoch,
            loss: metric(e.loss),
            accuracy: metric(e.accuracy),
            confusion: e.confusion,
            perClass: e.perClass,
            mostWrong: e.mostWrong ?? [],
          },
        };
      }
      case 'checkpoint': {
        const c = event.checkpoint;
        const snapshot = this.#snapshot(c.path, seq, c.sha256);
        if (!snapshot) {
          this.#o.log.checkpointReplaced(c.epoch, c.kind);
          return undefined;
        }
        return {
          seq,
          dir: snapshot.dir,
          event: {
            type: 'checkpoint',
            epoch: c.epoch,
            kind: c.kind,
            files: snapshot.files,
            metric: c.metric ?? null,
            value: metric(c.value),
          },
        };
      }
      default: {
        const unknown: never = event;
        throw new Error(`unknown run event ${JSON.stringify(unknown)}`);
      }
    }
  }

  /** A consistent copy of a checkpoint folder (the worker swaps in a new one every epoch). */
  #snapshot(dir: string, seq: number, digest: string): { dir: string; files: FileRef[] } | undefined {
    const target = join(this.#o.uploadDir, String(seq));
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => statSync(join(dir, n)).isFile());
      for (const name of names) {
        try {
          linkSync(join(dir, name), join(target, name));
        } catch {
          copyFileSync(join(dir, name), join(target, name));
        }
      }
    } catch {
      rmSync(target, { recursive: true, force: true });
      return undefined;
    }
    // Sorted as the worker lists them is not guaranteed: compare by the worker's construction.
    const files = names.map((name) => {
      const bytes = readFileSync(join(target, name));
      return { name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
    const ordered = orderMatchingDigest(files, digest);
    if (!ordered) {
      rmSync(target, { recursive: true, force: true });
      return undefined;
    }
    // In the worker's order, so the server's checkpoint row has the digest a local run would record.
    return { dir: target, files: ordered };
  }

  #spool(line: Record<string, unknown>): void {
    try {
      appendFileSync(this.#o.spoolFile, `${JSON.stringify(line)}\n`);
    } catch (error) {
      // The spool is insurance; a full disk must not stop the run while the server still answers.
      this.#o.log.spoolUnwritable(this.#o.spoolFile, error as NodeJS.ErrnoException);
    }
  }

  #contact(): void {
    this.#lastContact = Date.now();
    if (this.#offlineSince !== null) {
      const seconds = Math.round((Date.now() - this.#offlineSince) / 1000);
      this.#o.log.serverBack(seconds);
      this.#offlineSince = null;
    }
  }

  #offline(error: Unreachable): void {
    if (this.#offlineSince === null) {
      this.#offlineSince = Date.now();
      this.#o.log.spooling(error, this.#o.spoolFile);
    }
  }

  #lose(why: string, whyText: CoreText): void {
    if (this.#lost) return;
    this.#lost = why;
    this.#queue.length = 0;
    this.#o.onLost(why, whyText);
    this.#wakeDrained();
  }

  #takenBack(): void {
    this.#lose('the server took the run back (its lease ran out or it was claimed again)', coreText('agent_lease_taken_back', {}));
  }

  #ask(stop: 'cancel' | 'interrupt' | null): void {
    if (stop && this.#stopAsked !== stop) {
      this.#stopAsked = stop;
      this.#o.onStop(stop);
    }
  }

  async #send(): Promise<void> {
    if (this.#sending) return;
    this.#sending = true;
    let wait = 1000;
    try {
      while (this.#queue.length > 0 && !this.#lost && !this.#closed.signal.aborted) {
        try {
          const head = this.#queue[0]!;
          if (head.dir && !this.#uploaded.has(head.seq)) {
            await this.#upload(head);
            continue;
          }
          const batch: Item[] = [];
          for (const item of this.#queue) {
            if (batch.length >= this.#o.maxEventsPerReport) break;
            if (item.dir && !this.#uploaded.has(item.seq)) break;
            batch.push(item);
          }
          const sent = performance.now();
          const answer = await this.#o.client.call('agent.report', {
            lease: this.#o.lease,
            firstSeq: batch[0]!.seq,
            events: batch.map((i) => i.event),
          });
          this.#requestMs += performance.now() - sent;
          this.#requests++;
          this.#contact();
          wait = 1000;
          if (!answer.held) {
            this.#takenBack();
            break;
          }
          this.#ack(answer.recordedSeq);
          this.#ask(answer.stop);
        } catch (error) {
          if (error instanceof Unreachable) {
            this.#offline(error);
            await sleep(wait, this.#closed.signal);
            wait = Math.min(30_000, wait * 2);
            continue;
          }
          this.#lose(
            `the server refused its events: ${(error as Error).message}`,
            coreText('agent_events_refused', { problem: this.#o.log.error(error) }),
          );
          break;
        }
      }
    } finally {
      this.#sending = false;
    }
    if (this.#queue.length === 0) this.#wakeDrained();
  }

  #ack(recordedSeq: number): void {
    if (recordedSeq <= this.#acked) return;
    this.#acked = recordedSeq;
    while (this.#queue.length > 0 && this.#queue[0]!.seq <= recordedSeq) {
      const item = this.#queue.shift()!;
      if (item.dir) rmSync(item.dir, { recursive: true, force: true });
    }
    this.#spool({ acked: recordedSeq });
  }

  /**
   * Uploads a checkpoint's files: small ones together in one call (a LeNet-5 checkpoint is one
   * request), a large one in chunks of maxChunkBytes.
   */
  async #upload(item: Item): Promise<void> {
    const event = item.event as Extract<AgentEvent, { type: 'checkpoint' }>;
    const pending = event.files.map((file) => ({ file, offset: 0, bytes: readFileSync(join(item.dir!, file.name)) }));
    while (pending.length > 0) {
      const parts: { file: FileRef; offset: number; data: string }[] = [];
      let budget = this.#o.maxChunkBytes;
      for (const p of pending) {
        if (budget <= 0) break;
        const length = Math.min(budget, p.file.bytes - p.offset);
        parts.push({ file: p.file, offset: p.offset, data: p.bytes.subarray(p.offset, p.offset + length).toString('base64') });
        budget -= Math.max(1, length);
      }
      const sent = performance.now();
      const answer = await this.#o.client.call('agent.uploadFile', { lease: this.#o.lease, epoch: event.epoch, kind: event.kind, parts });
      this.#requestMs += performance.now() - sent;
      this.#requests++;
      this.#contact();
      if (!answer.held) {
        this.#takenBack();
        return;
      }
      for (const got of answer.files) {
        const at = pending.findIndex((p) => p.file.name === got.name);
        if (at < 0) continue;
        if (got.complete) pending.splice(at, 1);
        else pending[at]!.offset = got.received;
      }
    }
    this.#uploaded.add(item.seq);
  }

  async #beat(): Promise<void> {
    if (this.#lost || this.#closed.signal.aborted || this.#sending) return;
    if (Date.now() - this.#lastContact < this.#o.heartbeatMs / 2) return;
    try {
      const answer = await this.#o.client.call('agent.heartbeat', { lease: this.#o.lease });
      this.#contact();
      if (!answer.held) this.#takenBack();
      else this.#ask(answer.stop);
    } catch (error) {
      if (error instanceof Unreachable) this.#offline(error);
      else this.#o.log.heartbeatRefused(error);
    }
  }

  #wakeDrained(): void {
    for (const wake of this.#drained) wake();
    this.#drained.clear();
  }

  /** Resolves true once every event is recorded (false when the lease is gone or `deadline` passed). */
  async drain(deadline: number): Promise<boolean> {
    for (;;) {
      if (this.#lost) return false;
      if (this.#queue.length === 0 && !this.#sending) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      void this.#send();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#drained.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Reports the outcome once every event is recorded; tries until `deadline`. Returns what the
   * server recorded, or undefined when it could not be told (the spool keeps everything).
   */
  async finish(outcome: AgentOutcome, deadline: number): Promise<{ held: boolean; status: string | null; requeued: boolean } | undefined> {
    if (!(await this.drain(deadline))) return this.#lost ? { held: false, status: null, requeued: false } : undefined;
    this.#spool({ finish: outcome, lastSeq: this.lastSeq });
    let wait = 1000;
    for (;;) {
      try {
        const answer = await this.#o.client.call('agent.finish', { lease: this.#o.lease, lastSeq: this.lastSeq, outcome });
        this.#contact();
        this.#spool({ finished: answer });
        return answer;
      } catch (error) {
        if (!(error instanceof Unreachable)) throw error;
        this.#offline(error);
        if (Date.now() + wait > deadline) return undefined;
        await sleep(wait, this.#closed.signal);
        wait = Math.min(30_000, wait * 2);
      }
    }
  }

  /** Stops sending and heartbeating; removes the spool and snapshots when everything was delivered. */
  close(delivered: boolean): void {
    clearInterval(this.#heartbeat);
    this.#closed.abort();
    if (delivered) {
      rmSync(this.#o.spoolFile, { force: true });
      rmSync(this.#o.uploadDir, { recursive: true, force: true });
    }
  }
}

/**
 * The files in the order whose digest (workerExecutor.toRunEvent's construction) is the one the
 * worker reported, or undefined when none is: the folder changed since.
 */
export function orderMatchingDigest(files: readonly FileRef[], digest: string): FileRef[] | undefined {
  if (files.length === 1) return files[0]!.sha256 === digest ? [...files] : undefined;
  // The worker lists its files in the order it wrote them; the digest covers that order.
  for (const order of [workerFileOrder(files), [...files].sort((a, b) => a.name.localeCompare(b.name))]) {
    const hash = createHash('sha256');
    for (const f of order) hash.update(`${f.name}:${f.sha256}\n`);
    if (hash.digest('hex') === digest) return order;
  }
  return undefined;
}

/** checkpointIO.saveCheckpoint writes model.json, weights.bin, optimizer.json, optimizer.bin, state.json in that order. */
function workerFileOrder(files: readonly FileRef[]): FileRef[] {
  const order = ['model.json', 'weights.bin', 'optimizer.json', 'optimizer.bin', 'state.json'];
  return [...files].sort((a, b) => {
    const ia = order.indexOf(a.name);
    const ib = order.indexOf(b.name);
    return (ia < 0 ? order.length : ia) - (ib < 0 ? order.length : ib) || a.name.localeCompare(b.name);
  });
}

export function spoolExists(path: string): boolean {
  return existsSync(path);
}
