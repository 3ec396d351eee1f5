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
import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';
import { invalidInput, KernelLabError, runNotFound, sweepNotFound } from '../errors.ts';
import type { EventBus } from '../events.ts';
import {
  encodeMetricValue,
  MetricKey,
  RunStatus,
  SweepStatus,
  type CompareQuery,
  type CompareResult,
  type Experiment,
  type ExportFormat,
  type ExportSelection,
  type ListRunsQuery,
  type MetricSummary,
  type PivotQuery,
  type PivotResult,
  type RunDetail,
  type RunsFilter,
  type TableColumns,
  type SeriesResult,
  type Sweep,
} from '../contract/index.ts';
import { DatabaseError, describeSqliteError, openDatabase, type OpenDatabaseOptions, type SqliteDatabase } from './database.ts';
import { checkpointRows, compareRuns, listRuns, metricSeries, pivot, runDetail, summariesOf } from './queries.ts';
import { tableColumns } from './tableColumns.ts';
import { exportRuns } from './exchange.ts';
import { importRunsExport, type ImportOptions } from './importRuns.ts';
import { metricWriter, type MetricRow, type MetricWriter } from './metricWrite.ts';
import { contentColumns, runInserter, type RunInserter } from './runInsert.ts';
import * as queue from './runQueue.ts';
import { cancelOpenRuns, deleteRunsOfSweep, sweepStats, type SweepStats } from './sweepRows.ts';
import * as lifecycle from './runLifecycle.ts';
import { LeaseLost, allowedTransitions, endsRun, type ClaimScope } from './runLifecycle.ts';
import * as sweepSearch from './sweepSearch.ts';
import { toRunRecord, type Lease, type RunDbRow, type RunRecord } from './records.ts';
import { paramOfAxis, paramsVersion, runParams } from './runParams.ts';
import { AgentRegistry } from './agentRegistry.ts';
import { ClusterRecords } from './clusterRecords.ts';
import { mainMetric, metricKind } from '../contract/metrics.ts';
import { JsonObject, MetricBatch, NewCheckpoint, NewEvaluation, NewRun, type MetricPointInput, type NewRunParsed } from './storeInputs.ts';

export type { RunStatus } from '../contract/index.ts';
export { leaseOf, readParam, toRunRecord, type FlatParam, type Lease, type RunDbRow, type RunRecord } from './records.ts';
export { flattenParams, paramOfAxis, runParams } from './runParams.ts';
export { allowedTransitions, LeaseLost, type ClaimScope } from './runLifecycle.ts';
export { MetricPointInput, NewCheckpoint, NewEvaluation, NewRun, type NewRunParsed } from './storeInputs.ts';

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

/** Who holds a write: an execution names its lease, and the write happens only while it holds. */
export interface Fence {
  lease?: Lease | undefined;
}

const stoppedWhileRunning = 'KernelLab stopped while this run was running; resume it from its last checkpoint';

export class RunStore {
  readonly #db: SqliteDatabase;
  readonly path: string;
  readonly owner: string;
  readonly leaseMs: number;
  readonly #events: EventBus | undefined;
  readonly #stmt: ReturnType<typeof prepareStatements>;
  readonly #writeMetrics: MetricWriter;
  readonly #insertRun: RunInserter;
  /** The database file as opened (device, inode): a file deleted or replaced under us is noticed. */
  readonly #identity: { dev: number; ino: number } | null;
  /** `host:` — the prefix of this machine's lease owners (the worker budget counts them). */
  readonly hostPrefix: string;
  /** Remote agents: their tokens, claims and executions (agentRegistry.ts). */
  readonly agents: AgentRegistry;
  /** Saved cluster profiles and the cluster jobs of sweeps (clusterRecords.ts). */
  readonly clusters: ClusterRecords;

  private constructor(db: SqliteDatabase, path: string, options: RunStoreOptions) {
    this.#db = db;
    this.path = path;
    this.#events = options.events;
    this.owner = options.owner ?? `${hostname()}:${process.pid}`;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.#stmt = prepareStatements(db);
    this.#writeMetrics = metricWriter(db);
    this.#insertRun = runInserter(db);
    this.hostPrefix = `${hostname()}:`;
    const write = <T>(doing: string, fn: () => T): T => this.#write(doing, fn);
    const read = <T>(doing: string, fn: () => T): T => this.#read(doing, fn);
    this.agents = new AgentRegistry(db, write, read, this.leaseMs);
    this.clusters = new ClusterRecords(db, write, read);
    const stat = path === ':memory:' ? null : statSync(path, { throwIfNoEntry: false });
    this.#identity = stat ? { dev: stat.dev, ino: stat.ino } : null;
  }

