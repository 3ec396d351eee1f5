/**
 * Opening the experiment database: checks first (read-only), migrates second, and refuses anything
 * it cannot vouch for without touching the file.
 *
 * Migrations are `migrations/NNNN_name.sql` files, plain SQL without BEGIN/COMMIT. Each is applied
 * together with its ledger row in `schema_migrations(version, name, checksum, applied_at)` in one
 * transaction, so a crash or a full disk leaves the database at the previous version. The applied
 * ledger must be a prefix of the files on disk with the same checksums (sha256 of the file with CRLF
 * normalised to LF, so a Windows checkout does not count as a change).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { KernelLabError, type ErrorCode } from '../errors.ts';

export type SqliteDatabase = Database.Database;

export const defaultMigrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export type DatabaseProblem =
  | 'not_sqlite'
  | 'corrupt'
  | 'newer_than_app'
  | 'changed_migration'
  | 'unknown_migration'
  | 'not_kernellab'
  | 'read_only'
  | 'disk_full'
  | 'gone'
  | 'migration_failed';

/** Why a database was refused; `problem` lets callers and tests tell the cases apart. */
export class DatabaseError extends KernelLabError {
  readonly problem: DatabaseProblem;
  constructor(problem: DatabaseProblem, message: string, code: ErrorCode = 'unavailable', text?: CoreText) {
    super(code, message, undefined, text ? { text } : {});
    this.problem = problem;
  }
}

/**
 * The steps of opening a store whose failures are said in the user's language (the catalogue's
 * `db_step_<step>`, see i18n/coreText.ts); a failure while doing anything else keeps its English.
 */
const openSteps: Record<string, string> = {
  'checking the database': 'checking',
  'opening the database': 'opening',
  'migrating the database': 'migrating',
  'deriving the params of older runs': 'params',
  'recovering interrupted runs': 'recovering',
};

export interface Migration {
  version: number;
  name: string;
  file: string;
  sql: string;
  checksum: string;
}

interface LedgerRow {
  version: number;
  name: string;
  checksum: string;
  applied_at: number;
}

const migrationFile = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** A migration whose first line is `-- kernellab: foreign keys off` runs with foreign keys off (a table rebuild). */
function foreignKeysOff(sql: string): boolean {
  return /^-- kernellab: foreign keys off\s*$/m.test(sql.split('\n', 1)[0] ?? '');
}

export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** The migration files in order; a gap or a duplicate version is a packaging bug and throws. */
export function loadMigrations(dir: string = defaultMigrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = migrationFile.exec(file);
      if (!match) throw new KernelLabError('internal', `Migration file ${join(dir, file)} is not named NNNN_name.sql`);
      const sql = readFileSync(join(dir, file), 'utf8');
      return { version: Number(match[1]), name: match[2]!, file, sql, checksum: checksumOf(sql) };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new KernelLabError('internal', `Migrations in ${dir} must be numbered 0001, 0002, … without gaps: found ${m.file}`);
  });
  return migrations;
}

export interface OpenDatabaseOptions {
  migrationsDir?: string;
  /** Apply migrations up to this version only (tests build older databases with it). */
  targetVersion?: number;
  /**
   * Caps the database size in pages (`PRAGMA max_page_count`, per connection). Tests use it to
   * simulate a full disk: writes past the cap fail with SQLITE_FULL exactly as a full disk does.
   */
  maxPageCount?: number;
  /** How long a writer waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
}

const sqliteMagic = Buffer.from('SQLite format 3\0', 'latin1');

function readHeader(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(100);
    const n = readSync(fd, header, 0, 100, 0);
    return header.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Maps SQLite's error codes to the problem a user can act on. */
export function describeSqliteError(path: string, error: unknown, doing: string): KernelLabError {
  if (error instanceof KernelLabError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  const dbStep = openSteps[doing];
  const shown = path.slice(0, 1000);
  const reason = message.slice(0, 1000);
  if (code === 'SQLITE_FULL') {
    return new DatabaseError(
      'disk_full',
      `The disk holding ${path} is full: ${doing} failed and nothing of it was written. Free some space and try again.`,
      'unavailable',
      dbStep ? coreText('db_disk_full', { path: shown, dbStep }) : undefined,
    );
  }
  if (code === 'SQLITE_READONLY' || code.startsWith('SQLITE_READONLY_') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM') {
    return new DatabaseError(
      'read_only',
      `Cannot write ${path} (${code}): ${doing} failed. The data folder ${dirname(path)} must be writable; choose another with --home or KERNELLAB_HOME.`,
      'unavailable',
      dbStep ? coreText('db_read_only', { path: shown, code, dbStep, folder: dirname(path).slice(0, 1000) }) : undefined,
    );
  }
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT_')) {
    return new DatabaseError(
      'corrupt',
      `The database ${path} is damaged (${message}). It was left as it is: move it aside (or restore a backup) and KernelLab will start a new one.`,
      'unavailable',
      coreText('db_damaged', { path: shown, reason }),
    );
  }
  return new KernelLabError(
    'internal',
    `${doing} on ${path} failed: ${message}`,
    undefined,
    dbStep ? { text: coreText('db_failed', { path: shown, dbStep, reason }) } : {},
  );
}

function readLedger(db: SqliteDatabase): LedgerRow[] | null {
  const table = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!table) {
    const others = db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'").get() as { n: number };
    return others.n === 0 ? [] : null;
  }
  return db.prepare('SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version').all() as LedgerRow[];
}

