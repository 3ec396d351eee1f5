import type { RunRecord, RunStore } from '../db/RunStore.ts';
import { runNotFound } from '../errors.ts';
import type { EventBus } from '../events.ts';

const ended = new Set<RunRecord['status']>(['completed', 'failed', 'canceled', 'diverged', 'interrupted']);

/** A run has ended when it will not change again without someone acting on it (interrupted waits for a resume). */
export function hasEnded(run: Pick<RunRecord, 'status'>): boolean {
  return ended.has(run.status);
}

/**
 * Waits until a run ends, the timeout passes or `signal` aborts, and returns the run as it is then.
 * A run this process trains is seen ending at once (its run.updated event); one another process
 * trains on the same database is seen within `pollMs`.
 */
export function waitForRunEnd(
  store: RunStore,
  events: EventBus,
  runId: number,
  options: { timeoutMs: number; signal?: AbortSignal; pollMs?: number },
): Promise<RunRecord> {
  const current = (): RunRecord => {
    const run = store.getRun(runId);
    if (!run) throw runNotFound(runId);
    return run;
  };
  const first = current();
  if (hasEnded(first) || options.signal?.aborted) return Promise.resolve(first);
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void) => {
      clearInterval(poll);
      clearTimeout(deadline);
      unsubscribe();
      options.signal?.removeEventListener('abort', onAbort);
      settle();
    };
    const check = () => {
      try {
        const run = current();
        if (hasEnded(run)) finish(() => resolve(run));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    const onAbort = () => {
      try {
        const run = current();
        finish(() => resolve(run));
      } catch (error) {
        finish(() => reject(error));
      }
    };
    const unsubscribe = events.subscribe((event) => {
      if (event.name === 'run.updated' && event.payload.runId === runId && ended.has(event.payload.status)) check();
    });
    const poll = setInterval(check, options.pollMs ?? 1000);
    const deadline = setTimeout(onAbort, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
