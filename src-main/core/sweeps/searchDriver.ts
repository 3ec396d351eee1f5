/**
 * The sweep's search while it runs (issue 18), for the scheduler: whether a run stops at the end
 * of an epoch (the pruner, from the sweep's other runs at the same epoch), the next points TPE
 * proposes from the finished ones while workers run, the time budget, and how many runs the sweep
 * still plans. The algorithms are in search/; this module turns runs into trials and back.
 *
 * What the sweep records about its search lives in its stored spec's `plan`: the points found
 * impossible (TPE learns them, so it never proposes them again, after a restart too), and whether
 * the budget is spent (`closed`).
 */
import { coreText, type CoreText } from '../contract/coreText.ts';
import { metricKind } from '../contract/metrics.ts';
import type { RunStatus } from '../contract/runs.ts';
import { SweepSpec, type Folding, type Optimize, type Sweep } from '../contract/sweeps.ts';
import type { ImpossiblePoint } from '../contract/sweepImportance.ts';
import { coded, KernelLabError } from '../errors.ts';
import type { NewRun, RunRecord, RunStore, SweepHead } from '../db/RunStore.ts';
import { buildPoint, resolveAxes, searchSpaceOf } from './expand.ts';
import type { SweepPoint } from './pointRun.ts';
import type { SweepRunInfo } from './folding.ts';
import { pointRun, sweepLabel } from './pointRun.ts';
import { AshaPruner } from './search/asha.ts';
import { MedianPruner } from './search/medianStopping.ts';
import type { PruneDecision, Pruner } from './search/pruner.ts';
import type { Direction, Point, Trial } from './search/space.ts';
import { TpeSampler, type Proposal, type Refusal } from './search/tpe.ts';

/** What a sweep stores about its plan, beside its spec. */
export interface SweepPlan {
  /** Runs the sweep plans (trained + derived); null for TPE with only a time budget. */
  planned: number | null;
  /** Points that cannot run, with why (TPE adds those it learns). */
  impossible: ImpossiblePoint[];
  folding: Folding;
  /** No more runs will start: the budget is spent (closedReason says which). */
  closed: boolean;
  closedReason?: string;
  /** Runs it trains (the rest of `planned` is derived by epoch folding). */
  trained?: number;
  /** All its impossible points; `impossible` lists the first 100. */
  impossibleCount?: number;
  /** While sweeps.start is still queueing it: the process doing so (`host:pid`); else null. */
  queueing: string | null;
  /** While it is being queued: the index of the first point not yet queued (a restart resumes there). */
  next?: number | undefined;
  /** Queueing failed after the start had answered: why, shown as the sweep's progress (sweepWriter.ts). */
  queueingFailed?: { text: string; textCode: CoreText } | undefined;
}

export function readPlan(sweep: Pick<Sweep, 'spec'>): SweepPlan {
  const plan = ((sweep.spec ?? {}) as { plan?: Partial<SweepPlan> }).plan ?? {};
  return {
    planned: plan.planned ?? null,
    impossible: plan.impossible ?? [],
    folding: plan.folding ?? { enabled: false, reason: '' },
    closed: plan.closed ?? false,
    ...(plan.closedReason === undefined ? {} : { closedReason: plan.closedReason }),
    ...(plan.trained === undefined ? {} : { trained: plan.trained }),
    ...(plan.impossibleCount === undefined ? {} : { impossibleCount: plan.impossibleCount }),
    queueing: typeof plan.queueing === 'string' ? plan.queueing : null,
    ...(typeof plan.next === 'number' && { next: plan.next }),
    ...(plan.queueingFailed !== undefined && { queueingFailed: plan.queueingFailed }),
  };
}

export interface SweepSearch {
  spec: SweepSpec;
  metric: string;
  direction: Direction;
  pruner: Pruner | null;
  /** When the time budget ends (ms), or null. */
  deadline: number | null;
}

