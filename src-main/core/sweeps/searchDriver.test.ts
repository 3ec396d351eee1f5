/**
 * The sweep search inside the scheduler: ASHA and median stopping end runs as `pruned` at an
 * epoch's end (through settle), composing with epoch folding; TPE proposes points while runs
 * train, learns impossible points, stops at its trial budget; a time budget stops new starts.
 *
 * The executor here reports epochs of a known learning curve (a function of the point's values)
 * on a timer, so each decision can be checked against the curve; the real-training proof is in
 * search.slow.test.ts.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTextOf, problemsOf } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { RunStore, type RunRecord } from '../db/RunStore.ts';
import { EventBus } from '../events.ts';
import type { Executor, RunEvent, RunJob, RunOutcome } from './execution.ts';
import type { SweepRunInfo } from './folding.ts';
import { previewSweep, queueSweep } from './queueing.ts';
import { expectedEpochs } from './searchPreview.ts';
import { Scheduler } from './scheduler.ts';
import { proposalRuns, proposeOne, readPlan } from './searchDriver.ts';
import { tinySweep } from './sweepFixture.ts';
import { parseSweepSpec } from './sweepSpec.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
let scheduler: Scheduler | undefined;

beforeEach(() => {
  temp = makeTempDir('kernellab-search-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(async () => {
  await scheduler?.close();
  scheduler = undefined;
  store.close();
  temp.cleanup();
});

type Curve = (values: Record<string, unknown>, epoch: number) => number;

/** Trains nothing: reports each epoch of `curve` every `epochMs`, the folding evaluations, and the end. */
function curveExecutor(curve: Curve, epochMs: number, log: { epochs: number; jobs: RunJob[] }): Executor {
  return {
    start: (job: RunJob, emit: (event: RunEvent) => void) => {
      log.jobs.push(job);
      const info = job.run.environment.sweep as SweepRunInfo;
      const epochs = Number(job.run.hyperparameters.epochs);
      let stopped = false;
      const outcome = new Promise<RunOutcome>((resolve) => {
        emit({ type: 'started', backend: 'cpu', device: 'test curve' });
        let epoch = 0;
        const step = () => {
          if (stopped) return resolve({ kind: 'canceled' });
          epoch++;
          log.epochs++;
          const value = curve(info.values, epoch);
          emit({ type: 'epoch', epoch, values: { loss: 1 - value, val_accuracy: value } });
          const evaluation = { loss: 1 - value, accuracy: value, confusion: [[1]], perClass: [] };
          if (job.evaluateAtEpochs.includes(epoch)) emit({ type: 'evaluation', epoch, evaluation });
          if (epoch === epochs) {
            emit({ type: 'evaluation', epoch: null, evaluation });
            return resolve({ kind: 'completed' });
          }
          setTimeout(step, epochMs);
        };
        setTimeout(step, epochMs);
      });
      return { outcome, stop: () => (stopped = true) };
    },
  };
}

function start(executor: Executor, workers: number): Scheduler {
  const s = new Scheduler({ store, events: new EventBus(), executor, concurrency: { wasm: workers }, pollMs: 30, maxWorkers: 8 });
  s.start();
  return s;
}

