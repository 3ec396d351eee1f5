import type { MethodInput } from '../../src-main/core/contract/index.ts';
import type { EpochMetric } from '../../src-main/core/contract/sweeps.ts';
import { allOf } from './contractLists.ts';

type SweepSpecInput = MethodInput<'sweeps.start'>['spec'];

/** Metrics the search can optimise (the pruner needs one every epoch records). */
export const optimizableMetrics = allOf<EpochMetric>()(['val_accuracy', 'val_loss', 'accuracy', 'loss']);

/**
 * How a new sweep searches, as the new-sweep form edits it: method (grid, random, TPE), trial
 * count, time budget, pruner and the metric optimised. `fields()` is the part of the sweep spec
 * it owns; the schema checks it on preview like the rest of the spec.
 */
export class SearchSettings {
  method = $state<'grid' | 'random' | 'tpe'>('grid');
  trials = $state<number | ''>(20);
  timeBudgetMinutes = $state<number | ''>('');
  pruner = $state<'none' | 'median' | 'asha'>('none');
  ashaMinEpochs = $state<number | ''>(1);
  ashaReductionFactor = $state<number | ''>(3);
  medianStartupTrials = $state<number | ''>(5);
  medianWarmupEpochs = $state<number | ''>(0);
  metric = $state<EpochMetric>('val_accuracy');
  samplerSeed = $state<number | ''>(0);

  fields(): Pick<SweepSpecInput, 'method' | 'trials' | 'timeBudgetMinutes' | 'pruner' | 'optimize' | 'samplerSeed'> {
    const num = (v: number | '') => (v === '' ? undefined : v);
    return {
      method: this.method,
      ...(this.method !== 'grid' && num(this.trials) !== undefined ? { trials: num(this.trials) } : {}),
      ...(num(this.timeBudgetMinutes) !== undefined ? { timeBudgetMinutes: num(this.timeBudgetMinutes) } : {}),
      ...(this.method !== 'grid' && num(this.samplerSeed) !== undefined ? { samplerSeed: num(this.samplerSeed) } : {}),
      optimize: { metric: this.metric },
      ...(this.pruner === 'asha'
        ? { pruner: { type: 'asha', minEpochs: num(this.ashaMinEpochs) ?? 1, reductionFactor: num(this.ashaReductionFactor) ?? 3 } }
        : this.pruner === 'median'
          ? {
              pruner: {
                type: 'median',
                startupTrials: num(this.medianStartupTrials) ?? 5,
                warmupEpochs: num(this.medianWarmupEpochs) ?? 0,
              },
            }
          : {}),
    };
  }
}
