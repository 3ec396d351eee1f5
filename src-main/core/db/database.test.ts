import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { DatabaseError, defaultMigrationsDir, loadMigrations, openDatabase } from './database.ts';
import { RunStore } from './RunStore.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTempDir();
});
afterEach(() => tmp.cleanup());

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

function schemaOf(db: Database.Database): string {
  const rows = db
    .prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND sql IS NOT NULL ORDER BY type, name")
    .all() as { type: string; name: string; sql: string }[];
  return rows.map((r) => `-- ${r.type} ${r.name}\n${r.sql};\n`).join('\n');
}

function refusal(fn: () => unknown): DatabaseError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DatabaseError);
    return error as DatabaseError;
  }
  throw new Error('expected the database to be refused');
}

/** A copy of the migrations folder the test may change. */
function migrationsCopy(): string {
  const dir = join(tmp.dir, 'migrations');
  cpSync(defaultMigrationsDir, dir, { recursive: true });
  return dir;
}

function newRun(store: RunStore) {
  return store.createRun({
    name: 'r',
    modelSpec: { layers: [] },
    dataset: 'mnist',
    backend: 'cpu',
    seed: 1,
    hyperparameters: { epochs: 2 },
  });
}

describe('migrations', () => {
  it('creates a fresh database at the newest version with WAL and foreign keys, matching the committed schema snapshot', async () => {
    const path = join(tmp.dir, 'k.db');
    const { db, applied, version } = openDatabase(path);
    const migrations = loadMigrations();
    expect(applied).toEqual(migrations.map((m) => m.version));
    expect(version).toBe(migrations.length);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    const ledger = db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all();
    expect(ledger).toEqual(migrations.map((m) => ({ version: m.version, name: m.name, checksum: m.checksum })));
    await expect(schemaOf(db)).toMatchFileSnapshot('./schema.snapshot.sql');
    db.close();
    // Opening again applies nothing.
    const again = openDatabase(path);
    expect(again.applied).toEqual([]);
    again.db.close();
  });

  it('upgrades a database from each earlier version, keeping its runs and metrics', () => {
    const latest = loadMigrations().length;
    for (let from = 1; from < latest; from++) {
      const path = join(tmp.dir, `from-${from}.db`);
      const old = openDatabase(path, { targetVersion: from });
      expect(old.version).toBe(from);
      const insertRun = old.db.prepare(
        `INSERT INTO runs (uuid, name, status, model_spec, dataset, backend, seed, hyperparameters, created_at, updated_at)
         VALUES (?, ?, 'completed', '{}', 'mnist', 'cpu', 7, ?, 1, 1)`,
      );
      insertRun.run('00000000-0000-4000-8000-000000000001', 'old run', '{"optimizer":"rmsprop","momentum":0.9,"learningRate":0.001}');
      insertRun.run('00000000-0000-4000-8000-000000000003', 'old momentum run', '{"optimizer":"momentum","momentum":0.9}');
      old.db.prepare("INSERT INTO metrics (run_id, key, step, epoch, wall_ms, value) VALUES (1, 'loss', 0, 0, 1, 0.5)").run();
      old.db
        .prepare(
          "INSERT INTO sweeps (uuid, name, spec, status, created_at) VALUES ('00000000-0000-4000-8000-000000000002', 'old sweep', '{}', 'running', 1)",
        )
        .run();
      // A sweep paused before 0016 ('pending', nobody queueing it), and one a process was still queueing.
      old.db
        .prepare(
          `INSERT INTO sweeps (uuid, name, spec, status, created_at) VALUES
           ('00000000-0000-4000-8000-00000000000a', 'paused sweep', '{"plan":{"queueing":null}}', 'pending', 2),
           ('00000000-0000-4000-8000-00000000000b', 'queueing sweep', '{"plan":{"queueing":"host:1","next":500}}', 'pending', 3)`,
        )
        .run();
      // Two runs of the sweep with one model spec, each in its row (before 0015).
      const sweepRun = old.db.prepare(
        `INSERT INTO runs (uuid, name, sweep_id, status, model_spec, dataset, backend, seed, hyperparameters, created_at, updated_at)
         VALUES (?, 'swept', 1, 'queued', '{"name":"swept"}', 'mnist', 'cpu', 7, '{}', 1, 1)`,
      );
      sweepRun.run('00000000-0000-4000-8000-000000000004');
      sweepRun.run('00000000-0000-4000-8000-000000000005');
      if (from >= 9) {
        // A set left by a run deleted before 0011, and one a run still holds.
        old.db.prepare("INSERT INTO param_sets (id, digest) VALUES (1, 'left'), (2, 'held')").run();
        old.db
          .prepare("INSERT INTO param_set_rows (set_id, key, value, kind) VALUES (1, 'epochs', 2, 'number'), (2, 'epochs', 3, 'number')")
          .run();
        old.db.prepare('UPDATE runs SET param_set_id = 2 WHERE id = 1').run();
      }
      if (from >= 7) {
        old.db
          .prepare("INSERT INTO agent_tokens (sweep_id, label, secret_sha256, created_at) VALUES (1, 'old token', ?, 1)")
          .run('a'.repeat(64));
        old.db
          .prepare(
            `INSERT INTO agents (id, token_id, sweep_id, host, backends, first_seen_at, last_seen_at)
             VALUES ('00000000-0000-4000-8000-000000000009', 1, 1, 'node1', '["wasm"]', 1, 1)`,
          )
          .run();
      }
      old.db.close();

      const store = RunStore.open(path);
      const check = new Database(path, { readonly: true });
      const versions = check.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
      check.close();
      expect(versions).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
      expect(store.getRun(1)?.name).toBe('old run');
      // 0005: a run from before leases had fencing tokens was never claimed, and is nobody's.
      expect(store.getRun(1)).toMatchObject({ attempt: 0, reservedFor: null });
      // 0006: a sweep from before agents trains here, as it always did.
      expect(store.getSweep(1)?.runsOn).toBe('here');
      expect(store.metricSeries(1).series.loss).toEqual([{ step: 0, epoch: 0, wallMs: 1, value: 0.5 }]);
      // 0006 rebuilt the runs table (the 'pruned' status): its child rows were not cascaded away.
      expect(store.getRun(1)).toMatchObject({ status: 'completed', pruned: null });
      // 0008: RMSprop trained with momentum 0 whatever was stored (a database from 0008 on never stored it).
      if (from < 8) expect(store.getRun(1)?.hyperparameters).toEqual({ optimizer: 'rmsprop', learningRate: 0.001 });
      // The momentum optimizer keeps its own.
      expect(store.getRun(2)?.hyperparameters).toEqual({ optimizer: 'momentum', momentum: 0.9 });
      // 0010 rebuilt agent_tokens and agents (a browser GPU host's token has no sweep): a cluster's token and agent stay.
      if (from >= 7) {
        expect(store.agents.tokens()).toMatchObject([{ id: 1, sweepId: 1, label: 'old token' }]);
        expect(store.agents.list()).toMatchObject([{ host: 'node1', sweepId: 1 }]);
      }
      expect(store.agents.createToken(null, 'a browser').token.sweepId).toBeNull();
      // 0011: a param set no run holds is gone, one a run holds stays (a database from 0011 on had its orphan left here by the test).
      if (from >= 9 && from < 11) {
        const sets = new Database(path, { readonly: true });
        expect(sets.prepare('SELECT id FROM param_sets').pluck().all()).toEqual([2]);
        sets.close();
      }
      // 0013: the set rows a database held before are in the covering index the pivot reads.
      if (from >= 9) {
        const byKey = new Database(path, { readonly: true });
        const held = byKey.prepare(
          "SELECT value FROM param_set_rows INDEXED BY param_set_rows_by_key_value WHERE key = 'epochs' AND set_id = 2",
        );
        expect(held.pluck().all()).toEqual([3]);
        byKey.close();
      }
      // 0014: a run's error from before has no code beside it; the page shows its sentence. 0017: nor coded problems.
      expect(store.getRun(1)).toMatchObject({ error: null, errorCode: null, errorIssues: null });
      // 0018: nor its device a code; the page shows the device line as it was recorded.
      expect(store.getRun(1)).toMatchObject({ deviceCode: null });
      // 0015: the sweep's runs share their spec, stored once; each reads it as before (a database from 0015 on never had them in their rows).
      expect([store.getRun(3)?.modelSpec, store.getRun(4)?.modelSpec]).toEqual([{ name: 'swept' }, { name: 'swept' }]);
      expect(store.getRun(1)?.modelSpec).toEqual({});
      if (from < 15) {
        const specs = new Database(path, { readonly: true });
        expect(specs.prepare('SELECT spec FROM model_specs').pluck().all()).toEqual(['{"name":"swept"}']);
        expect(specs.prepare('SELECT id, model_spec, model_spec_id FROM runs ORDER BY id').all()).toEqual([
          { id: 1, model_spec: '{}', model_spec_id: null },
          { id: 2, model_spec: '{}', model_spec_id: null },
          { id: 3, model_spec: 'null', model_spec_id: 1 },
          { id: 4, model_spec: 'null', model_spec_id: 1 },
        ]);
        specs.close();
      }
      // 0016: 'paused' is its own status; a sweep still being queued stays 'pending', and both keep their runs
      // (a database from 0016 on never stored a paused sweep as 'pending').
      expect([store.getSweep(1)?.status, store.getSweep(2)?.status, store.getSweep(3)?.status]).toEqual([
        'running',
        from < 16 ? 'paused' : 'pending',
        'pending',
      ]);
      expect(store.getSweep(1)?.runCounts).toEqual({ queued: 2 });
      const fresh = new Database(':memory:');
      store.close();
      const upgraded = new Database(path, { readonly: true });
      const direct = openDatabase(join(tmp.dir, `fresh-${from}.db`));
      expect(schemaOf(upgraded)).toBe(schemaOf(direct.db));
      upgraded.close();
      direct.db.close();
      fresh.close();
    }
  });

  it('refuses a database newer than the app, without touching the file', () => {
    const path = join(tmp.dir, 'k.db');
    const { db } = openDatabase(path);
    db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'from_the_future', 'x', 1)").run();
    db.close();
    const before = sha(path);
    const error = refusal(() => openDatabase(path));
    expect(error.problem).toBe('newer_than_app');
    expect(error.message).toMatch(/newer KernelLab \(schema version 99; this app knows up to \d+\)/);
    expect(error.message).toContain('install the newer KernelLab');
    expect(sha(path)).toBe(before);
  });

  it('refuses a database whose applied migration file has changed, naming the file', () => {
    const dir = migrationsCopy();
    const path = join(tmp.dir, 'k.db');
    openDatabase(path, { migrationsDir: dir }).db.close();
    writeFileSync(join(dir, '0001_init.sql'), readFileSync(join(dir, '0001_init.sql'), 'utf8') + '\nCREATE TABLE sneaky (x);\n');
    const before = sha(path);
    const error = refusal(() => openDatabase(path, { migrationsDir: dir }));
    expect(error.problem).toBe('changed_migration');
    expect(error.message).toContain('migrations/0001_init.sql has changed');
    expect(error.message).toContain('add a new migration instead');
    expect(sha(path)).toBe(before);
  });

  it('does not count CRLF line endings as a change', () => {
    const dir = migrationsCopy();
    const path = join(tmp.dir, 'k.db');
    openDatabase(path, { migrationsDir: dir }).db.close();
    const file = join(dir, '0002_query_indexes.sql');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    const reopened = openDatabase(path, { migrationsDir: dir });
    expect(reopened.applied).toEqual([]);
    reopened.db.close();
  });

  it('refuses a database whose applied migrations are not a prefix of the files (unknown migration)', () => {
    const dir = migrationsCopy();
    const path = join(tmp.dir, 'k.db');
    openDatabase(path, { migrationsDir: dir, targetVersion: 1 }).db.close();
    const db = new Database(path);
    db.prepare("UPDATE schema_migrations SET name = 'someone_elses' WHERE version = 1").run();
    db.close();
    const before = sha(path);
    const error = refusal(() => openDatabase(path, { migrationsDir: dir }));
    expect(error.problem).toBe('unknown_migration');
    expect(error.message).toContain('0001_someone_elses');
    expect(sha(path)).toBe(before);
  });

  it('refuses a file that is not SQLite, leaving it as it was', () => {
    const path = join(tmp.dir, 'k.db');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(20));
    const before = sha(path);
    const error = refusal(() => RunStore.open(path));
    expect(error.problem).toBe('not_sqlite');
    expect(error.message).toContain('is not a SQLite database');
    expect(sha(path)).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses a SQLite database that is not a KernelLab one', () => {
    const path = join(tmp.dir, 'other.db');
    const db = new Database(path);
    db.exec('CREATE TABLE contacts (name TEXT)');
    db.close();
    const before = sha(path);
    expect(refusal(() => RunStore.open(path)).problem).toBe('not_kernellab');
    expect(sha(path)).toBe(before);
  });

  function populatedDatabase(): string {
    const path = join(tmp.dir, 'k.db');
    const store = RunStore.open(path);
    const run = newRun(store);
    for (let b = 0; b < 20; b++) {
      store.logBatch(Array.from({ length: 500 }, (_, i) => ({ runId: run.id, key: `m${i % 5}`, step: b * 500 + i, epoch: b, value: i })));
    }
    store.close(); // checkpoints the WAL into the file and removes it
    expect(existsSync(`${path}-wal`)).toBe(false);
    return path;
  }

  it('refuses a truncated database, leaving it as it was', () => {
    const path = populatedDatabase();
    truncateSync(path, Math.floor(statSync(path).size / 2));
    const before = sha(path);
    const error = refusal(() => RunStore.open(path));
    expect(error.problem).toBe('corrupt');
    expect(error.message).toContain('truncated');
    expect(sha(path)).toBe(before);
  });

  it('refuses a database with damaged pages, leaving it as it was', () => {
    const path = populatedDatabase();
    const bytes = readFileSync(path);
    const pageSize = bytes.readUInt16BE(16);
    // Overwrite pages 3.. with garbage: b-tree pages that quick_check cannot read.
    for (let i = pageSize * 2; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    writeFileSync(path, bytes);
    const before = sha(path);
    const error = refusal(() => RunStore.open(path));
    expect(error.problem).toBe('corrupt');
    expect(error.message).toContain('is damaged');
    expect(error.message).toContain('move it aside');
    expect(sha(path)).toBe(before);
  });

  it('gives a clear error in a read-only data folder', () => {
    const dir = join(tmp.dir, 'readonly');
    mkdirSync(dir);
    chmodSync(tmp.dir, 0o755);
    chmodSync(dir, 0o555);
    // Root ignores permissions: run the open as an unprivileged user (nobody) then.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = spawnSync(process.execPath, [fixture('openAs.ts'), join(dir, 'k.db')], { encoding: 'utf8', ...asNobody });
    expect(result.status, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { ok: boolean; problem?: string; message?: string };
    expect(outcome.ok).toBe(false);
    expect(outcome.problem).toBe('read_only');
    expect(outcome.message).toContain('must be writable');
    expect(existsSync(join(dir, 'k.db'))).toBe(false);
  });

  it('leaves the database at its old version when a migration hits a full disk (simulated with PRAGMA max_page_count)', () => {
    const path = join(tmp.dir, 'k.db');
    const old = openDatabase(path, { targetVersion: 1 });
    const pages = old.db.pragma('page_count', { simple: true }) as number;
    old.db.close();
    const before = sha(path);
    const error = refusal(() => openDatabase(path, { maxPageCount: pages }));
    expect(error.problem).toBe('disk_full');
    expect(error.message).toContain('is full');
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT max(version) FROM schema_migrations').pluck().get()).toBe(1);
    check.close();
    expect(sha(path)).toBe(before);
  });

  it('rejects a metric batch on a full disk without writing any of it (simulated with PRAGMA max_page_count)', () => {
    const path = join(tmp.dir, 'k.db');
    const setup = RunStore.open(path);
    const run = newRun(setup);
    setup.logBatch([{ runId: run.id, key: 'loss', step: 0, epoch: 0, value: 1 }]);
    // Ballast that fills pages now and is deleted below, freeing space for the same store.
    const ballast = newRun(setup);
    setup.logBatch(Array.from({ length: 20_000 }, (_, i) => ({ runId: ballast.id, key: 'loss', step: i, epoch: 0, value: i })));
    setup.close();
    const raw = new Database(path);
    const pages = raw.pragma('page_count', { simple: true }) as number;
    const store = RunStore.open(path, { maxPageCount: pages + 2 });
    const big = Array.from({ length: 20_000 }, (_, i) => ({ runId: run.id, key: 'loss', step: i + 1, epoch: 0, value: i }));
    const error = refusal(() => store.logBatch(big));
    expect(error.problem).toBe('disk_full');
    expect(raw.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck().get(run.id)).toBe(1);
    expect(store.summary(run.id)[0]).toMatchObject({ key: 'loss', last: 1, count: 1 });
    // Space freed: the same store writes again.
    raw.prepare('DELETE FROM runs WHERE id = ?').run(ballast.id);
    store.logBatch(big.slice(0, 10));
    expect(raw.prepare('SELECT count(*) FROM metrics').pluck().get()).toBe(11);
    raw.close();
    store.close();
  });

  it('keeps every committed batch when the writing process is killed with SIGKILL', async () => {
    const path = join(tmp.dir, 'k.db');
    const setup = RunStore.open(path);
    const run = newRun(setup);
    setup.close();

    const child = spawn(process.execPath, [fixture('metricWriter.ts'), path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const committed = await new Promise<number>((resolve, reject) => {
      let out = '';
      let last = 0;
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const matches = [...out.matchAll(/committed (\d+)/g)];
        if (matches.length > 0) last = Number(matches.at(-1)![1]);
        if (last >= 30 && !child.killed) {
          child.kill('SIGKILL');
          resolve(last);
        }
      });
      child.on('exit', (code) => (code !== null ? reject(new Error(`writer exited ${code}: ${stderr}`)) : undefined));
    });
    await new Promise((resolve) => child.once('close', resolve));
    expect(child.signalCode).toBe('SIGKILL');

    const store = RunStore.open(path);
    const check = new Database(path, { readonly: true });
    expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    const count = check.prepare('SELECT count(*) FROM metrics WHERE run_id = ?').pluck().get(run.id) as number;
    check.close();
    expect(count).toBeGreaterThanOrEqual(committed * 500);
    expect(count % 500).toBe(0); // whole batches only
    const summary = store.summary(run.id);
    expect(summary.reduce((n, s) => n + s.count, 0)).toBe(count);
    // The run the dead process held is marked interrupted on open.
    expect(store.getRun(run.id)?.status).toBe('interrupted');
    store.close();
    copyFileSync(path, join(tmp.dir, 'copy.db'));
  });
});