/** A recorded migration as its file is named: 0003_sweeps. */
const migrationName = (row: LedgerRow) => `${String(row.version).padStart(4, '0')}_${row.name}`.slice(0, 1000);

/** Compares the ledger with the files; returns the migrations still to apply or throws why not. */
export function planMigrations(path: string, ledger: LedgerRow[], migrations: Migration[]): Migration[] {
  const latest = migrations.length;
  for (const [i, row] of ledger.entries()) {
    const file = migrations[i];
    if (row.version > latest) {
      throw new DatabaseError(
        'newer_than_app',
        `The database ${path} was written by a newer KernelLab (schema version ${ledger.at(-1)!.version}; this app knows up to ${latest}). ` +
          `It was left untouched: install the newer KernelLab, or choose another data folder with --home.`,
        'conflict',
        coreText('db_newer_than_app', { path: path.slice(0, 1000), version: ledger.at(-1)!.version, latest }),
      );
    }
    if (!file || file.version !== row.version || file.name !== row.name) {
      throw new DatabaseError(
        'unknown_migration',
        `The database ${path} records migration ${String(row.version).padStart(4, '0')}_${row.name}, which this app does not have ` +
          `(it has ${file ? file.file : 'no migration'} at that version). It was left untouched: open it with the KernelLab that created it.`,
        'conflict',
        file
          ? coreText('db_unknown_migration', { path: path.slice(0, 1000), migration: migrationName(row), file: file.file })
          : coreText('db_unknown_migration_none', { path: path.slice(0, 1000), migration: migrationName(row) }),
      );
    }
    if (file.checksum !== row.checksum) {
      throw new DatabaseError(
        'changed_migration',
        `migrations/${file.file} has changed since it was applied to ${path} (checksum ${row.checksum.slice(0, 12)}… then, ${file.checksum.slice(0, 12)}… now). ` +
          `The database was left untouched. Restore the original file; to change the schema add a new migration instead.`,
        'conflict',
        coreText('db_changed_migration', {
          file: file.file,
          path: path.slice(0, 1000),
          then: row.checksum.slice(0, 12),
          now: file.checksum.slice(0, 12),
        }),
      );
    }
  }
  return migrations.slice(ledger.length);
}

function checkExisting(path: string, migrations: Migration[]): Migration[] {
  const size = statSync(path).size;
  // A zero-byte file is what SQLite itself treats as an empty database.
  if (size === 0) return migrations;
  const header = readHeader(path);
  if (header.length < 100 || !header.subarray(0, 16).equals(sqliteMagic)) {
    throw new DatabaseError(
      'not_sqlite',
      `${path} is not a SQLite database (its first bytes are not "SQLite format 3"). It was left untouched: move it aside and KernelLab will create a new database.`,
      'unavailable',
      coreText('db_not_sqlite', { path: path.slice(0, 1000) }),
    );
  }
  // The header records the page count; a shorter file lost its tail. (Skipped while a WAL file
  // exists: then the newest pages may legitimately live in the WAL.)
  const pageSize = header.readUInt16BE(16) === 1 ? 65536 : header.readUInt16BE(16);
  const pages = header.readUInt32BE(28);
  if (!existsSync(`${path}-wal`) && pages > 0 && size < pages * pageSize) {
    throw new DatabaseError(
      'corrupt',
      `The database ${path} is truncated (${size} bytes, its header says ${pages * pageSize}). It was left as it is: restore a backup or move it aside and KernelLab will start a new one.`,
      'unavailable',
      coreText('db_truncated', { path: path.slice(0, 1000), bytes: size, expected: pages * pageSize }),
    );
  }
  let db: SqliteDatabase | undefined;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check(1)', { simple: true }) as string;
    if (check !== 'ok') throw Object.assign(new Error(check), { code: 'SQLITE_CORRUPT' });
    const ledger = readLedger(db);
    if (ledger === null) {
      throw new DatabaseError(
        'not_kernellab',
        `${path} is a SQLite database but not a KernelLab one (it has tables and no schema_migrations). It was left untouched: choose another data folder.`,
        'conflict',
        coreText('db_not_kernellab', { path: path.slice(0, 1000) }),
      );
    }
    return planMigrations(path, ledger, migrations);
  } catch (error) {
    throw describeSqliteError(path, error, 'checking the database');
  } finally {
    db?.close();
  }
}

