/**
 * Epoch folding, the recording side: when a trained sweep run completes, each shorter point that
 * was folded into it becomes a derived run (derived_from_run_id, derived_epochs) holding the
 * source's metrics up to its epoch count and the source's test evaluation taken right after that
 * epoch. The worker is asked for those evaluations with `evaluateAtEpochs`; they are stored on the
 * source run under the split `test@<epoch>` (see intermediateSplit).
 *
 * Recording is idempotent: a derived run already completed is left alone, one left half-written by
 * a crash is completed again, so `sweeps.resume` can always call it.
 */
import { coreText } from '../contract/coreText.ts';
import { decodeMetricValue, type AxisValue, type RunStatus } from '../contract/runs.ts';
import type { MetricPointInput, RunRecord, RunStore } from '../db/RunStore.ts';

/** What the sweep recorded on a run (in its environment, under `sweep`) when it was queued. */
export interface SweepRunInfo {
  point: number;
  values: Record<string, AxisValue>;
  repeat: number;
  /** Subset in images per class, as the worker takes it. */
  subset: { trainPerClass?: number; testPerClass?: number };
  evaluateAtEpochs: number[];
  derived: { point: number; epochs: number; name: string; values: Record<string, AxisValue> }[];
}

export function intermediateSplit(epoch: number): string {
  return `test@${epoch}`;
}

export function readSweepPlan(_store: RunStore, run: RunRecord): SweepRunInfo | undefined {
  const info = run.environment.sweep as SweepRunInfo | undefined;
  return info && typeof info === 'object' && Array.isArray(info.derived) ? info : undefined;
}

/**
 * Records the derived runs of a finished source run. A source that did not complete (failed,
 * canceled, diverged) leaves its derived points failed with the reason, so the sweep still counts
 * every point. A source its sweep's pruner stopped after epoch E gives the points it reached
 * (epochs ≤ E) as usual; the ones it never reached are not created (the sweep plans without them).
 */
export function materializeDerived(store: RunStore, source: RunRecord, info: SweepRunInfo): RunRecord[] {
  const out: RunRecord[] = [];
  if (source.status === 'queued' || source.status === 'running' || source.status === 'interrupted') return out;
  const reachedUpTo = source.status === 'completed' ? Infinity : source.status === 'pruned' && source.pruned ? source.pruned.epoch : 0;
  const detail = reachedUpTo > 0 ? store.runDetail(source.id) : undefined;
  const series = reachedUpTo > 0 ? store.metricSeries(source.id).series : {};
  for (const d of info.derived) {
    if (source.status === 'pruned' && d.epochs > reachedUpTo) continue;
    const existing = store.derivedRun(source.id, d.epochs);
    if (existing?.status === 'completed' || (existing && reachedUpTo === 0 && existing.status === 'failed')) {
      out.push(existing);
      continue;
    }
    // Being recorded right now by another live process: leave it to that one.
    if (existing?.status === 'running' && existing.workerOwner !== store.owner && (existing.leaseExpiresAt ?? 0) > Date.now()) {
      out.push(existing);
      continue;
    }
    // One left half-written by a crash (interrupted after restart) is recorded again from scratch,
    // never through 'queued', where another process's scheduler could claim it as a training run.
    if (existing) store.deleteRun(existing.id);
    const run = createDerived(store, source, info, d);
    if (reachedUpTo === 0 || !detail) {
      out.push(
        store.transition(run.id, 'failed', {
          error: `its source run ${source.id} ended ${source.status}`,
          errorText: coreText('run_source_ended', { id: source.id, status: source.status }),
        }),
      );
      continue;
    }
    const evaluation = detail.evaluations.find((e) => e.split === intermediateSplit(d.epochs));
    const points = derivedPoints(run.id, series, d.epochs, evaluation);
    for (let i = 0; i < points.length; i += 5000) store.logBatch(points.slice(i, i + 5000));
    copyCheckpoints(store, detail, run.id, d.epochs);
    if (!evaluation) {
      out.push(
        store.transition(run.id, 'failed', {
          error: `source run ${source.id} has no test evaluation after epoch ${d.epochs}; train this point separately (fold: false)`,
          errorText: coreText('run_source_no_test', { id: source.id, epochs: d.epochs }),
        }),
      );
      continue;
    }
    store.addEvaluation(run.id, {
      split: 'test',
      loss: evaluation.loss === null ? null : decodeMetricValue(evaluation.loss),
      accuracy: evaluation.accuracy === null ? null : decodeMetricValue(evaluation.accuracy),
      confusion: evaluation.confusion,
      perClass: evaluation.perClass,
      mostWrong: evaluation.mostWrong,
    });
    const completed = store.transition(run.id, 'completed' satisfies RunStatus);
    const reached = Math.max(0, ...points.filter((p) => p.epoch === d.epochs && p.wallMs !== undefined).map((p) => p.wallMs!));
    if (source.startedAt !== null && reached > source.startedAt) store.setRunTimes(run.id, source.startedAt, reached);
    out.push(store.getRun(completed.id)!);
  }
  return out;
}

