/**
 * `auto` in practice (issue 16): while a page with a hardware GPU lends it and waits for a run,
 * this machine's worker processes leave it the runs that pin no backend, so the GPU gets them
 * first instead of racing the CPU for them. Bounded, so nothing starves: a page counts as waiting
 * only while it keeps asking (every few seconds, gpuLender.ts); and once it has waited a window,
 * only runs queued within the last window are left to it (an older run it did not take, it
 * cannot: the workers take it).
 *
 * In memory of the process that answers agent.claim; its scheduler reads it before each claim
 * (a `kernellab train` process claims its own runs and leaves nothing).
 */

/** How long a page counts as waiting after it last asked, and how long a run is left to it. */
export const gpuHostFirstMs = 10_000;

export class GpuHostsWaiting {
  readonly #windowMs: number;
  /** Pages that asked for an unpinned run and got none: since when they wait, and when they last asked. */
  readonly #waiting = new Map<string, { since: number; askedAt: number }>();

  constructor(windowMs: number = gpuHostFirstMs) {
    this.#windowMs = windowMs;
  }

  /** A page that takes unpinned runs (autoBackend's choice) asked for a run and got none: it has room. */
  asked(agentId: string, now: number): void {
    const before = this.#waiting.get(agentId);
    const since = before && now - before.askedAt <= this.#windowMs ? before.since : now;
    this.#waiting.set(agentId, { since, askedAt: now });
  }

  /** The page took a run, or stopped lending: it has no room. */
  busy(agentId: string): void {
    this.#waiting.delete(agentId);
  }

  /**
   * Runs that pin no backend and were queued (last touched) after this time are left for a
   * waiting page; null when no page waits. A page that has just made room gets every such run
   * first (0); one that has waited longer than the window only those queued since.
   */
  leaveUnpinnedQueuedAfter(now: number): number | null {
    let newest: number | null = null;
    for (const [agentId, waiting] of this.#waiting) {
      if (now - waiting.askedAt > this.#windowMs) this.#waiting.delete(agentId);
      else newest = Math.max(newest ?? waiting.since, waiting.since);
    }
    if (newest === null) return null;
    return now - newest < this.#windowMs ? 0 : now - this.#windowMs;
  }
}