export interface OpenedDatabase {
  db: SqliteDatabase;
  /** Versions applied by this open, in order (empty when the database was up to date). */
  applied: number[];
  version: number;
}

/** Consecutive migrations that share their foreign-keys setting (foreignKeysOff), in order. */
function segmentsOf(migrations: readonly Migration[]): Migration[][] {
  const segments: Migration[][] = [];
  for (const m of migrations) {
    const current = segments.at(-1);
    if (current && foreignKeysOff(current[0]!.sql) === foreignKeysOff(m.sql)) current.push(m);
    else segments.push([m]);
  }
  return segments;
}

/** Runs one migration's SQL inside the migrating transaction; a keys-off one must leave every foreign key whole. */
function applyMigration(db: SqliteDatabase, path: string, m: Migration): void {
  try {
    db.exec(m.sql);
  } catch (error) {
    const code = (error as { code?: string }).code ?? '';
    if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_READONLY')) throw error;
    throw new DatabaseError(
      'migration_failed',
      `Migration ${m.file} failed on ${path}: ${(error as Error).message}. Nothing of it was applied.`,
      'internal',
      coreText('db_migration_failed', { file: m.file, path: path.slice(0, 1000), reason: (error as Error).message.slice(0, 1000) }),
    );
  }
  if (!foreignKeysOff(m.sql)) return;
  const broken = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
  if (broken.length > 0)
    throw new DatabaseError(
      'migration_failed',
      `Migration ${m.file} left ${broken.length} rows pointing at missing rows (first: ${broken[0]!.table} row ${broken[0]!.rowid} → ${broken[0]!.parent}) on ${path}. Nothing of it was applied.`,
      'internal',
      coreText('db_migration_broken_keys', {
        file: m.file,
        count: broken.length,
        table: broken[0]!.table,
        rowid: String(broken[0]!.rowid),
        parent: broken[0]!.parent,
        path: path.slice(0, 1000),
      }),
    );
}

/**
 * Opens (creating if needed) the database at `path`, migrated to the newest schema, with WAL,
 * foreign keys and a busy timeout. Throws DatabaseError, leaving the file as it was, when the
 * file is not SQLite, is damaged, is newer than the app or its migrations do not match.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const all = loadMigrations(options.migrationsDir);
  const migrations = options.targetVersion === undefined ? all : all.slice(0, options.targetVersion);
  const pending = existsSync(path) ? checkExisting(path, migrations) : migrations;

  let db: SqliteDatabase;
  try {
    db = new Database(path);
  } catch (error) {
    throw describeSqliteError(path, error, 'opening the database');
  }
  const applied: number[] = [];
  try {
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.trunc(options.maxPageCount)}`);
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives a process crash (SIGKILL); only a power
    // loss can drop the last commits. FULL would fsync every metric batch.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // 64 MiB of page cache (default 2 MiB): the metrics b-tree and the list queries stay in memory.
    db.pragma('cache_size = -65536');
    // A migration that rebuilds a table (SQLite's way to change a constraint) asks on its first line
    // for foreign keys off: dropping the old table would otherwise cascade into every child row. The
    // pragma is a no-op inside a transaction, so the pending migrations are applied in segments of
    // the same setting, each segment one transaction set around with it, and the keys are checked
    // before a keys-off segment commits. One transaction for all of them left a DELETE meant to
    // cascade (0011's unused param sets) without its cascade when a later rebuild (0016) shared it.
    const migrate = db.transaction((segment: readonly Migration[]) => {
      db.exec(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)',
      );
      const insert = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
      // Re-plan inside the write lock: another process may have migrated since the read-only check.
      const last = segment.at(-1)!.version;
      const todo = planMigrations(path, readLedger(db) ?? [], migrations).filter((m) => m.version <= last);
      for (const m of todo) {
        applyMigration(db, path, m);
        insert.run(m.version, m.name, m.checksum, Date.now());
        applied.push(m.version);
      }
    });
    if (pending.length === 0) planMigrations(path, readLedger(db) ?? [], migrations);
    for (const segment of segmentsOf(pending)) {
      const keysOff = foreignKeysOff(segment[0]!.sql);
      if (keysOff) db.pragma('foreign_keys = OFF');
      try {
        migrate.immediate(segment);
      } finally {
        if (keysOff) db.pragma('foreign_keys = ON');
      }
    }
  } catch (error) {
    db.close();
    throw describeSqliteError(path, error, 'migrating the database');
  }
  return { db, applied, version: migrations.length };
}
