/**
 * The sweep pivot: a metric over two params, one cell per (row value, column value) with its
 * count, best (and which run), mean, std, min and max (wire-ready, see queries.ts).
 */
import type { z } from 'zod';
import { invalidInput } from '../errors.ts';
import { PivotQuery, type ParamValue, type PivotResult } from '../contract/runs.ts';
import type { SqliteDatabase } from './database.ts';
import { readParam, type FlatParam } from './records.ts';
import { metricKind } from '../contract/metrics.ts';
import { enc } from './queries.ts';

function compareParamValues(a: ParamValue, b: ParamValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return String(a).localeCompare(String(b));
}

type Parsed = z.output<typeof PivotQuery>;

export function pivot(db: SqliteDatabase, input: unknown): PivotResult {
  const parsed = PivotQuery.safeParse(input);
  if (!parsed.success) throw invalidInput('pivot query', parsed.error);
  const q = parsed.data;
  // `best` of a cell: the field asked for (min, max) or the metric's own direction; none for a metric that is not ranked.
  const better = q.field === 'min' ? 'min' : q.field === 'max' ? 'max' : metricKind(q.metric).better;
  // Index range scans joined in JS: joining per run costs a b-tree descent per run and table,
  // which is most of the time on 10,000 runs.
  const scope = scopeOf(q);
  const metricOf = new Map(
    db.prepare(`SELECT run_id, ${q.field} FROM latest_metrics WHERE key = ?`).raw().all(q.metric) as [number, number | null][],
  );
  const { runs, rowRank } =
    q.sweepId === undefined ? wideRuns(db, q, scope, metricOf) : { runs: sweepRuns(db, q, scope, metricOf), rowRank: null };
  const { cells, rowValues, colValues } = cellsOf(runs, q.field, better);
  // Wide: cells met in run id order, put in row value order (stable: within a row, by first run).
  if (rowRank !== null) cells.sort((a, b) => rowRank.get(a.row)! - rowRank.get(b.row)!);
  return {
    rowParam: q.rowParam,
    colParam: q.colParam,
    metric: q.metric,
    better,
    rows: [...rowValues.values()].sort(compareParamValues),
    cols: [...colValues.values()].sort(compareParamValues),
    cells: cells.map(summarizeCell),
  };
}

type MetricOf = Map<number, number | null>;
const pivotRun = (id: number, row: ParamValue, col: ParamValue, metricOf: MetricOf): PivotRun => ({
  id,
  row,
  col,
  v: metricOf.get(id) ?? null,
  has: metricOf.has(id),
});

/**
 * One sweep: its runs in row value order, then run id (the order cells are listed in, and which
 * run a tie for best names), each run's row looked up from the run (primary keys), not through
 * the `params` view, which joins every set row back to runs and made this pivot 2.4× slower
 * (issue 13). CROSS JOIN keeps runs first: the planner would otherwise read every set row of
 * `key` from param_set_rows_by_key_value (0.6 → 7 ms on 10,000 runs; paramSets.test checks the plan).
 */
function sweepRuns(db: SqliteDatabase, q: Parsed, scope: ReturnType<typeof scopeOf>, metricOf: MetricOf): PivotRun[] {
  const valuesOf = (key: string) => {
    const rows = db
      .prepare(
        `SELECT r.id, s.value, s.kind FROM runs r CROSS JOIN param_set_rows s ON s.set_id = r.param_set_id AND s.key = @key WHERE ${scope.where}
         UNION ALL
         SELECT r.id, p.value, p.kind FROM runs r CROSS JOIN run_params p ON p.run_id = r.id AND p.key = @key WHERE ${scope.where}
         ORDER BY 2, 3, 1`,
      )
      .raw()
      .all({ ...scope.args, key }) as [number, number | string, FlatParam['kind']][];
    return new Map(rows.map(([runId, value, kind]) => [runId, readParam(value, kind)]));
  };
  const rowOf = valuesOf(q.rowParam);
  const colOf = valuesOf(q.colParam);
  const runs: PivotRun[] = [];
  for (const [id, row] of rowOf) {
    const col = colOf.get(id);
    if (col !== undefined) runs.push(pivotRun(id, row, col, metricOf));
  }
  return runs;
}

/**
 * Wider scopes: the in-scope runs with their param set, in id order, and each param's set rows and
 * own rows as two covering index ranges (set id or run id → value), joined here. Joining set rows
 * back to runs in SQL (the `params` view) costs a runs_by_param_set descent per set row: on 10,000
 * runs that each have their own set, most of the pivot (issue 13). The cells come out in run id
 * order; `rowRank` gives each row value its place in SQLite's value order, to sort them by.
 */
function wideRuns(db: SqliteDatabase, q: Parsed, scope: ReturnType<typeof scopeOf>, metricOf: MetricOf) {
  const inScope = db.prepare(`SELECT r.id, r.param_set_id FROM runs r WHERE ${scope.where}`).raw().all(scope.args) as [
    number,
    number | null,
  ][];
  // By experiment the index gives id order; by state alone the planner may not.
  if (inScope.some(([id], i) => i > 0 && id < inScope[i - 1]![0])) inScope.sort((a, b) => a[0] - b[0]);
  const row = keyValues(db, q.rowParam);
  const col = keyValues(db, q.colParam);
  const runs: PivotRun[] = [];
  for (const [id, setId] of inScope) {
    // A run's own row, else its set's (own rows never repeat a set's key).
    const r = row.own.get(id) ?? (setId === null ? undefined : row.bySet.get(setId));
    if (r === undefined) continue;
    const c = col.own.get(id) ?? (setId === null ? undefined : col.bySet.get(setId));
    if (c !== undefined) runs.push(pivotRun(id, r, c, metricOf));
  }
  return { runs, rowRank: row.rank };
}