async function until(what: string, fn: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const finishedSweep = (id: number) => ['completed', 'failed'].includes(store.getSweep(id)!.status);
const info = (run: RunRecord) => run.environment.sweep as SweepRunInfo;

describe('pruning in a sweep', () => {
  it('stops poor runs at ASHA rungs as pruned, keeps their metrics and the folded runs they reached, and skips the ones they never reached', async () => {
    // Quality by learning rate; the curve rises with epochs, so rung values rank like final ones.
    const quality: Record<number, number> = { 0.001: 0.5, 0.003: 0.6, 0.01: 0.9, 0.03: 0.8, 0.1: 0.3, 0.3: 0.2 };
    const curve: Curve = (v, epoch) => quality[v.learningRate as number]! * (1 - 0.5 ** epoch);
    const spec = parseSweepSpec(
      tinySweep({
        axes: { learningRate: [0.001, 0.003, 0.01, 0.03, 0.1, 0.3], epochs: [1, 2, 3, 4, 5, 6, 7, 8, 9] },
        pruner: { type: 'asha', minEpochs: 1, reductionFactor: 3 },
      }),
    );
    const started = await queueSweep(store, spec);
    expect(started).toMatchObject({ queued: 6, derived: 48 });
    const log = { epochs: 0, jobs: [] as RunJob[] };
    scheduler = start(curveExecutor(curve, 15, log), 1);
    await until('the sweep to finish', () => finishedSweep(started.sweepId));

    const runs = store.runsOfSweep(started.sweepId);
    const sources = runs.filter((r) => r.derivedFromRunId === null);
    const pruned = sources.filter((r) => r.status === 'pruned');
    expect(pruned.length).toBeGreaterThanOrEqual(3);
    for (const run of pruned) {
      expect([1, 3]).toContain(run.pruned!.epoch);
      expect(run.pruned!.rung).toBe(run.pruned!.epoch === 1 ? 0 : 1);
      expect(run.error).toMatch(/^ASHA rung \d \(epoch \d\): val_accuracy .* is not in the best/);
      // Stored with its code (migration 0014): the page says it in Korean, the metric's name as it is.
      expect(run.errorCode).toMatchObject({
        code: 'run_pruned_asha_maximize',
        params: { metric: 'val_accuracy', epoch: run.pruned!.epoch },
      });
      expect(coreTextOf(run.errorCode, run.error!, 'ko')).toMatch(
        /^ASHA 단계 \d\(에폭 \d\): val_accuracy .*상위 \d+개에 들지 못했습니다\(.* 이상이어야 함\)$/,
      );
      // Its metrics stay, up to the epoch it stopped at.
      expect(store.runMetricByEpoch(run.id, 'val_accuracy').map((p) => p.epoch)).toEqual(
        Array.from({ length: run.pruned!.epoch }, (_, i) => i + 1),
      );
      // Folded points it reached are recorded completed; those it never reached are not created.
      const children = runs.filter((r) => r.derivedFromRunId === run.id);
      expect(children.map((c) => c.derivedEpochs).sort()).toEqual(
        Array.from({ length: run.pruned!.epoch }, (_, i) => i + 1).filter((e) => e < 9),
      );
      expect(children.every((c) => c.status === 'completed')).toBe(true);
    }
    // The best learning rate is never pruned.
    const best = sources.find((r) => info(r).values.learningRate === 0.01)!;
    expect(best.status).toBe('completed');
    expect(runs.filter((r) => r.derivedFromRunId === best.id)).toHaveLength(8);
    // Far fewer epochs than the grid's 6 × 9, and the sweep's plan shrank by the runs never created.
    expect(log.epochs).toBeLessThan(6 * 9 * 0.6);
    const progress = scheduler.progress(started.sweepId);
    expect(progress).toMatchObject({ status: 'completed', planned: runs.length, done: runs.length, pruned: pruned.length });
  });

  it('stops a run below the median of completed runs at the same epoch, after its startup runs', async () => {
    const curve: Curve = (v, epoch) => (v.learningRate as number) * 2 * (1 - 0.5 ** epoch);
    const spec = parseSweepSpec(
      tinySweep({
        axes: { learningRate: [0.4, 0.45, 0.3, 0.1, 0.05] },
        base: { ...tinySweep().base, hyperparameters: { ...tinySweep().base.hyperparameters, epochs: 4 } },
        pruner: { type: 'median', startupTrials: 2 },
      }),
    );
    const started = await queueSweep(store, spec);
    scheduler = start(curveExecutor(curve, 10, { epochs: 0, jobs: [] }), 1);
    await until('the sweep to finish', () => finishedSweep(started.sweepId));
    const byLr = new Map(store.runsOfSweep(started.sweepId).map((r) => [info(r).values.learningRate, r]));
    expect(byLr.get(0.4)!.status).toBe('completed');
    expect(byLr.get(0.45)!.status).toBe('completed');
    for (const lr of [0.3, 0.1, 0.05]) {
      expect(byLr.get(lr)).toMatchObject({ status: 'pruned', pruned: { epoch: 1, rung: null } });
      expect(byLr.get(lr)!.error).toContain('median');
    }
  });
});

describe('TPE in a sweep', () => {
  it('proposes points while runs train, learns the impossible ones, and stops at its trial budget', async () => {
    // Best near learningRate 0.01; kernel 27 cannot fit this model's 28×28 input after a stride-2 conv and a pool.
    const curve: Curve = (v, epoch) =>
      (0.95 - 0.1 * (Math.log10(v.learningRate as number) + 2) ** 2 - 0.01 * (v.kernelSize as number)) * (1 - 0.5 ** epoch);
    const spec = parseSweepSpec(
      tinySweep({
        method: 'tpe',
        trials: 24,
        samplerSeed: 7,
        axes: { learningRate: { min: 1e-4, max: 1, scale: 'log' }, kernelSize: [3, 5, 27] },
        base: { ...tinySweep().base, hyperparameters: { ...tinySweep().base.hyperparameters, epochs: 2 } },
      }),
    );
    const started = await queueSweep(store, spec);
    expect(started.queued).toBe(1);
    const log = { epochs: 0, jobs: [] as RunJob[] };
    scheduler = start(curveExecutor(curve, 5, log), 2);
    await until('the sweep to finish', () => finishedSweep(started.sweepId), 60_000);

    const runs = store.runsOfSweep(started.sweepId);
    expect(runs).toHaveLength(24);
    expect(runs.every((r) => r.status === 'completed')).toBe(true);
    expect(runs.some((r) => info(r).values.kernelSize === 27)).toBe(false);
    const plan = readPlan(store.getSweep(started.sweepId)!);
    expect(plan.closed).toBe(true);
    expect(plan.closedReason).toBe('all 24 trials were proposed');
    expect(plan.impossible.length).toBeGreaterThan(0);
    expect(plan.impossible.every((p) => p.values.kernelSize === 27 && /kernel|shape|output/i.test(p.error))).toBe(true);
    // Point indices are unique across runs and impossible points.
    const indices = [...runs.map((r) => info(r).point), ...plan.impossible.map((p) => p.index)];
    expect(new Set(indices).size).toBe(indices.length);
    // After the 10 random startup trials the proposals close in on the optimum (log10 lr = -2).
    const late = runs.slice(-8).map((r) => Math.abs(Math.log10(info(r).values.learningRate as number) + 2));
    expect(late.filter((d) => d < 1).length).toBeGreaterThanOrEqual(5);
    // Never more runs open than the workers allow.
    expect(scheduler.progress(started.sweepId)).toMatchObject({ status: 'completed', planned: 24, completed: 24 });
  });

  it('refuses a TPE sweep none of whose points can run, queuing nothing', async () => {
    const spec = parseSweepSpec(tinySweep({ method: 'tpe', trials: 5, axes: { kernelSize: [27, 29] } }));
    await expect(queueSweep(store, spec)).rejects.toThrow(/no feasible point/);
    expect(store.listSweeps()).toHaveLength(0);
  });

  it("records a TPE sweep's impossible points with their problems coded, which the search panel says in Korean", async () => {
    const spec = parseSweepSpec(tinySweep({ method: 'tpe', trials: 3, samplerSeed: 1, axes: { kernelSize: [29, 30, 31, 32, 3] } }));
    const started = await queueSweep(store, spec);
    const plan = readPlan(store.getSweep(started.sweepId)!);
    // A proposal the scheduler makes as runs finish, and the plan it stores with it.
    const proposal = proposeOne(spec, 'maximize', []);
    const next = proposalRuns(spec, proposal, 10, plan, { sweepId: started.sweepId, experimentId: null });
    const impossible = next.plan.impossible.slice(plan.impossible.length);
    expect(impossible.length).toBeGreaterThan(0);
    // Those met by the first proposal, stored when the sweep was queued, too.
    expect(plan.impossible.length).toBeGreaterThan(0);
    for (const bad of [...plan.impossible, ...impossible]) {
      const k = bad.values.kernelSize as number;
      expect(bad.error).toMatch(/^layers\[0\] \(conv2d\): .*window is larger than its 28-pixel input/);
      const ko = problemsOf(bad.error, bad.errorCodes, 'ko');
      expect(ko).toMatch(new RegExp(`^layers\\[0\\] \\(conv2d\\): .*${k}×${k} 창이 28픽셀 입력보다 큽니다`));
      expect(ko).not.toMatch(/window|larger/);
    }
  });
});

describe('time budget', () => {
  it('ends a sweep whose budget was spent before any run started: every run canceled saying why, the sweep failed', async () => {
    const spec = parseSweepSpec(tinySweep({ axes: { learningRate: [0.1, 0.2, 0.3] }, timeBudgetMinutes: 0.0001 }));
    const started = await queueSweep(store, spec);
    await new Promise((r) => setTimeout(r, 50));
    const log = { epochs: 0, jobs: [] as RunJob[] };
    scheduler = start(
      curveExecutor(() => 0.5, 150, log),
      1,
    );
    await until('the sweep to finish', () => finishedSweep(started.sweepId), 10_000);
    expect(store.getSweep(started.sweepId)!.status).toBe('failed');
    expect(log.jobs).toHaveLength(0);
    const runs = store.runsOfSweep(started.sweepId);
    expect(runs.map((r) => r.status)).toEqual(['canceled', 'canceled', 'canceled']);
    expect(runs[0]!.error).toContain('time budget of 0.0001 min was spent');
  });

  it('stops starting runs once the budget is spent; running ones finish and queued ones are canceled saying why', async () => {
    const spec = parseSweepSpec(tinySweep({ axes: { learningRate: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] }, timeBudgetMinutes: 0.004 }));
    const started = await queueSweep(store, spec);
    scheduler = start(
      curveExecutor(() => 0.5, 150, { epochs: 0, jobs: [] }),
      1,
    );
    await until('the sweep to finish', () => finishedSweep(started.sweepId));
    const runs = store.runsOfSweep(started.sweepId);
    const completed = runs.filter((r) => r.status === 'completed');
    const canceled = runs.filter((r) => r.status === 'canceled');
    expect(completed.length).toBeGreaterThanOrEqual(1);
    expect(completed.length + canceled.length).toBe(6);
    expect(canceled.length).toBeGreaterThanOrEqual(3);
    expect(canceled[0]!.error).toContain('time budget of 0.004 min was spent');
    expect(readPlan(store.getSweep(started.sweepId)!).closed).toBe(true);
  });
});

