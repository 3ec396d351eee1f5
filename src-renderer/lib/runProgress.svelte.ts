import { SvelteMap } from 'svelte/reactivity';
import type { RunProgress } from '../../src-main/core/contract/runs.ts';
import { live } from './liveEvents.ts';

/**
 * The latest batch-level progress of every running run (the core sends it about four times a
 * second). One listener for the whole page; the runs table and the run view read from here.
 */
class RunProgressStore {
  readonly byRun = new SvelteMap<number, RunProgress>();
  #listening = false;

  /** Starts listening on first use, so a page that shows no run opens no event stream for it. */
  watch(): void {
    if (this.#listening) return;
    this.#listening = true;
    live.on('run.progress', (p) => this.byRun.set(p.runId, p));
    live.on('run.updated', (p) => {
      if (p.status !== 'running') this.byRun.delete(p.runId);
    });
  }

  /** 0…1 through the run's epochs, counting the batches of the current epoch. */
  fraction(runId: number): number | null {
    const p = this.byRun.get(runId);
    if (!p || p.epochs <= 0) return null;
    return Math.min(1, (p.epoch - 1 + p.batch / Math.max(1, p.batchesPerEpoch)) / p.epochs);
  }
}

export const runProgress = new RunProgressStore();
