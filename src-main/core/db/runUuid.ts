/**
 * A new run's uuid: RFC 9562 version 7 (48 bits of unix milliseconds, then random bits), so the
 * runs queued together sit together in the `runs.uuid` index. Random (v4) uuids put each of a
 * sweep's 100,000 runs on a random page of that index, and every commit of a chunk rewrote
 * hundreds of its pages: about 1.5 s of the commits of queueing 100,000 runs (issue 12). The
 * random bits come from a pooled buffer: the `uuid` package's v7 asks the system for each one
 * (5–8 µs a call here, 0.6 s per 100,000). A uuid is an identity (exports and imports match runs
 * by it), never an order: ids order runs.
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(16 * 1024);
let used = pool.length;

export function newRunUuid(now: number = Date.now()): string {
  if (used + 10 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(now, 0, 6);
  pool.copy(bytes, 6, used, used + 10);
  used += 10;
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
