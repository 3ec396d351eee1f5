/**
 * What a sweep preview says about its search (issue 18): for TPE, the first points it will try
 * (its startup draws are fixed by the sampler seed) and a time estimate from their cost; with a
 * pruner, how many epochs it expects to train instead of the full count and the time that saves.
 *
 * The pruning estimate is an expectation, not a promise: ASHA keeps 1/η of the runs at each rung
 * (so a run trains to rung k + 1 with probability η^-(k+1)); median stopping is assumed to stop
 * half the runs after its startup ones at their first check. How many really stop depends on the
 * learning curves.
 */
import type { PrunerSpec, SweepSpec } from '../contract/sweeps.ts';
import { pointSeconds, scheduleSeconds, type Throughput } from './estimate.ts';
import { buildPoint, resolveAxes } from './expand.ts';
import type { SweepPoint } from './pointRun.ts';
import { rungEpochs } from './search/asha.ts';
import type { Trial } from './search/space.ts';
import { directionOf, refusalOf, samplerOf } from './searchDriver.ts';

/** Epochs a run of `epochs` is expected to train under `pruner`; `index` is its order in the sweep. */
export function expectedEpochs(pruner: PrunerSpec, epochs: number, index: number): number {
  if (pruner.type === 'asha') {
    // Decisions happen at rungs before the last epoch (a run at its last epoch is complete).
    const rungs = rungEpochs(epochs - 1, pruner);
    if (rungs.length === 0) return epochs;
    const eta = pruner.reductionFactor;
    let expected = rungs[0]!;
    for (let k = 1; k < rungs.length; k++) expected += (rungs[k]! - rungs[k - 1]!) / eta ** k;
    return expected + (epochs - rungs.at(-1)!) / eta ** rungs.length;
  }
  const firstCheck = pruner.warmupEpochs + 1;
  if (index < pruner.startupTrials || firstCheck >= epochs) return epochs;
  return 0.5 * firstCheck + 0.5 * epochs;
}

export interface PruningEstimate {
  seconds: number;
  savedSeconds: number;
  trainedEpochs: number;
  expectedEpochs: number;
  assumption: string;
}

/** A trained point of a sweep as the pruning estimate sees it: its epochs and what it costs unpruned. */
export interface TrainedCost {
  epochs: number;
  seconds: number;
}

/** What a pruner is expected to save: `trained` in sweep order (a sweep plan's trained points). */
export function pruningEstimate(spec: SweepSpec, trained: readonly TrainedCost[], workers: number): PruningEstimate | null {
  const pruner = spec.pruner;
  if (!pruner) return null;
  const full = new Float64Array(trained.map((p) => p.seconds));
  const factors = trained.map((p, i) => expectedEpochs(pruner, p.epochs, i) / Math.max(1, p.epochs));
  const seconds = scheduleSeconds(
    full.map((s, i) => s * factors[i]!),
    workers,
  );
  const trainedEpochs = trained.reduce((a, p) => a + p.epochs, 0);
  const expected = trained.reduce((a, p, i) => a + p.epochs * factors[i]!, 0);
  return {
    seconds,
    savedSeconds: Math.max(0, scheduleSeconds(full, workers) - seconds),
    trainedEpochs,
    expectedEpochs: expected,
    assumption:
      pruner.type === 'asha'
        ? `ASHA keeps about 1 in ${pruner.reductionFactor} runs at each rung (epochs ${rungEpochs(trained.reduce((m, p) => Math.max(m, p.epochs), 1) - 1, pruner).join(', ') || 'none before the last'})`
        : `median stopping stops about half the runs after the first ${pruner.startupTrials} at their first check (epoch ${pruner.warmupEpochs + 1})`,
  };
}

/**
 * The first points a TPE sweep will train: its uniform startup draws, each proposed with the ones
 * before it still running, as the sweep itself proposes them to free workers.
 */
export function tpeFirstPoints(spec: SweepSpec, count: number): SweepPoint[] {
  const sampler = samplerOf(spec, directionOf(spec.optimize));
  const axes = resolveAxes(spec);
  const trials: Trial[] = [];
  const points: SweepPoint[] = [];
  for (let n = 0; points.length < count && n < count * 4; n++) {
    const proposal = sampler.propose(trials, (p) => refusalOf(buildPoint(spec, 0, p, 0, axes)));
    for (const bad of proposal.infeasible)
      trials.push({ number: trials.length, values: bad.point, state: 'infeasible', value: null, intermediate: new Map() });
    const index = trials.length;
    trials.push({ number: index, values: proposal.point, state: 'running', value: null, intermediate: new Map() });
    for (let repeat = 0; repeat < spec.repeats && points.length < count; repeat++)
      points.push(buildPoint(spec, index, proposal.point, repeat, axes));
  }
  return points;
}

/** TPE's estimate: its first points' mean cost for every trial. */
export function tpeSeconds(spec: SweepSpec, first: readonly SweepPoint[], throughput: Throughput, workers: number): number {
  if (first.length === 0) return 0;
  const mean = first.reduce((a, p) => a + pointSeconds(p, throughput), 0) / first.length;
  const runs = (spec.trials ?? first.length) * spec.repeats;
  const wall = (mean * runs) / Math.max(1, Math.min(workers, runs));
  return spec.timeBudgetMinutes === undefined ? wall : Math.min(wall, spec.timeBudgetMinutes * 60);
}
