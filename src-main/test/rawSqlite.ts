import Database from 'better-sqlite3';

/**
 * A second connection to a store's database file, for tests that look at (or tamper with) rows
 * the way another process would. RunStore keeps its own handle private; this one is separate, so
 * the test sees only what was committed.
 */
export function openRaw(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  return db;
}
