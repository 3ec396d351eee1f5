/**
 * RunStore — the one writer of experiments, sweeps, runs, params, metrics and checkpoints, and
 * the only holder of the database handle (it is private: everything else reads and writes through
 * these methods, and the SQL behind them lives in core/db).
 *
 * Open one per process with `RunStore.open(path, { events })` (the service does: `ctx.store`).
 * Main-side code (training, sweeps) calls it directly:
 *
 *   const run = store.createRun({ name, modelSpec, dataset, backend, seed, hyperparameters });   // queued
 *   const claimed = store.claimNextRunnable();                        // atomic: one process gets each run
 *   store.logBatch([{ runId, key: 'loss', step, epoch, value }, …]);  // ONE transaction per call
 *   store.addCheckpoint(runId, { epoch, kind: 'best', path, bytes, sha256, metric, value });
 *   store.addEvaluation(runId, { split: 'test', loss, accuracy, confusion, perClass, mostWrong });
 *   store.transition(runId, 'completed');                             // refuses impossible moves
 *
 * - `logBatch` is the only metric write path (`logMetric` is a batch of one; the import writes
 *   through the same metricWriter). The batch is validated with zod and its runs looked up before
 *   anything is written; metric rows and the `latest_metrics` summaries (foldSummary) are written
 *   in the same transaction; events follow the commit.
 * - Metric values may be NaN or ±Infinity and read back as such (NaN is stored as NULL).
 * - `best` goes the way the metric's kind says (contract/metrics.ts: accuracy up, loss down,
 *   speed up); a resource metric (rss_bytes, epoch_seconds) is not ranked and has no best.
 * - A run in `running` holds a lease (owner + expiry). `logBatch` and `renewLease` extend it. On
 *   open, `recoverInterrupted` marks `interrupted` every running run whose lease ran out or whose
 *   owner process on this machine is gone, so a crashed app never leaves runs "running" forever,
 *   while a second process sharing the database does not steal runs that are alive. The lease
 *   lasts `leaseMs` (2 minutes by default): a run that logs no metrics for longer calls renewLease.
 * - Events (when opened with `events`): `run.updated` after createRun, transition, claim, recovery,
 *   tags and notes; `metrics.appended` after each committed batch, one per run.
 * - Query results (listRuns, runDetail, metricSeries, compareRuns, pivot, summary) are wire-ready:
 *   NaN and ±Infinity appear as the strings 'NaN', 'Infinity', '-Infinity' (decodeMetricValue).
 * - Errors are KernelLabError: invalid_input (schema), not_found (unknown run), conflict
 *   (impossible transition), DatabaseError with problem 'disk_full' / 'read_only' for I/O.
 */
