/**
 * What RunStore's parts share: the database handle and the way every read and write goes through
 * it (errors mapped to sentences, the file identity check, lease fences, `run.updated` events).
 * RunStore holds its one StoreContext privately and hands it only to the core/db modules that
 * carry its methods (sweepRecords.ts, runRecords.ts, runData.ts): nothing outside core/db
 * reaches the handle.
 */
import { statSync } from 'node:fs';
import { coreText, type CoreText } from '../contract/coreText.ts';
import type { RunStatus } from '../contract/index.ts';
import type { EventBus } from '../events.ts';
import { DatabaseError, describeSqliteError, type SqliteDatabase } from './database.ts';
import { metricWriter, type MetricWriter } from './metricWrite.ts';
import { summariesOf } from './queries.ts';
import { runRowColumns, type Lease } from './records.ts';
import { runInserter, sharedModelSpecs, type RunInserter, type SharedModelSpecs } from './runInsert.ts';
import { holdLease, LeaseLost } from './runLifecycle.ts';

/** Who holds a write: an execution names its lease, and the write happens only while it holds. */
export interface Fence {
  lease?: Lease | undefined;
}

export class StoreContext {
  readonly db: SqliteDatabase;
  readonly path: string;
  /** Where `run.updated` and `metrics.appended` go; none in tools that only read. */
  readonly events: EventBus | undefined;
  /** Owner name for leases taken by this process (`host:pid`). */
  readonly owner: string;
  readonly leaseMs: number;
  /** `host:` — the prefix of this machine's lease owners (the worker budget counts them). */
  readonly hostPrefix: string;
  readonly stmt: ReturnType<typeof prepareStatements>;
  readonly writeMetrics: MetricWriter;
  readonly insertRun: RunInserter;
  /** A sweep's runs share stored model specs: one memo per transaction (runInsert.ts). */
  readonly modelSpecIds: SharedModelSpecs;
  /** The database file as opened (device, inode): a file deleted or replaced under us is noticed. */
  readonly #identity: { dev: number; ino: number } | null;

  constructor(
    db: SqliteDatabase,
    path: string,
    options: { events: EventBus | undefined; owner: string; leaseMs: number; hostPrefix: string },
  ) {
    this.db = db;
    this.path = path;
    this.events = options.events;
    this.owner = options.owner;
    this.leaseMs = options.leaseMs;
    this.hostPrefix = options.hostPrefix;
    this.stmt = prepareStatements(db);
    this.writeMetrics = metricWriter(db);
    this.insertRun = runInserter(db);
    this.modelSpecIds = sharedModelSpecs(db);
    const stat = path === ':memory:' ? null : statSync(path, { throwIfNoEntry: false });
    this.#identity = stat ? { dev: stat.dev, ino: stat.ino } : null;
  }

  /** Runs a read; a database damaged since it was opened gets the same clear error as at open. */
  read<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (error) {
      throw describeSqliteError(this.path, error, doing);
    }
  }

  write<T>(doing: string, fn: () => T): T {
    const gone = this.fileGone();
    if (gone)
      // The step (`doing`) is one of many English phrases: the Korean names it as it is, after the problem and that nothing was written.
      throw new DatabaseError(
        'gone',
        `${gone.sentence}: ${doing} was refused, nothing was written.`,
        'unavailable',
        coreText('db_gone_write_refused', {
          problem: [{ sentence: gone.sentence, path: '', text: gone.text }],
          doing: doing.slice(0, 1000),
        }),
      );
    try {
      return this.db.transaction(fn).immediate();
    } catch (error) {
      throw describeSqliteError(this.path, error, doing);
    }
  }

  /**
   * Why writes would be lost, or null: SQLite keeps writing into a database file that was deleted
   * or replaced while it is open, so every write first checks the file is still the one opened.
   */
  fileProblem(): string | null {
    return this.fileGone()?.sentence ?? null;
  }

  /** fileProblem's sentence with its coded form (db_gone_*), for a reader in the user's language (the About page's health line). */
  fileGone(): { sentence: string; text: CoreText } | null {
    if (!this.#identity) return null;
    const now = statSync(this.path, { throwIfNoEntry: false });
    const path = this.path.slice(0, 1000);
    if (!now)
      return {
        sentence: `The database ${this.path} was deleted while KernelLab had it open; restart KernelLab (it starts a new, empty database there)`,
        text: coreText('db_gone_deleted', { path }),
      };
    if (now.dev !== this.#identity.dev || now.ino !== this.#identity.ino)
      return {
        sentence: `The database ${this.path} was replaced by another file while KernelLab had it open; restart KernelLab to open the new one`,
        text: coreText('db_gone_replaced', { path }),
      };
    return null;
  }

  /**
   * Extends `fence.lease` inside the current transaction; throws LeaseLost (and so writes
   * nothing) when the lease no longer holds. No lease: an unfenced write (tools, tests, recorders
   * that own the run outright).
   */
  fence(fence: Fence | undefined, doing: string): void {
    if (!fence?.lease) return;
    if (!holdLease(this.db, fence.lease, Date.now() + this.leaseMs)) throw new LeaseLost(fence.lease, doing);
  }

  emitRun(runId: number, status?: RunStatus): void {
    if (!this.events) return;
    const s = status ?? (this.db.prepare('SELECT status FROM runs WHERE id = ?').get(runId) as { status: RunStatus } | undefined)?.status;
    if (!s) return;
    this.events.emit('run.updated', { runId, status: s, summary: summariesOf(this.db, [runId]).get(runId) ?? [] });
  }
}

function prepareStatements(db: SqliteDatabase) {
  return {
    getRun: db.prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE id = ?`),
    runExists: db.prepare('SELECT 1 FROM runs WHERE id = ?').pluck(),
    sweepExists: db.prepare('SELECT 1 FROM sweeps WHERE id = ?').pluck(),
    insertParam: db.prepare('INSERT INTO run_params (run_id, key, value, kind) VALUES (?, ?, ?, ?)'),
    touchLease: db.prepare("UPDATE runs SET lease_expires_at = ? WHERE id = ? AND status = 'running'"),
    transition: db.prepare(
      `UPDATE runs SET status = @to, updated_at = @now,
         started_at = CASE WHEN @running THEN coalesce(started_at, @now) ELSE started_at END,
         ended_at = CASE WHEN @ends THEN @now WHEN @to = 'queued' THEN NULL ELSE ended_at END,
         error = CASE WHEN @setError THEN @error ELSE error END,
         error_code = CASE WHEN @setError THEN @errorCode ELSE error_code END,
         error_issues = CASE WHEN @setError THEN NULL ELSE error_issues END,
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
