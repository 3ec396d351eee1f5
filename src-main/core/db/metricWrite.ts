/**
 * The one way metric points reach the database: rows into `metrics` and, in the same
 * transaction, their (run, key) summaries in `latest_metrics` folded by `foldSummary`. RunStore's
 * logBatch and the runs import both write through `writeMetricPoints` (MLflow's tracking store
 * does the same: log_metric is log_batch of one, with one latest-metrics update).
 */
import type { SqliteDatabase } from './database.ts';
import { metricKind } from '../contract/metrics.ts';
import type { SummaryDbRow } from './records.ts';

/** A point ready to write: validated, with its wall time resolved. NaN and ±Infinity allowed. */
export interface MetricPoint {
  step: number;
  epoch: number;
  wallMs: number;
  value: number;
}

/** A point with the run and metric it belongs to (logBatch's form). */
export interface MetricRow extends MetricPoint {
  runId: number;
  key: string;
}

/** The points of one (run, key), in the order they were logged (an import's form: a run's metrics come grouped). */
export interface MetricGroup {
  runId: number;
  key: string;
  points: readonly MetricPoint[];
}

/** A summary while it is folded; NaN means "none yet" (NaN values never become min/max/best). */
export interface Summary {
  last: number;
  lastStep: number;
  min: number;
  max: number;
  best: number;
  bestStep: number;
  count: number;
}

const nan = (v: number | null): number => (v === null ? NaN : v);
const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v);

/**
 * The summary of `stored` (older points, or none) and `points` together: `last` is the value at
 * the highest step (a later point wins a tie), min/max/best skip NaN, `best` goes the way the
 * metric's kind says (contract/metrics.ts) and the stored best wins a tie; a metric that is not
 * ranked (rss_bytes, epoch_seconds) has no best.
 */
export function foldSummary(
  key: string,
  stored: Pick<SummaryDbRow, 'last' | 'last_step' | 'best' | 'best_step' | 'min' | 'max' | 'count'> | undefined,
  points: Iterable<{ step: number; value: number }>,
): Summary {
  const better = metricKind(key).better;
  const up = better === 'max';
  const s: Summary = { last: NaN, lastStep: -1, min: NaN, max: NaN, best: NaN, bestStep: -1, count: 0 };
  for (const p of points) {
    s.count++;
    if (p.step >= s.lastStep) {
      s.lastStep = p.step;
      s.last = p.value;
    }
    if (Number.isNaN(p.value)) continue;
    if (Number.isNaN(s.min) || p.value < s.min) s.min = p.value;
    if (Number.isNaN(s.max) || p.value > s.max) s.max = p.value;
    if (better !== null && (Number.isNaN(s.best) || (up ? p.value > s.best : p.value < s.best))) {
      s.best = p.value;
      s.bestStep = p.step;
    }
  }
  if (!stored) return s;
  if (stored.last_step > s.lastStep) {
    s.last = nan(stored.last);
    s.lastStep = stored.last_step;
  }
  if (stored.min !== null && (Number.isNaN(s.min) || stored.min < s.min)) s.min = stored.min;
  if (stored.max !== null && (Number.isNaN(s.max) || stored.max > s.max)) s.max = stored.max;
  if (better !== null && stored.best !== null && (Number.isNaN(s.best) || (up ? stored.best >= s.best : stored.best <= s.best))) {
    s.best = stored.best;
    s.bestStep = stored.best_step ?? -1;
  }
  s.count += stored.count;
  return s;
}

/** Writes rows, or (`groups`) points already grouped per (run, key), with no per-point grouping work. */
export type MetricWriter = ((rows: readonly MetricRow[]) => void) & { groups(groups: readonly MetricGroup[]): void };

/**
 * Most rows one INSERT carries: 256 × 9 = 2,304 bound values at most, far under SQLite's limit of
 * 32,766. A batch goes as statements of 256, 128, … 1 rows, so at most 9 shapes are ever prepared.
 */
const maxRowsPerStatement = 256;

/**
 * Runs `sql(rows)` for `values` (`width` values per row, in order) as multi-row statements: SQLite
 * inserts the rows of one VALUES list in order, so a later point at the same (run, key, step) still
 * wins, as it did one row at a time.
 */
