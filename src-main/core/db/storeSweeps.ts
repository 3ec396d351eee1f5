/**
 * RunStore's experiments and sweeps: create, list, read, update, queue a sweep's runs a chunk at a
 * time, take over its queueing, pause and resume it, cancel and delete it a chunk at a time.
 * RunStore extends this class (as this one extends StoreQueue), so these are RunStore's own
 * methods; the context (and its database handle) stays private. SQL in sweepRecords.ts and
 * sweepRows.ts.
 */
import type { Experiment, Sweep, SweepStatus } from '../contract/index.ts';
import type { StoreContext } from './storeContext.ts';
import type { NewRun, NewRunParsed } from './storeInputs.ts';
import { StoreQueue } from './storeQueue.ts';
import * as sweepRecords from './sweepRecords.ts';
import { cancelOpenRuns, sweepStats, type SweepStats } from './sweepRows.ts';

export class StoreSweeps extends StoreQueue {
  readonly #ctx: StoreContext;

  constructor(ctx: StoreContext) {
    super(ctx);
    this.#ctx = ctx;
  }

  createExperiment(input: { name: string; description?: string; uuid?: string }): Experiment {
    return sweepRecords.createExperiment(this.#ctx, input);
  }

  /** The id of the experiment with this name, created when missing. */
  experimentNamed(name: string): number {
    return sweepRecords.experimentNamed(this.#ctx, name);
  }

  listExperiments(): Experiment[] {
    return sweepRecords.listExperiments(this.#ctx);
  }

  createSweep(input: sweepRecords.NewSweep): Sweep {
    return sweepRecords.createSweep(this.#ctx, input);
  }

  /**
   * Creates a sweep and its runs in one transaction, so a failure records nothing. `runsOf` gets
   * the new sweep's id and returns the runs to queue; their ids come back in order.
   */
  createSweepWithRuns(
    sweep: { name: string; spec: unknown; experimentName?: string | undefined; status: SweepStatus; runsOn?: 'here' | 'agents' },
    runsOf: (ids: { sweepId: number; experimentId: number | null }) => Iterable<NewRun>,
  ): { sweepId: number; runIds: number[] } {
    return sweepRecords.createSweepWithRuns(this.#ctx, sweep, runsOf);
  }

  /**
   * Queues a sweep's runs in one transaction, without an event per run (the sweep's progress says
   * it): the bulk path of a sweep being queued a chunk at a time. The runs come from the sweep's
   * own expansion, already validated there; returns their ids in order.
   */
  addSweepRuns(sweepId: number, runs: readonly NewRunParsed[], mark?: sweepRecords.QueueingMark): number[] {
    return sweepRecords.addSweepRuns(this.#ctx, sweepId, runs, mark);
  }

  /** Takes over a half-queued sweep's queueing from a process that ended (sweepRecords.takeOverQueueing). */
  takeOverQueueing(sweepId: number, from: string): boolean {
    return sweepRecords.takeOverQueueing(this.#ctx, sweepId, from, this.#ctx.owner);
  }

  /** Every run of a sweep is queued: its spec is stored and, unless paused or canceled meanwhile, it is 'running' (sweepRecords.endQueueing). */
  endQueueing(id: number, spec: unknown): void {
    sweepRecords.endQueueing(this.#ctx, id, spec);
  }

  /** Pauses a pending or running sweep; false when it was neither (sweepRecords.pauseSweep). */
  pauseSweep(id: number): boolean {
    return sweepRecords.pauseSweep(this.#ctx, id);
  }

  /** A paused sweep is 'running' again, or 'pending' while it is still being queued (sweepRecords.resumeSweep). */
  resumeSweep(id: number): void {
    sweepRecords.resumeSweep(this.#ctx, id);
  }

  /** Replaces a sweep's stored spec (its plan, as queueing goes on) and, when given, its status. */
  updateSweep(id: number, spec: unknown, status?: SweepStatus): void {
    sweepRecords.updateSweep(this.#ctx, id, spec, status);
  }

  /** A sweep's progress numbers, counted in SQL. */
  sweepStats(sweepId: number): SweepStats {
    return this.#ctx.read(`counting the runs of sweep ${sweepId}`, () => sweepStats(this.#ctx.db, sweepId));
  }

  /** Cancels up to `limit` queued or interrupted runs of a sweep in one short transaction; returns how many. */
  cancelOpenRuns(sweepId: number, limit: number): number {
    return this.#ctx.write(`canceling runs of sweep ${sweepId}`, () => cancelOpenRuns(this.#ctx.db, sweepId, limit, Date.now())).length;
  }

  /**
   * Deletes up to `limit` runs of a sweep in one short transaction; when none is left, the sweep
   * itself. Returns how many runs went; call again until it returns 0.
   */
  deleteSweepChunk(sweepId: number, limit: number): number {
    return sweepRecords.deleteSweepChunk(this.#ctx, sweepId, limit);
  }

  setSweepStatus(id: number, status: SweepStatus): void {
    sweepRecords.setSweepStatus(this.#ctx, id, status);
  }

  listSweeps(filter: { experimentId?: number | undefined } = {}): Sweep[] {
    return sweepRecords.listSweeps(this.#ctx, filter);
  }

  /** Sweeps in these states without their runs' counts and best (listSweeps counts them: O(runs)). */
  sweepHeads(statuses: readonly SweepStatus[]): sweepRecords.SweepHead[] {
    return this.#ctx.read('reading the sweeps', () => sweepRecords.listSweepHeads(this.#ctx, statuses));
  }

  /** A sweep's status alone, without counting its runs (getSweep counts them: O(runs)). */
  sweepStatus(id: number): SweepStatus | undefined {
    return this.#ctx.db.prepare('SELECT status FROM sweeps WHERE id = ?').pluck().get(id) as SweepStatus | undefined;
  }

  getSweep(id: number): Sweep | undefined {
    return sweepRecords.getSweep(this.#ctx, id);
  }
}