/** The optimised metric's direction: the spec's, or the metric's own (accuracy up, loss down). */
export function directionOf(optimize: Optimize): Direction {
  if (optimize.direction) return optimize.direction;
  const { better } = metricKind(optimize.metric);
  if (better === null)
    throw coded(
      'invalid_input',
      `optimize.direction: ${optimize.metric} is not a metric KernelLab ranks; say whether to maximize or minimize it`,
      'error_sweep_direction_needed',
      { metric: optimize.metric },
      ['optimize.direction: required for this metric'],
    );
  return better === 'max' ? 'maximize' : 'minimize';
}

export function prunerOf(spec: SweepSpec): Pruner | null {
  const p = spec.pruner;
  if (!p) return null;
  return p.type === 'asha'
    ? new AshaPruner({ minEpochs: p.minEpochs, reductionFactor: p.reductionFactor, minEarlyStoppingRate: p.minEarlyStoppingRate })
    : new MedianPruner({ startupTrials: p.startupTrials, warmupEpochs: p.warmupEpochs, intervalEpochs: p.intervalEpochs });
}

const searches = new Map<string, SweepSearch | null>();

/** A sweep's search settings, from its stored spec (null for a spec this version cannot read). */
export function searchOf(sweep: Pick<Sweep, 'uuid' | 'spec' | 'createdAt'>): SweepSearch | null {
  if (searches.has(sweep.uuid)) return searches.get(sweep.uuid)!;
  const { plan: _plan, ...stored } = (sweep.spec ?? {}) as Record<string, unknown>;
  const parsed = SweepSpec.safeParse(stored);
  let search: SweepSearch | null = null;
  if (parsed.success) {
    try {
      const spec = parsed.data;
      search = {
        spec,
        metric: spec.optimize.metric,
        direction: directionOf(spec.optimize),
        pruner: prunerOf(spec),
        deadline: spec.timeBudgetMinutes === undefined ? null : sweep.createdAt + spec.timeBudgetMinutes * 60_000,
      };
    } catch {
      search = null;
    }
  }
  searches.set(sweep.uuid, search);
  return search;
}

const valueOf = (v: number | null): number => (v === null ? Number.NaN : v);

function trialState(status: RunStatus): Trial['state'] {
  switch (status) {
    case 'completed':
      return 'complete';
    case 'queued':
    case 'running':
    case 'interrupted':
      return 'running';
    default:
      // Pruned, and runs that ended without a result: not complete, so the median rule never counts them.
      return 'pruned';
  }
}

/**
 * Whether `run` stops at the end of `epoch`: its sweep's pruner compares its metric there with
 * the sweep's other trained runs at the same epoch. A run at its last epoch is complete, never pruned.
 */
export function pruneDecision(store: RunStore, run: RunRecord, epoch: number, search: SweepSearch): PruneDecision {
  if (!search.pruner || run.sweepId === null || run.derivedFromRunId !== null) return { prune: false };
  const total = Number(run.hyperparameters.epochs);
  if (!Number.isFinite(total) || epoch >= total) return { prune: false };
  const own: Trial = {
    number: run.id,
    values: {},
    state: 'running',
    value: null,
    intermediate: new Map(store.runMetricByEpoch(run.id, search.metric).map((p) => [p.epoch, valueOf(p.value)])),
  };
  if (!own.intermediate.has(epoch)) return { prune: false };
  const peers: Trial[] = store
    .sweepMetricAtEpoch(run.sweepId, search.metric, epoch)
    .filter((p) => p.runId !== run.id)
    .map((p) => ({
      number: p.runId,
      values: {},
      state: trialState(p.status),
      value: null,
      intermediate: new Map([[epoch, valueOf(p.value)]]),
    }));
  return search.pruner.decide(own, epoch, [own, ...peers], search.direction, search.metric);
}

const isOpen = (r: RunRecord) =>
  r.derivedFromRunId === null && (r.status === 'queued' || r.status === 'running' || r.status === 'interrupted');

function infoOf(run: RunRecord): SweepRunInfo | undefined {
  const info = run.environment.sweep as SweepRunInfo | undefined;
  return info && typeof info === 'object' && typeof info.point === 'number' ? info : undefined;
}

