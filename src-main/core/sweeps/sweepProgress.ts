/**
 * Where a sweep stands, from its runs' counts (counted in SQL: a sweep of 10⁵ runs costs two
 * indexed queries, not 10⁵ rows), and the sweep status those counts decide.
 */
import type { RunStatus } from '../contract/runs.ts';
import { formatDuration, type Sweep, type SweepProgress } from '../contract/sweeps.ts';
import type { RunStore } from '../db/RunStore.ts';
import { sweepNotFound } from '../errors.ts';
import { coreText } from '../contract/coreText.ts';
import { plannedRuns, readPlan } from './searchDriver.ts';

/** "queueing 40,000 of 100,000 runs", with its coded form. */
export function queueingText(queued: number, total: number): Pick<SweepProgress, 'text' | 'textCode'> {
  return {
    text: `queueing ${queued.toLocaleString('en')} of ${total.toLocaleString('en')} runs`,
    textCode: coreText('sweep_progress_queueing', { queued, total }),
  };
}

/** "run 5 of 12, ETA 3 min 10 s" ("…, done" at the end; no ETA before a run has finished), with its coded form. */
export function runText(current: number, planned: number, etaSeconds: number | null): Pick<SweepProgress, 'text' | 'textCode'> {
  const head = `run ${current} of ${planned}`;
  if (etaSeconds === null) return { text: head, textCode: coreText('sweep_progress_run', { current, planned }) };
  if (etaSeconds === 0) return { text: `${head}, done`, textCode: coreText('sweep_progress_run_done', { current, planned }) };
  return {
    text: `${head}, ETA ${formatDuration(etaSeconds)}`,
    textCode: coreText('sweep_progress_run_eta', { current, planned, etaSeconds: Math.round(etaSeconds) }),
  };
}

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
 * run completed) or failed once every planned run is recorded. Paused and canceled sweeps keep
 * theirs (the user decided those), and pending ones (still being queued).
 */
export function updateSweepStatus(store: RunStore, sweepId: number): void {
  const sweep = store.getSweep(sweepId);
  if (!sweep || sweep.status === 'canceled' || sweep.status === 'pending' || sweep.status === 'paused') return;
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
  if (!sweep) throw sweepNotFound(sweepId);
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
    stored.queueing !== null && (sweep.status === 'pending' || sweep.status === 'paused')
      ? { queued: count('queued'), total: stored.trained ?? planned }
      : null;
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
    ...(queueing
      ? queueingText(queueing.queued, queueing.total)
      : // A sweep whose queueing failed after the start answered says so, not "run 1 of N".
        (stored.queueingFailed ?? runText(Math.max(current, Math.min(done + 1, planned)), planned, etaSeconds))),
    queueing,
  };
}
