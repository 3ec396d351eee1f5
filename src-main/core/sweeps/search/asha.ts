/**
 * Asynchronous successive halving (Li et al. 2018, "A System for Massively Parallel Hyperparameter
 * Tuning"), as Optuna's `SuccessiveHalvingPruner`: rungs at epochs r·η^(s+k) for k = 0, 1, 2, …
 * (r = minEpochs, η = reductionFactor, s = minEarlyStoppingRate). A run reaching a rung is compared
 * with every run that reached the same rung before it, and goes on only while it is in their top
 * 1/η; with fewer than η runs at the rung it must be the best of them. Runs are never suspended,
 * so the decision is made at once, from the peers seen so far.
 */
import { coreText } from '../../contract/coreText.ts';
import { formatMetric, type PruneDecision, type Pruner } from './pruner.ts';
import type { Direction, Trial } from './space.ts';

export interface AshaOptions {
  minEpochs: number;
  reductionFactor: number;
  minEarlyStoppingRate: number;
}

/** The rung whose epoch `epoch` is, or null: rung k sits at minEpochs · η^(s + k). */
export function rungAt(epoch: number, options: AshaOptions): number | null {
  for (let k = 0; ; k++) {
    const at = rungEpoch(k, options);
    if (at === epoch) return k;
    if (at > epoch) return null;
  }
}

export function rungEpoch(rung: number, options: AshaOptions): number {
  return options.minEpochs * options.reductionFactor ** (options.minEarlyStoppingRate + rung);
}

/** The rung epochs up to `maxEpochs`: where a run of that length can be stopped. */
export function rungEpochs(maxEpochs: number, options: AshaOptions): number[] {
  const out: number[] = [];
  for (let k = 0; rungEpoch(k, options) <= maxEpochs; k++) out.push(rungEpoch(k, options));
  return out;
}

/**
 * Whether `value` goes on from a rung where `competing` (this run's value included) were seen:
 * it must be within the best ⌊n/η⌋ of them, or the best when n < η (Optuna's
 * _is_trial_promotable_to_next_rung).
 */
export function isPromotable(value: number, competing: readonly number[], reductionFactor: number, direction: Direction): boolean {
  const sorted = [...competing].sort((a, b) => a - b);
  const index = Math.max(0, Math.floor(sorted.length / reductionFactor) - 1);
  return direction === 'maximize' ? value >= sorted[sorted.length - 1 - index]! : value <= sorted[index]!;
}

export class AshaPruner implements Pruner {
  readonly options: AshaOptions;

  constructor(options: AshaOptions) {
    this.options = options;
  }

  decide(trial: Trial, epoch: number, peers: readonly Trial[], direction: Direction, metric: string): PruneDecision {
    const rung = rungAt(epoch, this.options);
    if (rung === null) return { prune: false };
    const value = trial.intermediate.get(epoch);
    if (value === undefined) return { prune: false };
    if (Number.isNaN(value))
      return {
        prune: true,
        epoch,
        rung,
        reason: `ASHA rung ${rung} (epoch ${epoch}): ${metric} is not a number`,
        reasonText: coreText('run_pruned_asha_nan', { rung, epoch, metric }),
      };
    const competing = [value];
    for (const peer of peers) {
      if (peer.number === trial.number) continue;
      const v = peer.intermediate.get(epoch);
      if (v !== undefined && !Number.isNaN(v)) competing.push(v);
    }
    if (isPromotable(value, competing, this.options.reductionFactor, direction)) return { prune: false };
    const keep = Math.max(1, Math.floor(competing.length / this.options.reductionFactor));
    const sorted = [...competing].sort((a, b) => (direction === 'maximize' ? b - a : a - b));
    const needed = sorted[keep - 1]!;
    return {
      prune: true,
      epoch,
      rung,
      reason:
        `ASHA rung ${rung} (epoch ${epoch}): ${metric} ${formatMetric(value)} is not in the best ${keep} of the ` +
        `${competing.length} runs that reached epoch ${epoch} (needs ${direction === 'maximize' ? '≥' : '≤'} ${formatMetric(needed)})`,
      reasonText: coreText(direction === 'maximize' ? 'run_pruned_asha_maximize' : 'run_pruned_asha', {
        rung,
        epoch,
        metric,
        value: formatMetric(value),
        keep,
        reached: competing.length,
        needed: formatMetric(needed),
      }),
    };
  }
}
