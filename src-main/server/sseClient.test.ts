import type { ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { KernelLabEvent } from '../core/contract/index.ts';
import { SseClient } from './sseClient.ts';

/** A stream that takes writes into its buffer and delivers them only when `read()` is called: a client that reads when it likes. */
function slowClient() {
  const received: string[] = [];
  const pending: (() => void)[] = [];
  let destroyed = false;
  const stream = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk.toString());
      pending.push(done);
    },
    destroy(_error, done) {
      destroyed = true;
      done(null);
    },
  });
  const read = async () => {
    while (pending.length > 0) {
      pending.shift()!();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { res: stream as unknown as ServerResponse, received, read, isDestroyed: () => destroyed };
}

const progress = (runId: number, batch: number) => ({ name: 'run.progress', payload: { runId, batch } }) as unknown as KernelLabEvent;
const appended = (runId: number, step: number) =>
  ({ name: 'metrics.appended', payload: { runId, points: [{ key: 'loss', step, value: 0.5 }] } }) as unknown as KernelLabEvent;
const payloads = (frames: string[]) =>
  frames.filter((f) => f.startsWith('data: ')).map((f) => JSON.parse(f.slice(6)) as { name: string; payload: Record<string, number> });

describe('SseClient backpressure', () => {
  it('keeps only the latest progress of each run while the client is behind, and loses no other event', async () => {
    const client = slowClient();
    const sse = new SseClient(client.res, { limits: { maxQueuedBytes: 64 * 1024 }, onDrop: () => undefined });
    for (let batch = 0; batch < 2000; batch++) {
      sse.send(progress(1, batch));
      sse.send(progress(2, batch));
      if (batch % 100 === 0) sse.send(appended(1, batch));
    }
    expect(sse.queuedBytes).toBeLessThan(8 * 1024);
    expect(sse.socketBytes).toBeLessThan(1024 + 200);
    await client.read();
    const got = payloads(client.received);
    // Everything up to congestion, then the latest progress of each run: far fewer than 4,000.
    expect(got.length).toBeLessThan(100);
    expect(got.filter((e) => e.name === 'metrics.appended').map((e) => e.payload.runId)).toHaveLength(20);
    const last = (runId: number) => got.filter((e) => e.name === 'run.progress' && e.payload.runId === runId).at(-1)!.payload.batch;
    expect(last(1)).toBe(1999);
    expect(last(2)).toBe(1999);
    // Order holds: each run's progress never goes back.
    for (const runId of [1, 2]) {
      const batches = got.filter((e) => e.name === 'run.progress' && e.payload.runId === runId).map((e) => e.payload.batch!);
      expect(batches).toEqual([...batches].sort((a, b) => a - b));
    }
    expect(sse.closed).toBe(false);
  });

  it('drops a client whose queue passes its limit, and frees what it held', () => {
    const client = slowClient();
    let dropped = 0;
    const sse = new SseClient(client.res, { limits: { maxQueuedBytes: 16 * 1024 }, onDrop: () => dropped++ });
    for (let step = 0; step < 10_000 && !sse.closed; step++) sse.send(appended(1, step));
    expect(dropped).toBe(1);
    expect(sse.closed).toBe(true);
    expect(client.isDestroyed()).toBe(true);
    expect(sse.queuedBytes).toBe(0);
    sse.send(appended(1, 0));
    expect(dropped).toBe(1);
  });

  it('keeps a reading client through a burst (a sweep queued: one event per run in one tick)', async () => {
    const client = slowClient();
    let dropped = 0;
    const sse = new SseClient(client.res, { onDrop: () => dropped++ });
    const updated = (runId: number) =>
      ({ name: 'run.updated', payload: { runId, status: 'queued', summary: [] } }) as unknown as KernelLabEvent;
    for (let runId = 1; runId <= 20_000; runId++) sse.send(updated(runId));
    expect(dropped).toBe(0);
    await client.read();
    const got = payloads(client.received);
    expect(got).toHaveLength(20_000);
    expect(got.map((e) => e.payload.runId)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
  });

  it('drops a client still full at three heartbeats in a row, and keeps one that drained between them', async () => {
    const stuck = slowClient();
    const slow = slowClient();
    let dropped = 0;
    const a = new SseClient(stuck.res, { onDrop: () => dropped++ });
    const b = new SseClient(slow.res, { onDrop: () => dropped++ });
    for (let step = 0; step < 50; step++) {
      a.send(appended(1, step));
      b.send(appended(1, step));
    }
    for (let beat = 0; beat < 2; beat++) {
      a.heartbeat();
      b.heartbeat();
      await slow.read();
    }
    expect(dropped).toBe(0);
    a.heartbeat();
    b.heartbeat();
    expect(a.closed).toBe(true);
    expect(b.closed).toBe(false);
    expect(dropped).toBe(1);
  });
});
