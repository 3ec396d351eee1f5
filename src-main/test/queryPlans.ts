import type { SqliteDatabase } from '../core/db/database.ts';

/**
 * The query plan (EXPLAIN QUERY PLAN, details joined by " | ") of every statement `run` prepares
 * on `db`, in order. Named parameters take their value from `named`; a statement with `?`
 * parameters gets `positional` for each.
 */
export function plansOf(
  db: SqliteDatabase,
  run: (db: SqliteDatabase) => unknown,
  named: Record<string, unknown>,
  positional: unknown,
): string[] {
  const sqls: string[] = [];
  const spy = new Proxy(db, {
    get: (target, key) =>
      key === 'prepare'
        ? (sql: string) => {
            sqls.push(sql);
            return target.prepare(sql);
          }
        : (Reflect.get(target, key) as unknown),
  });
  run(spy);
  return sqls.map((sql) => {
    const params = [...new Set(sql.match(/@\w+/g) ?? [])].map((p) => p.slice(1));
    const stmt = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
    const rows = (
      params.length > 0
        ? stmt.all(Object.fromEntries(params.map((p) => [p, named[p]])))
        : stmt.all(...(sql.match(/\?/g) ?? []).map(() => positional))
    ) as { detail: string }[];
    return rows.map((r) => r.detail).join(' | ');
  });
}
