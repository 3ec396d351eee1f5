import type { SweepImportance } from '../../src-main/core/contract/sweeps.ts';
import { call } from './api.ts';

/** A sweep's importance, marginal effects and search record (sweeps.importance), reloaded as runs end. */
export class SweepInsight {
  readonly id: number;
  result = $state.raw<SweepImportance | undefined>();
  error = $state<unknown>();
  #ticket = 0;

  constructor(id: number) {
    this.id = id;
  }

  async load(metric: string | undefined): Promise<void> {
    const ticket = ++this.#ticket;
    try {
      const result = await call('sweeps.importance', { id: this.id, ...(metric ? { metric } : {}) });
      if (ticket !== this.#ticket) return;
      this.result = result;
      this.error = undefined;
    } catch (error) {
      if (ticket !== this.#ticket) return;
      this.error = error;
    }
  }
}