type Derived = SweepRunInfo['derived'][number];
type SourceDetail = NonNullable<ReturnType<RunStore['runDetail']>>;
type SourceSeries = ReturnType<RunStore['metricSeries']>['series'];

/** The derived run's record, 'running' while it is written (never 'queued', where a scheduler could claim it). */
function createDerived(store: RunStore, source: RunRecord, info: SweepRunInfo, d: Derived): RunRecord {
  const environment: Record<string, unknown> = {
    ...source.environment,
    sweep: { ...info, point: d.point, values: d.values, evaluateAtEpochs: [], derived: [] },
  };
  delete environment.resumeFromCheckpoint;
  return store.createRun({
    name: d.name,
    experimentId: source.experimentId,
    sweepId: source.sweepId,
    derivedFromRunId: source.id,
    derivedEpochs: d.epochs,
    status: 'running',
    modelSpec: source.modelSpec,
    dataset: source.dataset,
    backend: source.backend,
    device: source.device,
    seed: source.seed,
    hyperparameters: { ...source.hyperparameters, epochs: d.epochs },
    environment,
    priority: source.priority,
  });
}

/** The source's points up to `epochs` (its own test metrics left out), then the intermediate evaluation's as test metrics. */
function derivedPoints(
  runId: number,
  series: SourceSeries,
  epochs: number,
  evaluation: SourceDetail['evaluations'][number] | undefined,
): MetricPointInput[] {
  const points: MetricPointInput[] = [];
  for (const [key, list] of Object.entries(series)) {
    for (const p of list) {
      if (p.epoch <= epochs && !key.startsWith('test')) {
        points.push({ runId, key, step: p.step, epoch: p.epoch, wallMs: p.wallMs, value: decodeMetricValue(p.value) });
      }
    }
  }
  if (evaluation) {
    const step = Math.max(0, ...points.filter((p) => p.epoch === epochs).map((p) => p.step));
    for (const key of ['loss', 'accuracy'] as const) {
      const value = evaluation[key];
      if (value !== null && Object.hasOwn(series, `test_${key}`))
        points.push({ runId, key: `test_${key}`, step, epoch: epochs, value: decodeMetricValue(value) });
    }
  }
  return points;
}

/**
 * The source's checkpoints at this run's last epoch, and its per-epoch weight snapshots before it
 * (never overwritten): the filters' epoch slider of a folded run spans its own epochs.
 */
function copyCheckpoints(store: RunStore, detail: SourceDetail, runId: number, epochs: number): void {
  for (const c of detail.checkpoints.filter((c) => c.epoch === epochs || (c.kind === 'epoch' && c.epoch < epochs))) {
    store.addCheckpoint(runId, {
      epoch: c.epoch,
      kind: c.kind === 'best' ? 'best' : 'epoch',
      path: c.path,
      bytes: c.bytes,
      sha256: c.sha256,
      metric: c.metric,
      value: c.value === null ? null : decodeMetricValue(c.value),
    });
  }
}

/** Each sweep run's folding plan, read once per run (the scheduler asks at every claim and every end). */
export class FoldingPlans {
  readonly #store: RunStore;
  readonly #plans = new Map<number, SweepRunInfo>();

  constructor(store: RunStore) {
    this.#store = store;
  }

  of(run: RunRecord): SweepRunInfo | undefined {
    if (run.sweepId === null) return undefined;
    let cached = this.#plans.get(run.id);
    if (!cached) {
      cached = readSweepPlan(this.#store, run);
      if (cached) this.#plans.set(run.id, cached);
    }
    return cached;
  }

  /**
   * What an execution of a claimed run must do besides training it: resume from its checkpoint
   * (an interrupted run queued again), from which epoch the store has its metrics, and which
   * epoch-folding evaluations are still missing. The same for every executor, here or remote.
   */
  executionPlan(run: RunRecord): { resume: boolean; recordedEpochs: number; evaluateAtEpochs: number[] } {
    const info = this.of(run);
    const resume = run.environment.resumeFromCheckpoint === true;
    const recorded = resume ? this.#store.runDetail(run.id) : null;
    return {
      resume,
      recordedEpochs: recorded?.summary.find((m) => m.key === 'loss')?.lastStep ?? 0,
      // Only the folding evaluations not yet recorded (a resumed run has some already).
      evaluateAtEpochs: (info?.evaluateAtEpochs ?? []).filter((e) => !recorded?.evaluations.some((x) => x.split === intermediateSplit(e))),
    };
  }

  /** Records the runs folded into this trained run from its epochs, if any were. */
  recordDerived(source: RunRecord): void {
    const info = this.of(source);
    if (info && info.derived.length > 0) materializeDerived(this.#store, source, info);
  }

  /** A completed (or pruned) source of the sweep whose derived runs were not all recorded (a crash in between) is finished here. */
  finishSweep(sweepId: number): void {
    for (const run of this.#store.runsOfSweep(sweepId)) {
      if ((run.status !== 'completed' && run.status !== 'pruned') || run.derivedFromRunId !== null) continue;
      this.recordDerived(run);
    }
  }
}