/**
 * The sweep's points as trials: one per trained point (its repeats together: complete when all
 * are, valued by their mean at their last epoch; a diverged repeat counts as the worst value),
 * plus the points found impossible.
 */
export function trialsOf(store: RunStore, sweep: Pick<Sweep, 'id' | 'spec'>, metric: string, runs: readonly RunRecord[]): Trial[] {
  const series = new Map<number, Map<number, number>>();
  for (const p of store.sweepMetricSeries(sweep.id, metric)) {
    const m = series.get(p.runId) ?? new Map<number, number>();
    m.set(p.epoch, valueOf(p.value));
    series.set(p.runId, m);
  }
  const byPoint = new Map<number, { values: Point; runs: RunRecord[] }>();
  for (const run of runs) {
    const info = infoOf(run);
    if (!info || run.derivedFromRunId !== null) continue;
    const entry = byPoint.get(info.point) ?? { values: info.values, runs: [] };
    entry.runs.push(run);
    byPoint.set(info.point, entry);
  }
  const trials: Trial[] = [];
  for (const [number, { values, runs: group }] of byPoint) {
    const useful = group.filter((r) => r.status !== 'failed' && r.status !== 'canceled');
    if (useful.length === 0) continue;
    const states = useful.map((r) => (r.status === 'diverged' ? 'complete' : trialState(r.status)));
    const state: Trial['state'] = states.includes('running') ? 'running' : states.includes('pruned') ? 'pruned' : 'complete';
    const lastValue = (r: RunRecord) => {
      if (r.status === 'diverged') return Number.NaN;
      const s = series.get(r.id);
      if (!s || s.size === 0) return Number.NaN;
      return s.get(Math.max(...s.keys()))!;
    };
    const finals = useful.map(lastValue);
    const value =
      state === 'complete' ? (finals.some(Number.isNaN) ? Number.NaN : finals.reduce((a, b) => a + b, 0) / finals.length) : null;
    trials.push({ number, values, state, value, intermediate: series.get(useful[0]!.id) ?? new Map() });
  }
  for (const bad of readPlan(sweep).impossible)
    trials.push({ number: bad.index, values: bad.values, state: 'infeasible', value: null, intermediate: new Map() });
  return trials.sort((a, b) => a.number - b.number);
}

/** The sampler of a TPE sweep, seeded by its samplerSeed. */
export function samplerOf(spec: SweepSpec, direction: Direction): TpeSampler {
  return new TpeSampler(searchSpaceOf(spec), direction, { seed: spec.samplerSeed });
}

/** A built point's own error for the sampler: its English and its problems coded; null when it can run. */
export const refusalOf = (point: SweepPoint): Refusal | null =>
  point.error === null ? null : { error: point.error, errorCodes: point.errorCodes };

/** Proposes one TPE point after `trials`; the point (not yet indexed) and the impossible points met on the way. */
export function proposeOne(spec: SweepSpec, direction: Direction, trials: readonly Trial[]): Proposal {
  const axes = resolveAxes(spec);
  return samplerOf(spec, direction).propose(trials, (point) => refusalOf(buildPoint(spec, 0, point, 0, axes)));
}

/** The runs of a proposed point (one per repeat), with the impossible ones it met recorded in the plan. */
export function proposalRuns(
  spec: SweepSpec,
  proposal: Proposal,
  firstIndex: number,
  plan: SweepPlan,
  ids: { sweepId: number; experimentId: number | null },
): { plan: SweepPlan; runs: NewRun[]; index: number } {
  const axes = resolveAxes(spec);
  const impossible = proposal.infeasible.map((bad, i) => ({
    index: firstIndex + i,
    values: bad.point,
    error: bad.error,
    ...(bad.errorCodes && { errorCodes: bad.errorCodes }),
  }));
  const index = firstIndex + impossible.length;
  const label = sweepLabel(spec);
  const runs: NewRun[] = [];
  for (let repeat = 0; repeat < spec.repeats; repeat++) {
    const point: SweepPoint = buildPoint(spec, index, proposal.point, repeat, axes);
    runs.push(pointRun(spec, label, point, [], ids));
  }
  return { plan: { ...plan, impossible: [...plan.impossible, ...impossible] }, runs, index };
}

