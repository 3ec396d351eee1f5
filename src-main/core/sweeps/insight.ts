/**
 * What a sweep found (sweeps.importance, `kernellab sweep importance`): each axis's fANOVA
 * importance for a metric, each axis's marginal effect, the best value so far as runs finished,
 * and the search's own record (pruned runs, points proposed next, points found impossible).
 *
 * A run's value is the metric at its last epoch (derived runs included, so an epochs axis shows
 * what more epochs did). The forest is seeded by the sweep's samplerSeed: the same runs give the
 * same numbers. Results are kept per sweep until another run of it ends.
 */
import type { AxisValue } from '../contract/runs.ts';
import type { Sweep, SweepImportance } from '../contract/sweeps.ts';
import type { RunRecord, RunStore } from '../db/RunStore.ts';
import { sweepNotFound } from '../errors.ts';
import type { SweepRunInfo } from './folding.ts';
import { isBetter } from './search/space.ts';
import { fanovaImportance, type ImportanceFeature } from './search/importance.ts';
import { marginalEffect } from './search/marginal.ts';
import { directionOf, readPlan, searchOf } from './searchDriver.ts';

const cache = new Map<string, { key: string; result: SweepImportance }>();

function featureOf(
  name: string,
  declared: unknown,
  values: readonly AxisValue[],
): { feature: ImportanceFeature; encode: (v: AxisValue) => number } {
  const range =
    declared && typeof declared === 'object' && !Array.isArray(declared)
      ? (declared as { min: number; max: number; scale?: string })
      : null;
  const numbers = values.every((v) => typeof v === 'number');
  if (range || numbers) {
    const nums = values as number[];
    const low = range ? range.min : Math.min(...nums);
    const high = range ? range.max : Math.max(...nums);
    const log = range?.scale === 'log' && low > 0;
    return { feature: { name, kind: 'numeric', low, high, log }, encode: (v) => v as number };
  }
  const choices = [...new Set(values.map((v) => JSON.stringify(v)))];
  return { feature: { name, kind: 'categorical', choices: choices.length }, encode: (v) => choices.indexOf(JSON.stringify(v)) };
}

/** Each run's metric at its last recorded epoch (NaN and infinite values skipped). */
function lastValues(store: RunStore, sweepId: number, metric: string): Map<number, { epoch: number; value: number }> {
  const last = new Map<number, { epoch: number; value: number }>();
  for (const p of store.sweepMetricSeries(sweepId, metric)) {
    if (p.value === null || !Number.isFinite(p.value)) continue;
    const seen = last.get(p.runId);
    if (!seen || p.epoch >= seen.epoch) last.set(p.runId, { epoch: p.epoch, value: p.value });
  }
  return last;
}

/** The best value so far as trained runs ended, in the order they ended. */
function bestSoFarOf(
  runs: RunRecord[],
  last: Map<number, { value: number }>,
  direction: SweepImportance['direction'],
): SweepImportance['bestSoFar'] {
  const bestSoFar: SweepImportance['bestSoFar'] = [];
  let best: number | undefined;
  for (const r of runs
    .filter(
      (r) => r.derivedFromRunId === null && r.endedAt !== null && (r.status === 'completed' || r.status === 'pruned') && last.has(r.id),
    )
    .sort((a, b) => a.endedAt! - b.endedAt!)) {
    const value = last.get(r.id)!.value;
    // A pruned run stopped early: its value is not the configuration's, so it never sets the best.
    if (r.status === 'completed' && (best === undefined || isBetter(value, best, direction))) best = value;
    if (best !== undefined) bestSoFar.push({ runId: r.id, endedAt: r.endedAt!, value, best });
  }
  return bestSoFar;
}

export function sweepImportance(store: RunStore, sweep: Sweep, metricOverride?: string): SweepImportance {
  const search = searchOf(sweep);
  const spec = search?.spec;
  const metric = metricOverride ?? search?.metric ?? 'val_accuracy';
  const direction = metricOverride ? directionOf({ metric }) : (search?.direction ?? directionOf({ metric }));
  const runs = store.runsOfSweep(sweep.id);
  const finishedCount = runs.filter((r) => r.endedAt !== null).length;
  const key = JSON.stringify([metric, finishedCount, runs.length, sweep.status]);
  const cached = cache.get(`${sweep.uuid}:${metric}`);
  if (cached?.key === key) return cached.result;

  const last = lastValues(store, sweep.id, metric);
  const infoOf = (r: RunRecord) => r.environment.sweep as SweepRunInfo | undefined;
  const trials = runs.filter((r) => r.status === 'completed' && last.has(r.id) && infoOf(r)?.values);
  const axisNames = spec ? Object.keys(spec.axes) : [...new Set(trials.flatMap((r) => Object.keys(infoOf(r)!.values)))];
  const axes = axisNames.filter((name) => trials.some((r) => infoOf(r)!.values[name] !== undefined));

  let importance: SweepImportance['axes'] = axes.map((name) => ({ name, importance: 0, std: 0 }));
  let note: string | null = null;
  const usable = trials.filter((r) => axes.every((a) => infoOf(r)!.values[a] !== undefined));
  if (axes.length === 0) note = 'the sweep has no axes to compare';
  else if (usable.length < 3) note = `importance needs at least 3 completed runs with ${metric}; this sweep has ${usable.length}`;
  else {
    const features = axes.map((name) =>
      featureOf(
        name,
        spec?.axes[name],
        usable.map((r) => infoOf(r)!.values[name]!),
      ),
    );
    importance = fanovaImportance({
      features: features.map((f) => f.feature),
      rows: usable.map((r) => features.map((f, i) => f.encode(infoOf(r)!.values[axes[i]!]!))),
      target: usable.map((r) => last.get(r.id)!.value),
      seed: spec?.samplerSeed ?? 0,
    });
    if (importance.every((a) => a.importance === 0)) note = `${metric} is the same in every completed run: no axis explains anything`;
  }
  const marginals = axes.map((name) => {
    const declared = spec?.axes[name];
    const log = !!declared && !Array.isArray(declared) && (declared as { scale?: string }).scale === 'log';
    return marginalEffect({
      axis: name,
      log,
      observations: trials
        .filter((r) => infoOf(r)!.values[name] !== undefined)
        .map((r) => ({ value: infoOf(r)!.values[name]!, metric: last.get(r.id)!.value, runId: r.id })),
    });
  });
  const bestSoFar = bestSoFarOf(runs, last, direction);
  const result: SweepImportance = {
    sweepId: sweep.id,
    metric,
    direction,
    trials: usable.length,
    axes: importance,
    note,
    marginals,
    bestSoFar,
    pruned: runs
      .filter((r) => r.status === 'pruned' && r.pruned)
      .map((r) => ({ runId: r.id, values: infoOf(r)?.values ?? {}, epoch: r.pruned!.epoch, rung: r.pruned!.rung, reason: r.error ?? '' })),
    proposed: runs
      .filter((r) => r.status === 'queued' && r.derivedFromRunId === null)
      .map((r) => ({ runId: r.id, values: infoOf(r)?.values ?? {} })),
    impossible: readPlan(sweep).impossible,
  };
  cache.set(`${sweep.uuid}:${metric}`, { key, result });
  return result;
}

export function requireSweep(store: RunStore, id: number): Sweep {
  const sweep = store.getSweep(id);
  if (!sweep) throw sweepNotFound(id);
  return sweep;
}