  static open(path: string, options: RunStoreOptions = {}): RunStore {
    const { db } = openDatabase(path, options);
    const store = new RunStore(db, path, options);
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

  /** Runs a read; a database damaged since it was opened gets the same clear error as at open. */
  #read<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw describeSqliteError(this.path, error, doing);
    }
  }

  #write<T>(doing: string, fn: () => T): T {
    const problem = this.fileProblem();
    if (problem) throw new DatabaseError('gone', `${problem}: ${doing} was refused, nothing was written.`);
    try {
      return this.#db.transaction(fn).immediate();
    } catch (error) {
      throw describeSqliteError(this.path, error, doing);
    }
  }

  /**
   * Why writes would be lost, or null: SQLite keeps writing into a database file that was deleted
   * or replaced while it is open, so every write first checks the file is still the one opened.
   */
  fileProblem(): string | null {
    if (!this.#identity) return null;
    const now = statSync(this.path, { throwIfNoEntry: false });
    if (!now)
      return `The database ${this.path} was deleted while KernelLab had it open; restart KernelLab (it starts a new, empty database there)`;
    if (now.dev !== this.#identity.dev || now.ino !== this.#identity.ino)
      return `The database ${this.path} was replaced by another file while KernelLab had it open; restart KernelLab to open the new one`;
    return null;
  }

  /**
   * Extends `fence.lease` inside the current transaction; throws LeaseLost (and so writes
   * nothing) when the lease no longer holds. No lease: an unfenced write (tools, tests, recorders
   * that own the run outright).
   */
  #fence(fence: Fence | undefined, doing: string): void {
    if (!fence?.lease) return;
    if (!lifecycle.holdLease(this.#db, fence.lease, Date.now() + this.leaseMs)) throw new LeaseLost(fence.lease, doing);
  }

  // ── experiments and sweeps ────────────────────────────────────────────────

  createExperiment(input: { name: string; description?: string; uuid?: string }): Experiment {
    const name = input.name.trim();
    if (!name) throw new KernelLabError('invalid_input', 'Invalid experiment: name: must not be empty', ['name: must not be empty']);
    const existing = this.#db.prepare('SELECT id FROM experiments WHERE name = ?').get(name);
    if (existing) throw new KernelLabError('conflict', `An experiment named '${name}' already exists`);
    const id = this.#write('creating an experiment', () => {
      return Number(
        this.#db
          .prepare('INSERT INTO experiments (uuid, name, description, created_at) VALUES (?, ?, ?, ?)')
          .run(input.uuid ?? randomUUID(), name, input.description ?? '', Date.now()).lastInsertRowid,
      );
    });
    return this.listExperiments().find((e) => e.id === id)!;
  }

  /** The id of the experiment with this name, created when missing. */
  experimentNamed(name: string): number {
    const id = this.#db.prepare('SELECT id FROM experiments WHERE name = ?').pluck().get(name.trim()) as number | undefined;
    return id ?? this.createExperiment({ name }).id;
  }

  listExperiments(): Experiment[] {
    const rows = this.#db
      .prepare(
        `SELECT e.id, e.uuid, e.name, e.description, e.created_at AS createdAt,
                (SELECT count(*) FROM runs r WHERE r.experiment_id = e.id) AS runCount
         FROM experiments e ORDER BY e.created_at DESC, e.id DESC`,
      )
      .all();
    return rows as Experiment[];
  }

  createSweep(input: {
    name: string;
    spec: unknown;
    experimentId?: number | null;
    status?: SweepStatus;
    uuid?: string;
    runsOn?: 'here' | 'agents';
  }): Sweep {
    const status = SweepStatus.parse(input.status ?? 'pending');
    const id = this.#write('creating a sweep', () =>
      Number(
        this.#db
          .prepare('INSERT INTO sweeps (uuid, experiment_id, name, spec, status, created_at, runs_on) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(
            input.uuid ?? randomUUID(),
            input.experimentId ?? null,
            input.name,
            JSON.stringify(input.spec ?? {}),
            status,
            Date.now(),
            input.runsOn ?? 'here',
          ).lastInsertRowid,
      ),
    );
    return this.getSweep(id)!;
  }

  /**
   * Creates a sweep and its runs in one transaction, so a failure records nothing. `runsOf` gets
   * the new sweep's id and returns the runs to queue; their ids come back in order.
   */
  createSweepWithRuns(
    sweep: { name: string; spec: unknown; experimentName?: string | undefined; status: SweepStatus; runsOn?: 'here' | 'agents' },
    runsOf: (ids: { sweepId: number; experimentId: number | null }) => Iterable<NewRun>,
  ): { sweepId: number; runIds: number[] } {
    return this.#write('queueing a sweep', () => {
      const experimentId = sweep.experimentName === undefined ? null : this.experimentNamed(sweep.experimentName);
      const sweepId = this.createSweep({
        name: sweep.name,
        spec: sweep.spec,
        experimentId,
        status: sweep.status,
        runsOn: sweep.runsOn ?? 'here',
      }).id;
      const runIds = [...runsOf({ sweepId, experimentId })].map((run) => this.createRun(run).id);
      return { sweepId, runIds };
    });
  }

  /**
   * Queues a sweep's runs in one transaction, without an event per run (the sweep's progress says
   * it): the bulk path of a sweep being queued a chunk at a time. The runs come from the sweep's
   * own expansion, already validated there; returns their ids in order.
   */
  addSweepRuns(sweepId: number, runs: readonly NewRunParsed[]): number[] {
    return this.#write(`queueing ${runs.length} runs of sweep ${sweepId}`, () => {
      if (!this.#db.prepare('SELECT 1 FROM sweeps WHERE id = ?').get(sweepId)) throw sweepNotFound(sweepId);
      const now = Date.now();
      return runs.map((run) => this.#insertRun(this.#newRunRow({ ...run, sweepId }, now), runParams(run)));
    });
  }

  /** Replaces a sweep's stored spec (its plan, as queueing goes on) and, when given, its status. */
  updateSweep(id: number, spec: unknown, status?: SweepStatus): void {
    this.#write('updating a sweep', () => {
      const info = this.#db
        .prepare('UPDATE sweeps SET spec = ?, status = coalesce(?, status) WHERE id = ?')
        .run(JSON.stringify(spec), status === undefined ? null : SweepStatus.parse(status), id);
      if (info.changes === 0) throw sweepNotFound(id);
    });
  }

  /** A sweep's progress numbers, counted in SQL. */
  sweepStats(sweepId: number): SweepStats {
    return this.#read(`counting the runs of sweep ${sweepId}`, () => sweepStats(this.#db, sweepId));
  }

  /** Cancels up to `limit` queued or interrupted runs of a sweep in one short transaction; returns how many. */
  cancelOpenRuns(sweepId: number, limit: number): number {
    return this.#write(`canceling runs of sweep ${sweepId}`, () => cancelOpenRuns(this.#db, sweepId, limit, Date.now())).length;
  }

  /**
   * Deletes up to `limit` runs of a sweep in one short transaction; when none is left, the sweep
   * itself. Returns how many runs went; call again until it returns 0.
   */
  deleteSweepChunk(sweepId: number, limit: number): number {
    return this.#write(`deleting runs of sweep ${sweepId}`, () => {
      const deleted = deleteRunsOfSweep(this.#db, sweepId, limit);
      if (deleted === 0) this.#db.prepare('DELETE FROM sweeps WHERE id = ?').run(sweepId);
      return deleted;
    });
  }

  setSweepStatus(id: number, status: SweepStatus): void {
    SweepStatus.parse(status);
    const changed = this.#write(
      'updating a sweep',
      () => this.#db.prepare('UPDATE sweeps SET status = ? WHERE id = ?').run(status, id).changes,
    );
    if (changed === 0) throw sweepNotFound(id);
  }

  listSweeps(filter: { experimentId?: number | undefined } = {}): Sweep[] {
    const rows = this.#db
      .prepare(
        `SELECT id, uuid, experiment_id, name, spec, status, created_at, runs_on FROM sweeps
         WHERE (@experiment IS NULL OR experiment_id = @experiment) ORDER BY created_at DESC, id DESC`,
      )
      .all({ experiment: filter.experimentId ?? null }) as SweepDbRow[];
    return rows.map((row) => this.#sweepOf(row));
  }

  /** A sweep's status alone, without counting its runs (getSweep counts them: O(runs)). */
  sweepStatus(id: number): SweepStatus | undefined {
    return this.#db.prepare('SELECT status FROM sweeps WHERE id = ?').pluck().get(id) as SweepStatus | undefined;
  }

  getSweep(id: number): Sweep | undefined {
    const row = this.#db
      .prepare('SELECT id, uuid, experiment_id, name, spec, status, created_at, runs_on FROM sweeps WHERE id = ?')
      .get(id) as SweepDbRow | undefined;
    return row && this.#sweepOf(row);
  }

  #sweepOf(row: SweepDbRow): Sweep {
    const counts = this.#db.prepare('SELECT status, count(*) AS n FROM runs WHERE sweep_id = ? GROUP BY status').all(row.id) as {
      status: RunStatus;
      n: number;
    }[];
    const spec = JSON.parse(row.spec) as unknown;
    const axes = (spec as { axes?: unknown } | null)?.axes;
    // The sweep's best run on its main metric, by that metric's own direction.
    const summaries = this.#db
      .prepare(
        `SELECT lm.key, lm.best, lm.run_id FROM latest_metrics lm JOIN runs r ON r.id = lm.run_id
         WHERE r.sweep_id = ? AND lm.best IS NOT NULL`,
      )
      .raw()
      .all(row.id) as [string, number, number][];
    const metric = mainMetric([...new Set(summaries.map(([key]) => key))]);
    const better = metric ? metricKind(metric).better : null;
    let best: Sweep['best'] = null;
    for (const [key, value, runId] of summaries) {
      if (key !== metric || better === null || !Number.isFinite(value)) continue;
      if (!best || (better === 'max' ? value > best.value : value < best.value)) best = { metric, value, runId };
    }
    return {
      id: row.id,
      uuid: row.uuid,
      experimentId: row.experiment_id,
      name: row.name,
      spec,
      status: row.status,
      runsOn: row.runs_on,
      createdAt: row.created_at,
      runCounts: Object.fromEntries(counts.map((c) => [c.status, c.n])),
      axes: (axes !== null && typeof axes === 'object' && !Array.isArray(axes) ? Object.keys(axes) : []).map((name) => ({
        name,
        param: paramOfAxis(name),
      })),
      best,
    };
  }

  // ── runs ─────────────────────────────────────────────────────────────────

  /** Creates a run (queued by default) and its params (runParams) in one transaction. */
  createRun(input: NewRun): RunRecord {
    const parsed = NewRun.safeParse(input);
    if (!parsed.success) throw invalidInput('run', parsed.error);
    const run = parsed.data;
    const id = this.#write('creating a run', () => {
      for (const [field, table, value] of [
        ['experimentId', 'experiments', run.experimentId],
        ['sweepId', 'sweeps', run.sweepId],
        ['parentRunId', 'runs', run.parentRunId],
        ['derivedFromRunId', 'runs', run.derivedFromRunId],
      ] as const) {
        if (value != null && !this.#db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(value)) {
          throw new KernelLabError('not_found', `Invalid run: ${field}: ${table} ${value} does not exist`, [`${field}: does not exist`]);
        }
      }
      return this.#insertRun(this.#newRunRow(run, Date.now()), runParams(run));
    });
    this.#emitRun(id, run.status);
    return this.getRun(id)!;
  }

  #newRunRow(run: NewRunParsed, now: number) {
    const running = run.status === 'running';
    return {
      uuid: run.uuid ?? randomUUID(),
      name: run.name,
      experiment_id: run.experimentId ?? null,
      sweep_id: run.sweepId ?? null,
      parent_run_id: run.parentRunId ?? null,
      derived_from_run_id: run.derivedFromRunId ?? null,
      derived_epochs: run.derivedEpochs ?? null,
      status: run.status,
      ...contentColumns(run),
      worker_owner: running ? this.owner : null,
      worker_pid: running ? process.pid : null,
      lease_expires_at: running ? now + this.leaseMs : null,
      reserved_for: run.reservedFor,
      error: null,
      created_at: now,
      started_at: running || run.status === 'completed' ? now : null,
      ended_at: run.status === 'completed' ? now : null,
      updated_at: now,
      params_version: paramsVersion,
      pruned_epoch: null,
      pruned_rung: null,
    };
  }

  /** Replaces a run's hyperparameters; its params are derived again from the changed run. */
  setParams(runId: number, hyperparameters: Record<string, unknown>): void {
    const parsed = JsonObject.safeParse(hyperparameters);
    if (!parsed.success) throw invalidInput('hyperparameters', parsed.error);
    this.#write('setting params', () => {
      this.#requireRun(runId);
      this.#db
        .prepare('UPDATE runs SET hyperparameters = ?, updated_at = ? WHERE id = ?')
        .run(JSON.stringify(parsed.data), Date.now(), runId);
      this.#deriveParams(this.#requireRun(runId));
    });
  }

  /** Writes a run's params as runParams derives them from the run as stored; call inside a write. */
  #deriveParams(row: RunDbRow): void {
    // Written back as the run's own rows, without a shared set: a change to one run stays its own.
    this.#db.prepare('DELETE FROM run_params WHERE run_id = ?').run(row.id);
    for (const p of runParams(toRunRecord(row))) this.#stmt.insertParam.run(row.id, p.key, p.value, p.kind);
    this.#db.prepare('UPDATE runs SET params_version = ?, param_set_id = NULL WHERE id = ?').run(paramsVersion, row.id);
  }

  /**
   * Derives again the params of runs recorded by an older KernelLab (params_version below this
   * one's), so every run has the same params whichever version recorded it. Called on open.
   */
  upgradeParams(): number {
    const stale = this.#db.prepare('SELECT * FROM runs WHERE params_version < ?').all(paramsVersion) as RunDbRow[];
    if (stale.length === 0) return 0;
    this.#write(`deriving the params of ${stale.length} runs`, () => {
      for (const row of stale) this.#deriveParams(row);
    });
    return stale.length;
  }

  getRun(id: number): RunRecord | undefined {
    const row = this.#stmt.getRun.get(id) as RunDbRow | undefined;
    return row && toRunRecord(row);
  }

  getRunByUuid(uuid: string): RunRecord | undefined {
    const row = this.#db.prepare('SELECT * FROM runs WHERE uuid = ?').get(uuid) as RunDbRow | undefined;
    return row && toRunRecord(row);
  }

  #requireRun(id: number): RunDbRow {
    const row = this.#stmt.getRun.get(id) as RunDbRow | undefined;
    if (!row) throw runNotFound(id);
    return row;
  }

  /**
   * Moves a run to another status if `allowedTransitions` permits it; compare-and-set, so a
   * concurrent move by another process makes this one fail instead of overwriting it.
   */
  transition(runId: number, to: RunStatus, options: { error?: string | null } = {}): RunRecord {
    RunStatus.parse(to);
    const now = Date.now();
    this.#write(`setting run ${runId} to ${to}`, () => {
      const row = this.#requireRun(runId);
      if (!allowedTransitions[row.status].includes(to)) {
        const allowed = allowedTransitions[row.status];
        throw new KernelLabError(
          'conflict',
          `Run ${runId} is ${row.status}; it cannot become ${to} (from ${row.status} it can become ${allowed.length ? allowed.join(', ') : 'nothing: it is finished'})`,
        );
      }
      const running = to === 'running';
      this.#stmt.transition.run({
        to,
        now,
        running: running ? 1 : 0,
        ends: endsRun.has(to) ? 1 : 0,
        setError: options.error !== undefined ? 1 : 0,
        error: options.error ?? null,
        owner: this.owner,
        pid: process.pid,
        lease: now + this.leaseMs,
        id: runId,
        from: row.status,
      });
    });
    const run = this.getRun(runId)!;
    this.#emitRun(run.id, run.status);
    return run;
  }

  /** Extends a lease that still holds; false when the run was recovered or claimed again since. */
  renewLease(lease: Lease, leaseMs: number = this.leaseMs): boolean {
    return this.#write(`renewing the lease of run ${lease.runId}`, () => lifecycle.holdLease(this.#db, lease, Date.now() + leaseMs));
  }

  /**
   * The one final status of an execution (see settle in sweeps/execution.ts): running → `to`,
   * only while `lease` holds. False when it does not: the run was recovered or claimed again, and
   * its end is the new holder's to record. A pruned run names the epoch and rung it stopped at.
   */
  finishRun(lease: Lease, to: RunStatus, error: string | null, pruned: { epoch: number; rung: number | null } | null = null): boolean {
    if (!endsRun.has(to)) throw new KernelLabError('internal', `finishRun: ${to} does not end a run`);
    if ((to === 'pruned') !== (pruned !== null))
      throw new KernelLabError('internal', `finishRun: ${to} with pruned ${JSON.stringify(pruned)}`);
    const finished = this.#write(`ending run ${lease.runId} as ${to}`, () =>
      lifecycle.finishRun(this.#db, lease, to, error, Date.now(), pruned),
    );
    if (finished) this.#emitRun(lease.runId, to);
    return finished;
  }

  /**
   * Marks `interrupted` every running run whose lease has run out or whose owner process (on this
   * machine) no longer exists, and cancels queued runs reserved for such a process. Called on open;
   * the scheduler calls it again on its ticks, so a stalled process's runs do not wait forever.
   */
  recoverInterrupted(now: number = Date.now()): number[] {
    const gone = (owner: string | null) => owner !== null && this.ownerGone(owner);
    const dead = lifecycle
      .runningHolders(this.#db)
      .filter((r) => r.lease_expires_at === null || r.lease_expires_at < now || gone(r.worker_owner))
      .map((r) => r.id);
    const goneReservations = lifecycle.reservedOwners(this.#db).filter(gone);
    if (dead.length === 0 && goneReservations.length === 0) return [];
    const canceled = this.#write('recovering interrupted runs', () => {
      lifecycle.markInterrupted(this.#db, dead, stoppedWhileRunning, now);
      return goneReservations.flatMap((owner) =>
        lifecycle.cancelReserved(this.#db, owner, `the process that queued this run (${owner}) ended before it started`, now),
      );
    });
    for (const id of dead) this.#emitRun(id, 'interrupted');
    for (const id of canceled) this.#emitRun(id, 'canceled');
    return dead;
  }

  /** Whether `owner` (`host:pid`) is a process of this machine that no longer exists. */
  ownerGone(owner: string): boolean {
    if (!owner.startsWith(this.hostPrefix)) return false;
    const pid = Number(owner.slice(this.hostPrefix.length));
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid);
  }

  deleteRun(id: number): boolean {
    const changes = this.#write(`deleting run ${id}`, () => this.#db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes);
    return changes === 1;
  }

  // ── the queue (SQL in runQueue.ts) ───────────────────────────────────────

  /**
   * Takes the next queued run that may start (highest priority, then oldest; runs of a paused
   * sweep, derived runs and runs reserved for another owner are skipped) for `owner`, atomically
   * across processes, while fewer than `budget` runs train on this machine.
   */
  claimNextRunnable(
    owner: string = this.owner,
    leaseMs: number = this.leaseMs,
    options: { budget?: number; scope?: ClaimScope } = {},
  ): RunRecord | undefined {
    return this.#write('claiming a queued run', () =>
      lifecycle.claimNext(this.#db, {
        owner,
        pid: process.pid,
        leaseMs,
        hostPrefix: this.hostPrefix,
        budget: options.budget ?? Infinity,
        scope: options.scope ?? { kind: 'any' },
      }),
    );
  }

  /** Whether any queued run could be claimed now by `owner` with `scope` (its sweep, if any, is running). */
  hasClaimableRun(owner: string = this.owner, scope: ClaimScope = { kind: 'any' }): boolean {
    return this.#read('reading the queue', () => lifecycle.hasClaimable(this.#db, owner, scope));
  }

  /** Runs training now on this machine, in every process on this database. */
  runningOnThisMachine(): number {
    return this.#read('counting running runs', () => lifecycle.runningOnHost(this.#db, this.hostPrefix));
  }

  /** Queues an interrupted run again, marked to continue from its last checkpoint; false if it is not interrupted. */
  requeue(runId: number): boolean {
    const requeued = this.#write(`queueing run ${runId} again`, () => {
      const row = this.#requireRun(runId);
      if (row.status !== 'interrupted') return false;
      queue.markResume(this.#db, runId);
      this.#stmt.transition.run({
        to: 'queued',
        now: Date.now(),
        running: 0,
        ends: 0,
        setError: 0,
        error: null,
        owner: this.owner,
        pid: process.pid,
        lease: 0,
        id: runId,
        from: 'interrupted',
      });
      return true;
    });
    if (requeued) this.#emitRun(runId, 'queued');
    return requeued;
  }

  runsOfSweep(sweepId: number): RunRecord[] {
    return this.#read(`reading the runs of sweep ${sweepId}`, () => queue.runsOfSweep(this.#db, sweepId));
  }

  runsWithStatus(status: RunStatus, sweepId?: number): RunRecord[] {
    return this.#read(`reading ${status} runs`, () => queue.runsWithStatus(this.#db, status, sweepId));
  }

  /** Sets the priority of a run or of every not-yet-finished run of a sweep; returns how many changed. */
  setPriority(target: { runId: number } | { sweepId: number }, priority: number): number {
    const changed = this.#write('setting a priority', () => queue.setPriority(this.#db, target, priority));
    if ('runId' in target && changed === 0) throw runNotFound(target.runId);
    return changed;
  }

  /** The metric `key` at `epoch` of a sweep's trained runs that reached it: a pruner's peers. */
  sweepMetricAtEpoch(sweepId: number, key: string, epoch: number): ReturnType<typeof sweepSearch.metricAtEpoch> {
    return this.#read(`reading ${key} at epoch ${epoch} in sweep ${sweepId}`, () =>
      sweepSearch.metricAtEpoch(this.#db, sweepId, key, epoch),
    );
  }

  /** One run's metric `key` at each epoch's end. */
  runMetricByEpoch(runId: number, key: string): ReturnType<typeof sweepSearch.runMetricByEpoch> {
    return this.#read(`reading ${key} of run ${runId}`, () => sweepSearch.runMetricByEpoch(this.#db, runId, key));
  }

  /** Every per-epoch value of metric `key` of a sweep's runs. */
  sweepMetricSeries(sweepId: number, key: string): ReturnType<typeof sweepSearch.metricSeriesOfSweep> {
    return this.#read(`reading ${key} of sweep ${sweepId}`, () => sweepSearch.metricSeriesOfSweep(this.#db, sweepId, key));
  }

  /**
   * Adds the runs of a newly proposed sweep point (and the sweep's updated plan) in one
   * transaction, only if the sweep's last point is still `after`: when another process proposed
   * first, nothing is written and null is returned.
   */
  appendSweepPoint(sweepId: number, after: number, plan: unknown, runs: readonly NewRun[]): number[] | null {
    return this.#write(`adding a point to sweep ${sweepId}`, () => {
      if (sweepSearch.lastPointOfSweep(this.#db, sweepId) !== after) return null;
      if (sweepSearch.setSweepPlan(this.#db, sweepId, plan) === 0) throw sweepNotFound(sweepId);
      return runs.map((run) => this.createRun(run).id);
    });
  }

  /** Replaces the plan stored with a sweep (points learned infeasible, a budget spent). */
  setSweepPlan(sweepId: number, plan: unknown): void {
    const changed = this.#write(`updating the plan of sweep ${sweepId}`, () => sweepSearch.setSweepPlan(this.#db, sweepId, plan));
    if (changed === 0) throw sweepNotFound(sweepId);
  }

  /** The derived run of `sourceId` for `epochs`, if epoch folding has recorded it. */
  derivedRun(sourceId: number, epochs: number): RunRecord | undefined {
    return this.#read('reading a derived run', () => queue.derivedRun(this.#db, sourceId, epochs));
  }

  /** Throughput of finished runs on this machine: samples/s per backend from their epochEnd metrics. */
  measuredThroughput(keys: readonly string[]): ReturnType<typeof queue.measuredThroughput> {
    return this.#read('reading measured throughput', () => queue.measuredThroughput(this.#db, keys));
  }

  /** Sweeps that are not finished and have queued or interrupted runs. */
  unfinishedSweepIds(): number[] {
    return this.#read('reading unfinished sweeps', () => queue.unfinishedSweepIds(this.#db));
  }

  /** Gives a derived run the timing of the part of its source it stands for. */
  setRunTimes(runId: number, startedAt: number, endedAt: number): void {
    this.#write('setting run times', () => queue.setRunTimes(this.#db, runId, startedAt, endedAt));
  }

  // ── metrics ──────────────────────────────────────────────────────────────

  /**
   * Writes metric points in ONE transaction with the latest_metrics summaries. The whole batch is
   * validated first (schema, then that every run exists); a bad item rejects the batch unwritten.
   * A point at an existing (run, key, step) replaces it.
   */
  logBatch(items: readonly MetricPointInput[], fence?: Fence): { written: number } {
    const parsed = MetricBatch.safeParse(items);
    if (!parsed.success) throw invalidInput('metric batch', parsed.error);
    const points = parsed.data;
    if (points.length === 0) return { written: 0 };
    const keys = new Set<string>();
    for (const [index, p] of points.entries()) {
      if (keys.has(p.key)) continue;
      const checked = MetricKey.safeParse(p.key);
      if (!checked.success)
        throw invalidInput('metric batch', new z.ZodError(checked.error.issues.map((i) => ({ ...i, path: [index, 'key', ...i.path] }))));
      keys.add(p.key);
    }
    const now = Date.now();

    const runIds = [...new Set(points.map((p) => p.runId))];
    for (const runId of runIds) {
      if (!this.#stmt.runExists.get(runId)) {
        const index = points.findIndex((p) => p.runId === runId);
        throw new KernelLabError('not_found', `Invalid metric batch: ${index}.runId: run ${runId} does not exist`, [
          `${index}.runId: run ${runId} does not exist`,
        ]);
      }
    }
    const rows: MetricRow[] = points.map((p) => ({ ...p, wallMs: Math.round(p.wallMs ?? now) }));
    this.#write(`writing ${points.length} metric points`, () => {
      this.#fence(fence, `writing ${points.length} metric points`);
      this.#writeMetrics(rows);
      for (const runId of runIds) this.#stmt.touchLease.run(now + this.leaseMs, runId);
    });

    if (this.#events) {
      const byRun = new Map<
        number,
        { key: string; step: number; epoch: number; wallMs: number; value: ReturnType<typeof encodeMetricValue> }[]
      >();
      for (const p of rows) {
        let list = byRun.get(p.runId);
        if (!list) byRun.set(p.runId, (list = []));
        list.push({ key: p.key, step: p.step, epoch: p.epoch, wallMs: p.wallMs, value: encodeMetricValue(p.value) });
      }
      for (const [runId, list] of byRun) this.#events.emit('metrics.appended', { runId, points: list });
    }
    return { written: points.length };
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
    const parsed = NewCheckpoint.safeParse(checkpoint);
    if (!parsed.success) throw invalidInput('checkpoint', parsed.error);
    const c = parsed.data;
    return this.#write('recording a checkpoint', () => {
      this.#requireRun(runId);
      this.#fence(fence, `recording the epoch-${c.epoch} checkpoint`);
      // A weight snapshot is written again when its epoch is trained again (a run resumed from the
      // checkpoint before it): the folder was replaced, so its row is too.
      if (c.kind === 'epoch') this.#stmt.deleteSnapshotRow.run(runId, c.epoch, c.path);
      return Number(
        this.#stmt.insertCheckpoint.run(runId, c.epoch, c.kind, c.path, c.bytes, c.sha256, c.metric, c.value, Date.now()).lastInsertRowid,
      );
    });
  }

  /** A run's checkpoint rows (what a worker or a folded sweep recorded), oldest epoch first. */
  checkpointsOf(runId: number): { epoch: number; kind: 'best' | 'last' | 'epoch'; path: string }[] {
    return checkpointRows(this.#db, runId);
  }

  /** Records (or replaces) the evaluation of a run on one split. */
  addEvaluation(runId: number, evaluation: NewEvaluation, fence?: Fence): void {
    const parsed = NewEvaluation.safeParse(evaluation);
    if (!parsed.success) throw invalidInput('evaluation', parsed.error);
    const e = parsed.data;
    this.#write('recording an evaluation', () => {
      this.#requireRun(runId);
      this.#fence(fence, `recording the ${e.split} evaluation`);
      this.#stmt.upsertEvaluation.run(
        runId,
        e.split,
        e.loss,
        e.accuracy,
        JSON.stringify(e.confusion),
        JSON.stringify(e.perClass),
        JSON.stringify(e.mostWrong),
        Date.now(),
      );
    });
  }

  setTags(runId: number, tags: readonly string[]): string[] {
    const unique = [...new Set(tags.map((t) => t.trim()).filter((t) => t.length > 0))].sort();
    this.#write('setting tags', () => {
      this.#requireRun(runId);
      this.#db.prepare('DELETE FROM tags WHERE run_id = ?').run(runId);
      const insert = this.#db.prepare('INSERT INTO tags (run_id, tag) VALUES (?, ?)');
      for (const tag of unique) insert.run(runId, tag);
    });
    this.#emitRun(runId);
    return unique;
  }

  /** Records which backend and device a worker actually used (its trainBegin), so open views show it at once. */
  setDevice(runId: number, backend: string, device: string, runtime?: Record<string, unknown>, fence?: Fence): void {
    this.#write('recording the backend', () => {
      this.#fence(fence, 'recording the backend and device');
      if (runtime)
        // Threads, engine versions, GPU: kept in the run's environment under `runtime`, replaced on resume.
        this.#db
          .prepare(
            "UPDATE runs SET backend = ?, device = ?, environment = json_set(environment, '$.runtime', json(?)), updated_at = ? WHERE id = ?",
          )
          .run(backend, device, JSON.stringify(runtime), Date.now(), runId);
      else this.#db.prepare('UPDATE runs SET backend = ?, device = ?, updated_at = ? WHERE id = ?').run(backend, device, Date.now(), runId);
      // The backend that ran is a param (it changes results); derived again with the rest.
      const row = this.#stmt.getRun.get(runId) as RunDbRow | undefined;
      if (row) this.#deriveParams(row);
    });
    this.#emitRun(runId);
  }

  // ── settings shared by every process on the data folder ─────────────────

  /** A setting's JSON value, or undefined when it was never set. */
  getSetting(key: string): unknown {
    const value = this.#read(`reading setting ${key}`, () =>
      this.#db.prepare('SELECT value FROM settings WHERE key = ?').pluck().get(key),
    ) as string | undefined;
    return value === undefined ? undefined : (JSON.parse(value) as unknown);
  }

  setSetting(key: string, value: unknown): void {
    this.#write(`saving setting ${key}`, () =>
      this.#db
        .prepare(
          'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
        )
        .run(key, JSON.stringify(value), Date.now()),
    );
  }

  setNote(runId: number, body: string): string {
    this.#write('saving a note', () => {
      this.#requireRun(runId);
      if (body.trim() === '') this.#db.prepare('DELETE FROM notes WHERE run_id = ?').run(runId);
      else
        this.#db
          .prepare(
            'INSERT INTO notes (run_id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at',
          )
          .run(runId, body, Date.now());
    });
    this.#emitRun(runId);
    return body.trim() === '' ? '' : body;
  }

  // ── queries, export, import (SQL in queries.ts / exchange.ts) ───────────

  listRuns(query: ListRunsQuery = {}): ReturnType<typeof listRuns> {
    return this.#read('listing runs', () => listRuns(this.#db, query));
  }

  /** The columns the runs a filter selects call for: the params that vary among them, the main metric. */
  tableColumns(filter: RunsFilter = {}): TableColumns {
    return this.#read('choosing the columns of runs', () => tableColumns(this.#db, filter));
  }

  runDetail(id: number): RunDetail {
    const detail = this.#read(`reading run ${id}`, () => runDetail(this.#db, id));
    if (!detail) throw runNotFound(id);
    return detail;
  }

  metricSeries(runId: number, options: { keys?: string[] | undefined; maxPoints?: number | undefined } = {}): SeriesResult {
    this.#requireRun(runId);
    return this.#read(`reading the metrics of run ${runId}`, () => metricSeries(this.#db, runId, options));
  }

  compareRuns(query: CompareQuery): CompareResult {
    return this.#read('comparing runs', () => compareRuns(this.#db, query));
  }

  pivot(query: PivotQuery): PivotResult {
    return this.#read('building the pivot', () => pivot(this.#db, query));
  }

  exportRuns(
    selection: ExportSelection,
    format: ExportFormat = 'json',
  ): { filename: string; mediaType: string; content: string; runCount: number } {
    return this.#read('exporting runs', () => exportRuns(this.#db, selection, format));
  }

  /**
   * Imports a JSON export a chunk at a time (importRuns.ts): bounded work, nothing left behind on
   * failure, statuses from elsewhere never runnable here.
   */
  async importRuns(content: string, options: ImportOptions = {}): Promise<{ imported: number; skipped: number }> {
    try {
      return await importRunsExport(
        { db: this.#db, write: (doing, fn) => this.#write(doing, fn), insertRun: this.#insertRun, writeMetrics: this.#writeMetrics },
        content,
        options,
      );
    } catch (error) {
      throw describeSqliteError(this.path, error, 'importing runs');
    }
  }

  #emitRun(runId: number, status?: RunStatus): void {
    if (!this.#events) return;
    const s = status ?? (this.#db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: RunStatus } | undefined)?.status;
    if (!s) return;
    this.#events.emit('run.updated', { runId, status: s, summary: this.summary(runId) });
  }
}

interface SweepDbRow {
  id: number;
  uuid: string;
  experiment_id: number | null;
  name: string;
  spec: string;
  status: SweepStatus;
  created_at: number;
  runs_on: 'here' | 'agents';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function prepareStatements(db: SqliteDatabase) {
  return {
    getRun: db.prepare('SELECT * FROM runs WHERE id = ?'),
    runExists: db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck(),
    insertParam: db.prepare('INSERT INTO run_params (run_id, key, value, kind) VALUES (?, ?, ?, ?)'),
    touchLease: db.prepare("UPDATE runs SET lease_expires_at = ? WHERE id = ? AND status = 'running'"),
    transition: db.prepare(
      `UPDATE runs SET status = @to, updated_at = @now,
         started_at = CASE WHEN @running THEN coalesce(started_at, @now) ELSE started_at END,
         ended_at = CASE WHEN @ends THEN @now WHEN @to = 'queued' THEN NULL ELSE ended_at END,
         error = CASE WHEN @setError THEN @error ELSE error END,
         worker_owner = CASE WHEN @running THEN @owner ELSE NULL END,
         worker_pid = CASE WHEN @running THEN @pid ELSE NULL END,
         lease_expires_at = CASE WHEN @running THEN @lease ELSE NULL END
       WHERE id = @id AND status = @from`,
    ),
    deleteSnapshotRow: db.prepare("DELETE FROM checkpoints WHERE run_id = ? AND epoch = ? AND kind = 'epoch' AND path = ?"),
    insertCheckpoint: db.prepare(
      'INSERT INTO checkpoints (run_id, epoch, kind, path, bytes, sha256, metric, value, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    upsertEvaluation: db.prepare(
      `INSERT INTO evaluations (run_id, split, loss, accuracy, confusion, per_class, most_wrong, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, split) DO UPDATE SET loss = excluded.loss, accuracy = excluded.accuracy, confusion = excluded.confusion,
         per_class = excluded.per_class, most_wrong = excluded.most_wrong, created_at = excluded.created_at`,
    ),
  };
}
