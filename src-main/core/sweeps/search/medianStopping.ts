/**
 * The median stopping rule (Golovin et al. 2017, "Google Vizier"), as Optuna's `MedianPruner`: at
 * the end of an epoch a run stops when its best value so far is worse than the median of the
 * completed runs' values at that same epoch. Nothing is stopped before `startupTrials` runs have
 * completed, during the first `warmupEpochs` epochs, or between every `intervalEpochs`.
 */
import { coreText } from '../../contract/coreText.ts';
import { formatMetric, type PruneDecision, type Pruner } from './pruner.ts';
import { isBetter, type Direction, type Trial } from './space.ts';

export interface MedianOptions {
  startupTrials: number;
  warmupEpochs: number;
  intervalEpochs: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class MedianPruner implements Pruner {
  readonly options: MedianOptions;

  constructor(options: MedianOptions) {
    this.options = options;
  }

  decide(trial: Trial, epoch: number, peers: readonly Trial[], direction: Direction, metric: string): PruneDecision {
    const { startupTrials, warmupEpochs, intervalEpochs } = this.options;
    const completed = peers.filter((p) => p.state === 'complete' && p.number !== trial.number);
    if (completed.length === 0 || completed.length < startupTrials) return { prune: false };
    if (epoch <= warmupEpochs || (epoch - warmupEpochs - 1) % intervalEpochs !== 0) return { prune: false };
    let best: number | undefined;
    for (const [e, v] of trial.intermediate) {
      if (e > epoch || Number.isNaN(v)) continue;
      if (best === undefined || isBetter(v, best, direction)) best = v;
    }
    if (best === undefined)
      return {
        prune: true,
        epoch,
        rung: null,
        reason: `median stopping at epoch ${epoch}: ${metric} is not a number`,
        reasonText: coreText('run_pruned_median_nan', { epoch, metric }),
      };
    const atEpoch = completed.map((p) => p.intermediate.get(epoch)).filter((v): v is number => v !== undefined && !Number.isNaN(v));
    if (atEpoch.length === 0) return { prune: false };
    const m = median(atEpoch);
    if (!isBetter(m, best, direction)) return { prune: false };
    return {
      prune: true,
      epoch,
      rung: null,
      reason:
        `median stopping at epoch ${epoch}: best ${metric} so far ${formatMetric(best)} is ${direction === 'maximize' ? 'below' : 'above'} ` +
        `the median ${formatMetric(m)} of ${atEpoch.length} completed runs at epoch ${epoch}`,
      reasonText: coreText(direction === 'maximize' ? 'run_pruned_median_below' : 'run_pruned_median_above', {
        epoch,
        metric,
        best: formatMetric(best),
        median: formatMetric(m),
        completed: atEpoch.length,
      }),
    };
  }
}
