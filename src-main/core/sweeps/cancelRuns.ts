import type { RunStore } from '../db/RunStore.ts';
import { bulkChunk } from './queueing.ts';

/** While a sweep is canceled a chunk at a time, its progress is told this often at most (ms). */
const cancelProgressEveryMs = 250;

/**
 * Cancels a sweep's queued and interrupted runs a chunk at a time, yielding between chunks, and
 * returns how many. Progress (`onProgress`) counts the sweep's runs in SQL, tens of ms at 100,000:
 * told a few times a second, not once per chunk (issue 12).
 */
export async function cancelOpenRuns(store: RunStore, sweepId: number, onProgress: () => void): Promise<number> {
  let canceled = 0;
  let progressAt = performance.now();
  for (let n = store.cancelOpenRuns(sweepId, bulkChunk); n > 0; n = store.cancelOpenRuns(sweepId, bulkChunk)) {
    canceled += n;
    if (performance.now() - progressAt >= cancelProgressEveryMs) {
      onProgress();
      progressAt = performance.now();
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
  return canceled;
}
