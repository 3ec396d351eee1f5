/**
 * A database KernelLab refuses to open, said in the user's language (issue 17): the file is not
 * SQLite, is truncated or damaged, belongs to something else or to a newer KernelLab, its
 * migrations do not match, or the data folder is not writable. The English is the sentence as it
 * always was; the Korean has no English left but paths, names, codes and SQLite's own words.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../../i18n/coreText.ts';
import { cliPath } from '../../test/servedKernellab.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { KernelLabError } from '../errors.ts';
import { defaultMigrationsDir, openDatabase } from './database.ts';
import { RunStore } from './RunStore.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-db-open-text-')));
afterEach(() => tmp.cleanup());

/** The refusal of `open`: its English sentence, and its coded form rendered in both languages. */
function refused(open: () => unknown): { message: string; en: string; ko: string } {
  let error: unknown;
  try {
    open();
  } catch (e) {
    error = e;
  }
  if (!(error instanceof KernelLabError)) throw new Error(`not refused: ${String(error)}`);
  const body = error.toBody();
  expect(body.messageCode, error.message).toBeDefined();
  return { message: error.message, en: errorBodyText(body, 'en'), ko: errorBodyText(body, 'ko') };
}

/** `kernellab --lang <lang> info` over `home`, as `user` when given. */
function info(home: string, lang: string, user: { uid: number; gid: number } | object = {}) {
  const { KERNELLAB_LANG: _pinned, ...env } = process.env;
  const result = spawnSync(process.execPath, [cliPath, '--home', home, '--lang', lang, 'info'], { encoding: 'utf8', env, ...user });
  return { code: result.status, err: result.stderr };
}