import { hostname } from 'node:os';
import { KernelLabError, runNotFound } from '../errors.ts';
import type { EventBus } from '../events.ts';
import type {
  CompareQuery,
  CompareResult,
  ExportFormat,
  ExportSelection,
  ListRunsQuery,
  MetricSummary,
  PivotQuery,
  PivotResult,
  RunDetail,
  RunsFilter,
  RunStatus,
  SeriesResult,
  TableColumns,
} from '../contract/index.ts';
import { describeSqliteError, openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './database.ts';
import { checkpointRows, listRuns, metricSeries, runDetail, summariesOf } from './queries.ts';
import { compareRuns } from './compareQuery.ts';
import { pivot } from './pivotQuery.ts';
import { tableColumns } from './tableColumns.ts';
import { exportRuns, exportStream, type ExportStream } from './exchange.ts';
import { exportFile, type ExportSource } from './exportFile.ts';
import { importLimits, importRunsExport, type ImportOptions } from './importRuns.ts';
import * as lifecycle from './runLifecycle.ts';
import type { Lease, RunRecord } from './records.ts';
import type { CoreText, ProblemText } from '../contract/coreText.ts';
import { AgentRegistry } from './agentRegistry.ts';
import { ClusterRecords } from './clusterRecords.ts';
import { StoreContext, type Fence } from './storeContext.ts';
import { StoreSweeps } from './storeSweeps.ts';
import * as runRecords from './runRecords.ts';
import * as runData from './runData.ts';
import type { MetricPointInput, NewCheckpoint, NewEvaluation, NewRun } from './storeInputs.ts';

export type { RunStatus } from '../contract/index.ts';
export { leaseOf, readParam, toRunRecord, type FlatParam, type Lease, type RunDbRow, type RunRecord } from './records.ts';
export { flattenParams, paramOfAxis, runParams } from './runParams.ts';
export { allowedTransitions, LeaseLost, type ClaimScope } from './runLifecycle.ts';
export { MetricPointInput, NewCheckpoint, NewEvaluation, NewRun, type NewRunParsed } from './storeInputs.ts';
export type { Fence } from './storeContext.ts';
export type { SweepHead } from './sweepRecords.ts';

export interface RunStoreOptions extends OpenDatabaseOptions {
  /** Where `run.updated` and `metrics.appended` go; none in tools that only read. */
  events?: EventBus;
  /** Owner name for leases taken by this process; defaults to `hostname:pid`. */
  owner?: string;
  /** How long a running run's lease lasts without a renewal (ms). */
  leaseMs?: number;
  /** Skip recoverInterrupted on open (tests that inspect a crashed database as it was). */
  recover?: boolean;
}

export class RunStore extends StoreSweeps {
  /** The handle and how every read and write goes through it; private, shared only with core/db's store modules. */
  readonly #ctx: StoreContext;
  readonly #db: SqliteDatabase;
  readonly path: string;
  readonly owner: string;
  readonly leaseMs: number;
  /** `host:` — the prefix of this machine's lease owners (the worker budget counts them). */
  readonly hostPrefix: string;
  /** Remote agents: their tokens, claims and executions (agentRegistry.ts). */
  readonly agents: AgentRegistry;
  /** Saved cluster profiles and the cluster jobs of sweeps (clusterRecords.ts). */
  readonly clusters: ClusterRecords;

  private constructor(ctx: StoreContext) {
    super(ctx);
    this.#ctx = ctx;
    this.#db = ctx.db;
    this.path = ctx.path;
    this.owner = ctx.owner;
    this.leaseMs = ctx.leaseMs;
    this.hostPrefix = ctx.hostPrefix;
    const write = <T>(doing: string, fn: () => T): T => ctx.write(doing, fn);
    const read = <T>(doing: string, fn: () => T): T => ctx.read(doing, fn);
    this.agents = new AgentRegistry(ctx.db, write, read, this.leaseMs);
    this.clusters = new ClusterRecords(ctx.db, write, read);
  }

  static open(path: string, options: RunStoreOptions = {}): RunStore {
    const { db } = openDatabase(path, options);
    const store = new RunStore(
      new StoreContext(db, path, {
        events: options.events,
        owner: options.owner ?? `${hostname()}:${process.pid}`,
        leaseMs: options.leaseMs ?? 120_000,
        hostPrefix: `${hostname()}:`,
      }),
    );
    const upkeep = (doing: string, fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        // A read-only database still opens for reading; upkeep waits for a writable one.
        const problem = error instanceof KernelLabError ? error : describeSqliteError(path, error, doing);
        if ((problem as { problem?: string }).problem !== 'read_only') {
          db.close();
          throw problem;
        }
      }
    };
    upkeep('deriving the params of older runs', () => store.upgradeParams());
    if (options.recover !== false) upkeep('recovering interrupted runs', () => store.recoverInterrupted());
    return store;
  }

  /** Whether the database is still open (false after close). */
  get isOpen(): boolean {
    return this.#db.open;
  }

  close(): void {
    if (!this.#db.open) return;
    // Keeps the planner's statistics current (SQLite's advice for long-lived connections); cheap
    // when nothing changed. Skipped silently on a read-only database.
    try {
      this.#db.pragma('optimize');
    } catch {
      // statistics are an optimisation; closing must not fail for them
    }
    this.#db.close();
  }

  /**
   * Why writes would be lost, or null: SQLite keeps writing into a database file that was deleted
   * or replaced while it is open, so every write first checks the file is still the one opened.
   */
  fileProblem(): string | null {
    return this.#ctx.fileProblem();
  }

  /** fileProblem's sentence with its coded form, for the health check the About page shows. */
  fileGone(): { sentence: string; text: CoreText } | null {
    return this.#ctx.fileGone();
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  /** Creates a run (queued by default) and its params (runParams) in one transaction. */
  createRun(input: NewRun): RunRecord {
    return runRecords.createRun(this.#ctx, input);
  }

  /** Replaces a run's hyperparameters; its params are derived again from the changed run. */
  setParams(runId: number, hyperparameters: Record<string, unknown>): void {
    runRecords.setParams(this.#ctx, runId, hyperparameters);
  }

  /**
   * Derives again the params of runs recorded by an older KernelLab (params_version below this
   * one's), so every run has the same params whichever version recorded it. Called on open.
   */
  upgradeParams(): number {
    return runRecords.upgradeParams(this.#ctx);
  }

  getRun(id: number): RunRecord | undefined {
    return runRecords.getRun(this.#ctx, id);
  }

  getRunByUuid(uuid: string): RunRecord | undefined {
    return runRecords.getRunByUuid(this.#ctx, uuid);
  }

  /**
   * Moves a run to another status if `allowedTransitions` permits it; compare-and-set, so a
   * concurrent move by another process makes this one fail instead of overwriting it.
   */
  transition(runId: number, to: RunStatus, options: { error?: string | null; errorText?: CoreText | null } = {}): RunRecord {
    return runRecords.transition(this.#ctx, runId, to, options);
  }

  /** Extends a lease that still holds; false when the run was recovered or claimed again since. */
  renewLease(lease: Lease, leaseMs: number = this.leaseMs): boolean {
    return this.#ctx.write(`renewing the lease of run ${lease.runId}`, () => lifecycle.holdLease(this.#db, lease, Date.now() + leaseMs));
  }

  /**
   * The one final status of an execution (see settle in sweeps/execution.ts): running → `to`,
   * only while `lease` holds. False when it does not: the run was recovered or claimed again, and
   * its end is the new holder's to record. A pruned run names the epoch and rung it stopped at.
   */
  finishRun(
    lease: Lease,
    to: RunStatus,
    error: string | null,
    pruned: { epoch: number; rung: number | null } | null = null,
    errorText: CoreText | null = null,
    errorIssues: readonly ProblemText[] | null = null,
  ): boolean {
    return runRecords.finishRun(this.#ctx, lease, to, error, pruned, errorText, errorIssues);
  }

  /**
   * Marks `interrupted` every running run whose lease has run out or whose owner process (on this
   * machine) no longer exists, and cancels queued runs reserved for such a process. Called on open;
   * the scheduler calls it again on its ticks, so a stalled process's runs do not wait forever.
   */
  recoverInterrupted(now: number = Date.now()): number[] {
    return runRecords.recoverInterrupted(this.#ctx, now);
  }

  /** Whether `owner` (`host:pid`) is a process of this machine that no longer exists. */
  ownerGone(owner: string): boolean {
    return runRecords.ownerGone(this.#ctx, owner);
  }

  deleteRun(id: number): boolean {
    const changes = this.#ctx.write(`deleting run ${id}`, () => this.#db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes);
    return changes === 1;
  }

  // ── metrics ──────────────────────────────────────────────────────────────

  /**
   * Writes metric points in ONE transaction with the latest_metrics summaries. The whole batch is
   * validated first (schema, then that every run exists); a bad item rejects the batch unwritten.
   * A point at an existing (run, key, step) replaces it.
   */
  logBatch(items: readonly MetricPointInput[], fence?: Fence): { written: number } {
    return runData.logBatch(this.#ctx, items, fence);
  }

  logMetric(item: MetricPointInput): void {
    this.logBatch([item]);
  }

  /** Summaries of a run's metrics (last, best, min, max), wire-ready like every query result. */
  summary(runId: number): MetricSummary[] {
    return summariesOf(this.#db, [runId]).get(runId) ?? [];
  }

  // ── checkpoints, evaluations, tags, notes ────────────────────────────────

  addCheckpoint(runId: number, checkpoint: NewCheckpoint, fence?: Fence): number {
    return runData.addCheckpoint(this.#ctx, runId, checkpoint, fence);
  }

  /** A run's checkpoint rows (what a worker or a folded sweep recorded), oldest epoch first. */
  checkpointsOf(runId: number): { epoch: number; kind: 'best' | 'last' | 'epoch'; path: string }[] {
    return checkpointRows(this.#db, runId);
  }

  /** Records (or replaces) the evaluation of a run on one split. */
  addEvaluation(runId: number, evaluation: NewEvaluation, fence?: Fence): void {
    runData.addEvaluation(this.#ctx, runId, evaluation, fence);
  }

  setTags(runId: number, tags: readonly string[]): string[] {
    return runData.setTags(this.#ctx, runId, tags);
  }

  /** Records which backend and device a worker actually used (its trainBegin), so open views show it at once. */
  setDevice(
    runId: number,
    backend: string,
    device: string,
    runtime?: Record<string, unknown>,
    fence?: Fence,
    deviceCode: CoreText | null = null,
  ): void {
    runRecords.setDevice(this.#ctx, runId, backend, device, runtime, fence, deviceCode);
  }

  // ── settings shared by every process on the data folder ─────────────────

  /** A setting's JSON value, or undefined when it was never set. */
  getSetting(key: string): unknown {
    const value = this.#ctx.read(`reading setting ${key}`, () =>
      this.#db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key),
    ) as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as unknown);
  }

  setSetting(key: string, value: unknown): void {
    this.#ctx.write(`saving setting ${key}`, () =>
      this.#db
        .prepare(
          'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
        )
        .run(key, JSON.stringify(value), Date.now()),
    );
  }

  setNote(runId: number, body: string): string {
    return runData.setNote(this.#ctx, runId, body);
  }

  // ── queries, export, import (SQL in queries.ts / exchange.ts) ───────────

  listRuns(query: ListRunsQuery = {}): ReturnType<typeof listRuns> {
    return this.#ctx.read('listing runs', () => listRuns(this.#db, query));
  }

  /** The columns the runs a filter selects call for: the params that vary among them, the main metric. */
  tableColumns(filter: RunsFilter = {}): TableColumns {
    return this.#ctx.read('choosing the columns of runs', () => tableColumns(this.#db, filter));
  }

  runDetail(id: number): RunDetail {
    const detail = this.#ctx.read(`reading run ${id}`, () => runDetail(this.#db, id));
    if (!detail) throw runNotFound(id);
    return detail;
  }

  metricSeries(runId: number, options: { keys?: string[] | undefined; maxPoints?: number | undefined } = {}): SeriesResult {
    runRecords.requireRun(this.#ctx, runId);
    return this.#ctx.read(`reading the metrics of run ${runId}`, () => metricSeries(this.#db, runId, options));
  }

  compareRuns(query: CompareQuery): CompareResult {
    return this.#ctx.read('comparing runs', () => compareRuns(this.#db, query));
  }

  pivot(query: PivotQuery): PivotResult {
    return this.#ctx.read('building the pivot', () => pivot(this.#db, query));
  }

  exportRuns(
    selection: ExportSelection,
    format: ExportFormat = 'json',
  ): { filename: string; mediaType: string; content: string; runCount: number } {
    return this.#ctx.read('exporting runs', () => exportRuns(this.#db, selection, format));
  }

  /**
   * The export as parts read as they are pulled (exchange.ts exportStream; write it with
   * exportWrite.ts writeExport): for the CLI's `--out`, stdout and serve's download, so an export
   * of 100,000 runs is never one string. Bad selections are refused here, before any part.
   */
  exportStream(selection: ExportSelection, format: ExportFormat = 'json', partChars?: number): ExportStream {
    const ctx = this.#ctx;
    const stream = ctx.read('exporting runs', () => exportStream(this.#db, selection, format, partChars));
    return {
      ...stream,
      parts: () => {
        const parts = stream.parts();
        return {
          next: () => ctx.read('exporting runs', () => parts.next()),
          return: () => parts.return?.() ?? { done: true, value: undefined },
        };
      },
    };
  }

  /**
   * Imports a JSON export a chunk at a time (importRuns.ts): bounded work, nothing left behind on
   * failure, statuses from elsewhere never runnable here.
   */
  async importRuns(content: string | ExportSource, options: ImportOptions = {}): Promise<{ imported: number; skipped: number }> {
    try {
      return await importRunsExport(
        {
          db: this.#db,
          write: (doing, fn) => this.#ctx.write(doing, fn),
          insertRun: this.#ctx.insertRun,
          writeMetrics: this.#ctx.writeMetrics,
        },
        content,
        options,
      );
    } catch (error) {
      throw describeSqliteError(this.path, error, 'importing runs');
    }
  }

  /**
   * Imports the JSON export in the file at `path`, read a part at a time (exportFile.ts): the
   * file is never held whole in memory. For the CLI and the server; the renderer names no paths.
   */
  async importRunsFile(path: string, options: ImportOptions = {}): Promise<{ imported: number; skipped: number }> {
    const source = exportFile(path, importLimits);
    try {
      return await this.importRuns(source, options);
    } finally {
      source.close();
    }
  }
}
