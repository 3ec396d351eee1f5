/**
 * What a pruner decides at the end of an epoch: keep training, or stop the run as `pruned` with a
 * sentence that says why and the rung it stopped at. The sweep driver asks at every epoch end of
 * a sweep run except its last (a run at its last epoch is complete, never pruned).
 */
import type { CoreText } from '../../contract/coreText.ts';
import type { Direction, Trial } from './space.ts';

export type PruneDecision =
  | { prune: false }
  | {
      prune: true;
      /** The epoch whose metric decided it. */
      epoch: number;
      /** ASHA: the rung (0 for the first); median stopping: null. */
      rung: number | null;
      reason: string;
      /** `reason`'s coded form (contract/coreText.ts), stored beside it so the page says it in its language. */
      reasonText: CoreText;
    };

export interface Pruner {
  /**
   * Whether `trial` stops at the end of `epoch`, given its peers (every other trial of the sweep,
   * running, pruned or complete, with the metric at each epoch it reached).
   */
  decide(trial: Trial, epoch: number, peers: readonly Trial[], direction: Direction, metric: string): PruneDecision;
}

export function formatMetric(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