function closePlan(store: RunStore, sweepId: number, plan: SweepPlan, reason: string): void {
  store.setSweepPlan(sweepId, { ...plan, closed: true, closedReason: reason });
}

/**
 * Keeps a running sweep supplied: past its time budget its queued runs are canceled and nothing
 * new starts; a TPE sweep gets new points, proposed from every trial so far, until `limit` of its
 * runs are open or its trial budget is spent. Returns how many runs it queued, and whether it
 * closed the sweep's plan just now (no more runs will start).
 */
export function topUp(store: RunStore, sweep: SweepHead, search: SweepSearch, limit: number): { queued: number; closed: boolean } {
  const none = { queued: 0, closed: false };
  if (sweep.status !== 'running') return none;
  const plan = readPlan(sweep);
  if (plan.closed) return none;
  const { spec } = search;
  if (search.deadline !== null && Date.now() >= search.deadline) {
    const reason = `its time budget of ${spec.timeBudgetMinutes} min was spent`;
    for (const run of store.runsOfSweep(sweep.id)) {
      if (run.status !== 'queued' || run.derivedFromRunId !== null) continue;
      try {
        store.transition(run.id, 'canceled', {
          error: `not started: the sweep's ${reason}`,
          errorText: coreText('run_not_started_budget', { minutes: spec.timeBudgetMinutes! }),
        });
      } catch (error) {
        // Claimed by a worker meanwhile: it runs to its end.
        if (!(error instanceof KernelLabError && error.code === 'conflict')) throw error;
      }
    }
    closePlan(store, sweep.id, plan, reason);
    return { queued: 0, closed: true };
  }
  if (spec.method !== 'tpe') return none;
  let queued = 0;
  let closed = false;
  let current = plan;
  for (let guard = 0; guard < 64; guard++) {
    const runs = store.runsOfSweep(sweep.id);
    if (runs.filter(isOpen).length >= limit) break;
    const points = new Set(runs.map((r) => infoOf(r)?.point).filter((p) => p !== undefined));
    if (spec.trials !== undefined && points.size >= spec.trials) {
      closePlan(store, sweep.id, current, `all ${spec.trials} trials were proposed`);
      closed = true;
      break;
    }
    const last = Math.max(-1, ...points);
    const firstIndex = Math.max(last, ...current.impossible.map((i) => i.index)) + 1;
    let proposal: Proposal;
    try {
      proposal = proposeOne(spec, search.direction, trialsOf(store, sweep, search.metric, runs));
    } catch (error) {
      closePlan(store, sweep.id, current, error instanceof Error ? error.message : String(error));
      closed = true;
      break;
    }
    const next = proposalRuns(spec, proposal, firstIndex, current, { sweepId: sweep.id, experimentId: sweep.experimentId });
    const ids = store.appendSweepPoint(sweep.id, last, next.plan, next.runs);
    // Another process proposed this point first: read the sweep again.
    const fresh = store.getSweep(sweep.id);
    if (!fresh) break;
    current = readPlan(fresh);
    if (ids) queued += ids.length;
  }
  return { queued, closed };
}

/**
 * How many runs the sweep plans now: its stored plan, less the folded runs that pruned sources
 * (`prunedRuns`, the sweep's runs with status pruned) never reached; once its budget is spent, the
 * `recorded` runs it has.
 */
export function plannedRuns(sweep: Pick<Sweep, 'spec'>, prunedRuns: readonly RunRecord[], recorded: number): number {
  const plan = readPlan(sweep);
  if (plan.closed) return recorded;
  if (plan.planned === null) return recorded + 1;
  let unreached = 0;
  for (const run of prunedRuns) {
    if (run.status !== 'pruned' || !run.pruned) continue;
    const info = run.environment.sweep as SweepRunInfo | undefined;
    unreached += (info?.derived ?? []).filter((d) => d.epochs > run.pruned!.epoch).length;
  }
  return plan.planned - unreached;
}