/** SQLite's order of two param rows: numbers before text, numbers by value, text by its UTF-8 bytes (BINARY), then kind. */
function sqliteOrder(a: readonly [number | string, string], b: readonly [number | string, string]): number {
  const [x, y] = [a[0], b[0]];
  if (typeof x === 'number' && typeof y === 'number') {
    if (x !== y) return x < y ? -1 : 1;
  } else if (typeof x === 'number') return -1;
  else if (typeof y === 'number') return 1;
  else if (x !== y) return Buffer.compare(Buffer.from(x), Buffer.from(y as string));
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/**
 * Param `key`'s set rows (set id → value) and own rows (run id → value), each read in (value,
 * kind) order from its covering index, and each value's rank in that order over both (the first
 * rank where two kinds read as one value).
 */
function keyValues(db: SqliteDatabase, key: string) {
  const read = (sql: string) => db.prepare(sql).raw().all(key) as [number | string, FlatParam['kind'], number][];
  const setRows = read('SELECT s.value, s.kind, s.set_id FROM param_set_rows s WHERE s.key = ? ORDER BY s.value, s.kind');
  const ownRows = read('SELECT p.value, p.kind, p.run_id FROM run_params p WHERE p.key = ? ORDER BY p.value, p.kind');
  // The distinct (value, kind) of both lists, merged in order (a handful: one per row or column).
  const groups: [number | string, FlatParam['kind']][] = [];
  for (const rows of [setRows, ownRows])
    for (let i = 0; i < rows.length; i++) {
      const [value, kind] = rows[i]!;
      if (i === 0 || value !== rows[i - 1]![0] || kind !== rows[i - 1]![1]) groups.push([value, kind]);
    }
  groups.sort(sqliteOrder);
  const rank = new Map<ParamValue, number>();
  groups.forEach(([value, kind], i) => {
    const param = readParam(value, kind);
    if (!rank.has(param)) rank.set(param, i);
  });
  const byId = (rows: typeof setRows) => {
    const out = new Map<number, ParamValue>();
    let param: ParamValue = null;
    for (let i = 0; i < rows.length; i++) {
      const [value, kind, id] = rows[i]!;
      if (i === 0 || value !== rows[i - 1]![0] || kind !== rows[i - 1]![1]) param = readParam(value, kind);
      out.set(id, param);
    }
    return out;
  };
  return { bySet: byId(setRows), own: byId(ownRows), rank };
}

/** The runs the pivot counts, as SQL over `runs r` and its arguments. */
function scopeOf(q: Parsed) {
  // The states as a list of bound values (at most the eight a run can be in): a json_each list
  // cost a virtual-table scan and a Bloom filter, a third of reading 10,000 runs' ids.
  const states = [...new Set(q.status)];
  const status = Object.fromEntries(states.map((state, i) => [`status${i}`, state]));
  const scope = [`r.status IN (${states.map((_, i) => `@status${i}`).join(', ')})`];
  if (q.sweepId !== undefined) scope.push('r.sweep_id = @sweep');
  if (q.experimentId !== undefined) scope.push('r.experiment_id = @experiment');
  return { where: scope.join(' AND '), args: { ...status, sweep: q.sweepId, experiment: q.experimentId } };
}

interface PivotRun {
  id: number;
  row: ParamValue;
  col: ParamValue;
  v: number | null;
  has: boolean;
}

interface Cell {
  row: ParamValue;
  col: ParamValue;
  count: number;
  values: number[];
  best: number | null;
  bestRunId: number | null;
}

/**
 * The runs gathered per (row value, column value), in the order the runs come. Keyed by the values
 * themselves (a Map tells 1, '1' and true apart as the `type:value` strings did), so the 10,000 runs
 * of a wide pivot build no key strings.
 */
function cellsOf(rows: readonly PivotRun[], field: Parsed['field'], better: 'min' | 'max' | null) {
  const cells: Cell[] = [];
  const byRow = new Map<ParamValue, Map<ParamValue, Cell>>();
  const rowValues = new Map<ParamValue, ParamValue>();
  const colValues = new Map<ParamValue, ParamValue>();
  for (const r of rows) {
    const { row, col } = r;
    rowValues.set(row, row);
    colValues.set(col, col);
    let inRow = byRow.get(row);
    if (!inRow) byRow.set(row, (inRow = new Map()));
    let cell = inRow.get(col);
    if (!cell) {
      inRow.set(col, (cell = { row, col, count: 0, values: [], best: null, bestRunId: null }));
      cells.push(cell);
    }
    cell.count++;
    // A run with only NaN for the metric (diverged) counts but has no value to average.
    const v = field === 'last' && r.has && r.v === null ? NaN : r.v;
    if (v === null || Number.isNaN(v)) continue;
    cell.values.push(v);
    if (better !== null && (cell.best === null || (better === 'max' ? v > cell.best : v < cell.best))) {
      cell.best = v;
      cell.bestRunId = r.id;
    }
  }
  return { cells, rowValues, colValues };
}

function summarizeCell(c: Cell): PivotResult['cells'][number] {
  const n = c.values.length;
  const mean = n > 0 ? c.values.reduce((a, b) => a + b, 0) / n : null;
  const std = mean === null ? null : n > 1 ? Math.sqrt(c.values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const min = n > 0 ? enc(Math.min(...c.values)) : null;
  const max = n > 0 ? enc(Math.max(...c.values)) : null;
  return {
    row: c.row,
    col: c.col,
    count: c.count,
    best: enc(c.best),
    bestRunId: c.bestRunId,
    mean: enc(mean),
    std: enc(std),
    min,
    max,
  };
}