describe('a database KernelLab refuses to open', () => {
  it('says a file that is not SQLite in Korean from the real CLI, and in English as before', () => {
    const home = join(tmp.dir, 'home');
    mkdirSync(home);
    const path = join(home, 'kernellab.db');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(20));
    const ko = info(home, 'ko');
    expect(ko.code).toBe(1);
    expect(ko.err).toBe(
      `kernellab: ${path}은(는) SQLite 데이터베이스가 아닙니다(첫 바이트가 "SQLite format 3"이 아님). 파일은 그대로 두었습니다. ` +
        '다른 곳으로 옮기면 KernelLab이 새 데이터베이스를 만듭니다.\n',
    );
    expect(info(home, 'en').err).toBe(
      `kernellab: ${path} is not a SQLite database (its first bytes are not "SQLite format 3"). It was left untouched: move it aside and KernelLab will create a new database.\n`,
    );
  });

  it('says a data folder it cannot write in Korean from the real CLI', () => {
    const home = join(tmp.dir, 'home');
    mkdirSync(join(home, 'datasets'), { recursive: true });
    mkdirSync(join(home, 'runs'));
    chmodSync(tmp.dir, 0o755);
    chmodSync(home, 0o555);
    // Root ignores permissions: run it as an unprivileged user (nobody) then.
    const user = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const ko = info(home, 'ko', user);
    expect(ko.code).toBe(1);
    expect(ko.err).toBe(
      `kernellab: ${join(home, 'kernellab.db')}에 쓸 수 없습니다(SQLITE_CANTOPEN). 데이터베이스 열기에 실패했습니다. ` +
        `데이터 폴더 ${home}은(는) 쓰기가 가능해야 합니다. --home이나 KERNELLAB_HOME으로 다른 폴더를 고르세요.\n`,
    );
    expect(info(home, 'en', user).err).toContain('(SQLITE_CANTOPEN): opening the database failed. The data folder');
  });

  it('says a database from a newer KernelLab in Korean from the real `runs ls`, and in English as before', () => {
    const home = join(tmp.dir, 'home');
    mkdirSync(home);
    const path = join(home, 'kernellab.db');
    const opened = openDatabase(path);
    opened.db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'from_the_future', 'x', 1)").run();
    opened.db.close();
    const { KERNELLAB_LANG: _pinned, ...env } = process.env;
    const runsLs = (lang: string) =>
      spawnSync(process.execPath, [cliPath, '--home', home, '--lang', lang, 'runs', 'ls'], { encoding: 'utf8', env });
    const ko = runsLs('ko');
    expect(ko.status).toBe(1);
    expect(ko.stdout).toBe('');
    expect(ko.stderr).toBe(
      `kernellab: 데이터베이스 ${path}은(는) 더 새로운 KernelLab이 썼습니다(스키마 버전 99, 이 앱은 ${opened.version}까지 압니다). ` +
        '파일은 그대로 두었습니다. 더 새로운 KernelLab을 설치하거나 --home으로 다른 데이터 폴더를 고르세요.\n',
    );
    const en = runsLs('en');
    expect(en.status).toBe(1);
    expect(en.stderr).toBe(
      `kernellab: The database ${path} was written by a newer KernelLab (schema version 99; this app knows up to ${opened.version}). ` +
        'It was left untouched: install the newer KernelLab, or choose another data folder with --home.\n',
    );
    // Refused before anything was written: the file still says 99.
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 99 });
    db.close();
  });

  it('says a truncated, a damaged, a foreign and a newer database in Korean', () => {
    const path = join(tmp.dir, 'k.db');
    const store = RunStore.open(path);
    store.close();
    const size = statSync(path).size;
    truncateSync(path, 4096);
    const truncated = refused(() => RunStore.open(path));
    expect(truncated.message).toMatch(/is truncated \(4096 bytes, its header says \d+\)/);
    expect(truncated.ko).toMatch(
      new RegExp(
        `^데이터베이스 ${path}이\\(가\\) 잘려 있습니다\\(4,096바이트, 헤더에 적힌 크기는 [\\d,]+\\)\\. 파일은 그대로 두었습니다\\. `,
      ),
    );
    expect(size).toBeGreaterThan(4096);

    const foreign = join(tmp.dir, 'other.db');
    const other = new Database(foreign);
    other.exec('CREATE TABLE contacts (name TEXT)');
    other.close();
    const notOurs = refused(() => RunStore.open(foreign));
    expect(notOurs.en).toBe(notOurs.message);
    expect(notOurs.ko).toBe(
      `${foreign}은(는) SQLite 데이터베이스이지만 KernelLab의 것이 아닙니다(테이블은 있고 schema_migrations는 없음). 파일은 그대로 두었습니다. 다른 데이터 폴더를 고르세요.`,
    );

    const newer = join(tmp.dir, 'newer.db');
    const opened = openDatabase(newer);
    opened.db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99, 'from_the_future', 'x', 1)").run();
    opened.db.close();
    const fromTheFuture = refused(() => openDatabase(newer));
    expect(fromTheFuture.en).toBe(fromTheFuture.message);
    expect(fromTheFuture.ko).toBe(
      `데이터베이스 ${newer}은(는) 더 새로운 KernelLab이 썼습니다(스키마 버전 99, 이 앱은 ${opened.version}까지 압니다). ` +
        '파일은 그대로 두었습니다. 더 새로운 KernelLab을 설치하거나 --home으로 다른 데이터 폴더를 고르세요.',
    );

    const damaged = join(tmp.dir, 'damaged.db');
    const full = RunStore.open(damaged);
    full.close();
    const bytes = readFileSync(damaged);
    const pageSize = bytes.readUInt16BE(16);
    for (let i = pageSize * 2; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    writeFileSync(damaged, bytes);
    const broken = refused(() => RunStore.open(damaged));
    expect(broken.en).toBe(broken.message);
    expect(broken.ko).toMatch(
      new RegExp(`^데이터베이스 ${damaged}이\\(가\\) 손상되었습니다\\(SQLite: .+\\)\\. 파일은 그대로 두었습니다\\. `),
    );
  });

  it("says migrations that do not match the app's in Korean", () => {
    const dir = join(tmp.dir, 'migrations');
    cpSync(defaultMigrationsDir, dir, { recursive: true });
    const path = join(tmp.dir, 'k.db');
    openDatabase(path, { migrationsDir: dir }).db.close();
    const init = join(dir, '0001_init.sql');
    const original = readFileSync(init, 'utf8');
    writeFileSync(init, `${original}\nCREATE TABLE sneaky (x);\n`);
    const changed = refused(() => openDatabase(path, { migrationsDir: dir }));
    expect(changed.en).toBe(changed.message);
    expect(changed.ko).toMatch(
      new RegExp(
        `^migrations/0001_init\\.sql이\\(가\\) ${path}에 적용된 뒤 바뀌었습니다\\(체크섬: 그때 [0-9a-f]{12}…, 지금 [0-9a-f]{12}…\\)\\. `,
      ),
    );
    writeFileSync(init, original);
    const db = new Database(path);
    db.prepare("UPDATE schema_migrations SET name = 'someone_elses' WHERE version = 1").run();
    db.close();
    const unknown = refused(() => openDatabase(path, { migrationsDir: dir }));
    expect(unknown.en).toBe(unknown.message);
    expect(unknown.ko).toBe(
      `데이터베이스 ${path}에는 이 앱에 없는 마이그레이션 0001_someone_elses이(가) 기록되어 있습니다(이 앱의 그 버전은 0001_init.sql). ` +
        '파일은 그대로 두었습니다. 이 데이터베이스를 만든 KernelLab으로 여세요.',
    );
  });
});