function multiRow(db: SqliteDatabase, width: number, sql: (tuples: string) => string): (values: unknown[]) => void {
  const statements = new Map<number, ReturnType<typeof db.prepare<unknown[]>>>();
  const tuple = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  const statement = (rows: number) => {
    let s = statements.get(rows);
    if (!s) statements.set(rows, (s = db.prepare<unknown[]>(sql(Array.from({ length: rows }, () => tuple).join(', ')))));
    return s;
  };
  return (values) => {
    const total = values.length / width;
    for (let done = 0; done < total;) {
      let rows = maxRowsPerStatement;
      while (rows > total - done) rows >>= 1;
      // Bound as arguments, not as one array: better-sqlite3 reads an array's elements one by one
      // through N-API: 610 M instructions against 434 M as arguments (callgrind, 2,000-run import).
      statement(rows).run(...values.slice(done * width, (done + rows) * width));
      done += rows;
    }
  };
}

/**
 * Prepares the statements once; the returned function writes rows and their summaries. Call it
 * inside a transaction: it does not open one (the caller decides what else commits with it).
 * Points and summaries go in multi-row statements, and the stored summaries of the batch's runs
 * are read in one query (none for a run the same transaction just created, as an import's are).
 */
export function metricWriter(db: SqliteDatabase): MetricWriter {
  const insertMetrics = multiRow(
    db,
    6,
    (tuples) => `INSERT INTO metrics (run_id, key, step, epoch, wall_ms, value) VALUES ${tuples}
     ON CONFLICT (run_id, key, step) DO UPDATE SET epoch = excluded.epoch, wall_ms = excluded.wall_ms, value = excluded.value`,
  );
  const storedSummaries = db.prepare('SELECT * FROM latest_metrics WHERE run_id IN (SELECT value FROM json_each(?))');
  const upsertSummaries = multiRow(
    db,
    9,
    (tuples) => `INSERT INTO latest_metrics (run_id, key, last, last_step, best, best_step, min, max, count) VALUES ${tuples}
     ON CONFLICT (run_id, key) DO UPDATE SET last = excluded.last, last_step = excluded.last_step, best = excluded.best, best_step = excluded.best_step,
       min = excluded.min, max = excluded.max, count = excluded.count`,
  );
  const writeGroups = (groups: readonly MetricGroup[]) => {
    const values: unknown[] = [];
    const runIds = new Set<number>();
    for (const g of groups) {
      runIds.add(g.runId);
      for (const p of g.points) values.push(g.runId, g.key, p.step, p.epoch, Math.round(p.wallMs), p.value);
    }
    if (values.length === 0) return;
    insertMetrics(values);
    const stored = new Map<string, SummaryDbRow>();
    for (const s of storedSummaries.all(JSON.stringify([...runIds])) as SummaryDbRow[]) stored.set(`${s.run_id}\u0000${s.key}`, s);
    const summaries: unknown[] = [];
    for (const g of groups) {
      const s = foldSummary(g.key, stored.get(`${g.runId}\u0000${g.key}`), g.points);
      summaries.push(
        g.runId,
        g.key,
        orNull(s.last),
        s.lastStep,
        orNull(s.best),
        Number.isNaN(s.best) ? null : s.bestStep,
        orNull(s.min),
        orNull(s.max),
        s.count,
      );
    }
    upsertSummaries(summaries);
  };
  const writeRows = (rows: readonly MetricRow[]) => {
    // Grouped per (run, key) in a Map: keys are user text, and a plain object would treat
    // `constructor` or `__proto__` as its own machinery.
    const groups = new Map<string, { runId: number; key: string; points: MetricRow[] }>();
    for (const row of rows) {
      const id = `${row.runId}\u0000${row.key}`;
      let group = groups.get(id);
      if (!group) groups.set(id, (group = { runId: row.runId, key: row.key, points: [] }));
      group.points.push(row);
    }
    writeGroups([...groups.values()]);
  };
  return Object.assign(writeRows, {
    groups(groups: readonly MetricGroup[]) {
      // Each (run, key) once, so that its summary folds all its points: a repeated one is merged.
      const unique = new Map<string, MetricGroup>();
      for (const g of groups) {
        const id = `${g.runId}\u0000${g.key}`;
        const seen = unique.get(id);
        unique.set(id, seen ? { ...seen, points: [...seen.points, ...g.points] } : g);
      }
      writeGroups([...unique.values()]);
    },
  });
}