describe('preview of a search', () => {
  it('estimates the epochs and time ASHA saves, from its rungs', async () => {
    expect(expectedEpochs({ type: 'asha', minEpochs: 1, reductionFactor: 3, minEarlyStoppingRate: 0 }, 9, 0)).toBeCloseTo(
      1 + 2 / 3 + 6 / 9,
    );
    expect(expectedEpochs({ type: 'asha', minEpochs: 4, reductionFactor: 3, minEarlyStoppingRate: 0 }, 4, 0)).toBe(4);
    expect(expectedEpochs({ type: 'median', startupTrials: 5, warmupEpochs: 1, intervalEpochs: 1 }, 10, 2)).toBe(10);
    expect(expectedEpochs({ type: 'median', startupTrials: 5, warmupEpochs: 1, intervalEpochs: 1 }, 10, 7)).toBe(6);
    const spec = parseSweepSpec(
      tinySweep({ axes: { learningRate: [0.01, 0.1], epochs: [1, 3, 9] }, pruner: { type: 'asha', minEpochs: 1, reductionFactor: 3 } }),
    );
    const preview = await previewSweep(spec, store, 1);
    expect(preview.pruning).toMatchObject({ trainedEpochs: 18 });
    expect(preview.pruning!.expectedEpochs).toBeCloseTo(2 * (1 + 2 / 3 + 6 / 9));
    expect(preview.pruning!.savedSeconds).toBeGreaterThan(preview.estimate.seconds * 0.5);
    expect(preview.search).toMatchObject({ method: 'grid', pruner: 'asha (r = 1, η = 3, s = 0)' });
  });

  it('shows the first points a TPE sweep will train, which are the ones it starts', async () => {
    const spec = parseSweepSpec(
      tinySweep({ method: 'tpe', trials: 6, samplerSeed: 4, axes: { learningRate: { min: 1e-4, max: 1, scale: 'log' } } }),
    );
    const preview = await previewSweep(spec, store, 2);
    expect(preview).toMatchObject({
      planned: 6,
      trained: 6,
      search: { method: 'tpe', trials: 6, optimize: { metric: 'val_accuracy', direction: 'maximize' } },
    });
    expect(preview.points).toHaveLength(6);
    const started = await queueSweep(store, spec);
    expect(info(store.getRun(started.runIds[0]!)!).values).toEqual(preview.points[0]!.values);
  });

  it("estimates what a pruner saves a TPE sweep from its first points' epochs, and says nothing without a trial count", async () => {
    const pruner = { type: 'asha', minEpochs: 1, reductionFactor: 3 } as const;
    const axes = { learningRate: { min: 1e-4, max: 1, scale: 'log' as const }, epochs: [1, 3, 9] };
    const spec = parseSweepSpec(tinySweep({ method: 'tpe', trials: 25, samplerSeed: 2, axes, pruner }));
    const preview = await previewSweep(spec, store, 2);
    // 25 trials, the 10 points shown standing for every 10 of them.
    const epochs = Array.from({ length: 25 }, (_, i) => preview.points[i % preview.points.length]!.epochs);
    const expected = epochs.reduce((a, e) => a + expectedEpochs({ ...pruner, minEarlyStoppingRate: 0 }, e, 0), 0);
    expect(preview.points).toHaveLength(10);
    expect(preview.pruning).toMatchObject({ trainedEpochs: epochs.reduce((a, e) => a + e, 0) });
    expect(preview.pruning!.expectedEpochs).toBeCloseTo(expected);
    expect(preview.pruning!.expectedEpochs).toBeLessThan(preview.pruning!.trainedEpochs);
    expect(preview.pruning!.savedSeconds).toBeGreaterThan(0);

    const budgetOnly = parseSweepSpec(tinySweep({ method: 'tpe', timeBudgetMinutes: 10, samplerSeed: 2, axes, pruner }));
    expect((await previewSweep(budgetOnly, store, 2)).pruning).toBeNull();
  });
});
