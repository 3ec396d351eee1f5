/**
 * Where a sweep stands, from its runs' counts (counted in SQL: a sweep of 10⁵ runs costs two
 * indexed queries, not 10⁵ rows), and the sweep status those counts decide.
 */
import type { RunStatus } from '../contract/runs.ts';
import { formatDuration, type Sweep, type SweepProgress } from '../contract/sweeps.ts';
import type { RunStore } from '../db/RunStore.ts';
import { KernelLabError } from '../errors.ts';
import { plannedRuns, readPlan } from './searchDriver.ts';

const finished = new Set<RunStatus>(['completed', 'failed', 'canceled', 'diverged', 'pruned']);

/**
 * How many runs a sweep plans now (plannedRuns), read without loading its runs: only its pruned
 * ones, which are few, say which folded runs were never reached.
 */
function plannedNow(store: RunStore, sweep: Sweep, recorded: number): number {
  return plannedRuns(sweep, store.runsWithStatus('pruned', sweep.id), recorded);
}

/**
 * A sweep's status after its runs changed: running while any run is open, then completed (some
 * run completed) or failed once every planned run is recorded. Pending and canceled sweeps keep
 * theirs: the user decided those.
 */
export function updateSweepStatus(store: RunStore, sweepId: number): void {
  const sweep = store.getSweep(sweepId);
  if (!sweep || sweep.status === 'canceled' || sweep.status === 'pending') return;
  const counts = sweep.runCounts;
  const open = (counts.queued ?? 0) + (counts.running ?? 0) + (counts.interrupted ?? 0);
  if (open > 0) {
    if (sweep.status !== 'running') store.setSweepStatus(sweepId, 'running');
    return;
  }
  const recorded = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
  if (recorded < plannedNow(store, sweep, recorded)) return;
  const status = (counts.completed ?? 0) > 0 ? 'completed' : 'failed';
  if (sweep.status !== status) store.setSweepStatus(sweepId, status);
}

/** Where a sweep stands; the ETA assumes `workers` runs train at once. */
export function sweepProgress(store: RunStore, sweepId: number, workers: number): SweepProgress {
  const sweep = store.getSweep(sweepId);
  if (!sweep) throw new KernelLabError('not_found', `Sweep ${sweepId} does not exist`);
  const stats = store.sweepStats(sweepId);
  const count = (s: RunStatus) => stats.counts[s] ?? 0;
  const recorded = Object.values(stats.counts).reduce((a, b) => a + (b ?? 0), 0);
  const planned = plannedNow(store, sweep, recorded);
  const stored = readPlan(sweep);
  const done = [...finished].reduce((a, s) => a + count(s), 0);
  let etaSeconds: number | null = null;
  if (stats.open === 0) etaSeconds = 0;
  else if (stats.trained > 0) {
    const mean = stats.trainedMs / stats.trained;
    const atOnce = Math.max(1, Math.min(workers, stats.open));
    const runningElapsed = stats.runningSince.reduce((a, since) => a + Math.min(mean, Date.now() - since), 0);
    etaSeconds = Math.max(0, (stats.open * mean - runningElapsed) / atOnce / 1000);
  }
  const current = Math.min(planned, done + count('running'));
  const queueing =
    stored.queueing !== null && sweep.status === 'pending' ? { queued: count('queued'), total: stored.trained ?? planned } : null;
  return {
    sweepId,
    status: sweep.status,
    planned,
    impossible: stored.impossibleCount ?? stored.impossible.length,
    done,
    completed: count('completed'),
    failed: count('failed') + count('diverged'),
    canceled: count('canceled'),
    running: count('running'),
    queued: count('queued'),
    interrupted: count('interrupted'),
    pruned: count('pruned'),
    derived: stats.derived,
    etaSeconds: queueing ? null : etaSeconds,
    text: queueing
      ? `queueing ${queueing.queued.toLocaleString('en')} of ${queueing.total.toLocaleString('en')} runs`
      : `run ${Math.max(current, Math.min(done + 1, planned))} of ${planned}` +
        (etaSeconds === null ? '' : etaSeconds === 0 ? ', done' : `, ETA ${formatDuration(etaSeconds)}`),
    queueing,
  };
}
