/**
 * RunStore's queue: claiming the next runnable run, requeueing, priorities, the sweep-search
 * reads a sampler and a pruner make, epoch folding's derived runs. RunStore extends this class, so
 * these are RunStore's own methods; the context (and its database handle) stays private to both.
 * SQL in runQueue.ts, runLifecycle.ts and sweepSearch.ts.
 */
import { runNotFound, sweepNotFound } from '../errors.ts';
import type { RunStatus } from '../contract/index.ts';
import type { RunRecord } from './records.ts';
import * as lifecycle from './runLifecycle.ts';
import type { ClaimScope } from './runLifecycle.ts';
import * as queue from './runQueue.ts';
import * as runRecords from './runRecords.ts';
import type { StoreContext } from './storeContext.ts';
import type { NewRun } from './storeInputs.ts';
import * as sweepSearch from './sweepSearch.ts';

export class StoreQueue {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    this.#ctx = ctx;
  }

  /**
   * Takes the next queued run that may start (highest priority, then oldest; runs of a paused
   * sweep, derived runs and runs reserved for another owner are skipped) for `owner`, atomically
   * across processes, while fewer than `budget` runs train on this machine.
   */
  claimNextRunnable(
    owner: string = this.#ctx.owner,
    leaseMs: number = this.#ctx.leaseMs,
    options: { budget?: number; scope?: ClaimScope; leaveUnpinnedQueuedAfter?: number | null } = {},
  ): RunRecord | undefined {
    return this.#ctx.write('claiming a queued run', () =>
      lifecycle.claimNext(this.#ctx.db, {
        owner,
        pid: process.pid,
        leaseMs,
        hostPrefix: this.#ctx.hostPrefix,
        budget: options.budget ?? Infinity,
        scope: options.scope ?? { kind: 'any' },
        leaveUnpinnedQueuedAfter: options.leaveUnpinnedQueuedAfter ?? null,
      }),
    );
  }

  /** Whether any queued run could be claimed now by `owner` with `scope` (its sweep, if any, is running). */
  hasClaimableRun(
    owner: string = this.#ctx.owner,
    scope: ClaimScope = { kind: 'any' },
    leaveUnpinnedQueuedAfter: number | null = null,
  ): boolean {
    return this.#ctx.read('reading the queue', () => lifecycle.hasClaimable(this.#ctx.db, owner, scope, leaveUnpinnedQueuedAfter));
  }

  /** Runs training now on this machine, in every process on this database. */
  runningOnThisMachine(): number {
    return this.#ctx.read('counting running runs', () => lifecycle.runningOnHost(this.#ctx.db, this.#ctx.hostPrefix));
  }

  /** Queues an interrupted run again, marked to continue from its last checkpoint; false if it is not interrupted. */
  requeue(runId: number): boolean {
    return runRecords.requeue(this.#ctx, runId);
  }

  runsOfSweep(sweepId: number): RunRecord[] {
    return this.#ctx.read(`reading the runs of sweep ${sweepId}`, () => queue.runsOfSweep(this.#ctx.db, sweepId));
  }

  runsWithStatus(status: RunStatus, sweepId?: number): RunRecord[] {
    return this.#ctx.read(`reading ${status} runs`, () => queue.runsWithStatus(this.#ctx.db, status, sweepId));
  }

  /** Sets the priority of a run or of every not-yet-finished run of a sweep; returns how many changed. */
  setPriority(target: { runId: number } | { sweepId: number }, priority: number): number {
    const changed = this.#ctx.write('setting a priority', () => queue.setPriority(this.#ctx.db, target, priority));
    if ('runId' in target && changed === 0) throw runNotFound(target.runId);
    return changed;
  }

  /** The metric `key` at `epoch` of a sweep's trained runs that reached it: a pruner's peers. */
  sweepMetricAtEpoch(sweepId: number, key: string, epoch: number): ReturnType<typeof sweepSearch.metricAtEpoch> {
    return this.#ctx.read(`reading ${key} at epoch ${epoch} in sweep ${sweepId}`, () =>
      sweepSearch.metricAtEpoch(this.#ctx.db, sweepId, key, epoch),
    );
  }

  /** One run's metric `key` at each epoch's end. */
  runMetricByEpoch(runId: number, key: string): ReturnType<typeof sweepSearch.runMetricByEpoch> {
    return this.#ctx.read(`reading ${key} of run ${runId}`, () => sweepSearch.runMetricByEpoch(this.#ctx.db, runId, key));
  }

  /** Every per-epoch value of metric `key` of a sweep's runs. */
  sweepMetricSeries(sweepId: number, key: string): ReturnType<typeof sweepSearch.metricSeriesOfSweep> {
    return this.#ctx.read(`reading ${key} of sweep ${sweepId}`, () => sweepSearch.metricSeriesOfSweep(this.#ctx.db, sweepId, key));
  }

  /**
   * Adds the runs of a newly proposed sweep point (and the sweep's updated plan) in one
   * transaction, only if the sweep's last point is still `after`: when another process proposed
   * first, nothing is written and null is returned.
   */
  appendSweepPoint(sweepId: number, after: number, plan: unknown, runs: readonly NewRun[]): number[] | null {
    return this.#ctx.write(`adding a point to sweep ${sweepId}`, () => {
      if (sweepSearch.lastPointOfSweep(this.#ctx.db, sweepId) !== after) return null;
      if (sweepSearch.setSweepPlan(this.#ctx.db, sweepId, plan) === 0) throw sweepNotFound(sweepId);
      return runs.map((run) => runRecords.createRun(this.#ctx, run).id);
    });
  }

  /** Replaces the plan stored with a sweep (points learned infeasible, a budget spent). */
  setSweepPlan(sweepId: number, plan: unknown): void {
    const changed = this.#ctx.write(`updating the plan of sweep ${sweepId}`, () => sweepSearch.setSweepPlan(this.#ctx.db, sweepId, plan));
    if (changed === 0) throw sweepNotFound(sweepId);
  }

  /** The derived run of `sourceId` for `epochs`, if epoch folding has recorded it. */
  derivedRun(sourceId: number, epochs: number): RunRecord | undefined {
    return this.#ctx.read('reading a derived run', () => queue.derivedRun(this.#ctx.db, sourceId, epochs));
  }

  /** Throughput of finished runs on this machine: samples/s per backend from their epochEnd metrics. */
  measuredThroughput(keys: readonly string[]): ReturnType<typeof queue.measuredThroughput> {
    return this.#ctx.read('reading measured throughput', () => queue.measuredThroughput(this.#ctx.db, keys));
  }

  /** Sweeps that are not finished and have queued or interrupted runs. */
  unfinishedSweepIds(): number[] {
    return this.#ctx.read('reading unfinished sweeps', () => queue.unfinishedSweepIds(this.#ctx.db));
  }

  /** Gives a derived run the timing of the part of its source it stands for. */
  setRunTimes(runId: number, startedAt: number, endedAt: number): void {
    this.#ctx.write('setting run times', () => queue.setRunTimes(this.#ctx.db, runId, startedAt, endedAt));
  }
}
