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

const paramKey = (v: ParamValue): string => `${typeof v}:${String(v)}`;

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
  const inScope =
    q.sweepId === undefined
      ? new Set(db.prepare(`SELECT r.id FROM runs r WHERE ${scope.where}`).pluck().all(scope.args) as number[])
      : null;
  const rowOf = paramValues(db, q.rowParam, scope, inScope);
  const colOf = paramValues(db, q.colParam, scope, inScope);
  const metricOf = new Map(
    db.prepare(`SELECT run_id, ${q.field} FROM latest_metrics WHERE key = ?`).raw().all(q.metric) as [number, number | null][],
  );
  const rows: PivotRun[] = [];
  for (const [id, row] of rowOf) {
    if (!colOf.has(id)) continue;
    rows.push({ id, row, col: colOf.get(id)!, v: metricOf.get(id) ?? null, has: metricOf.has(id) });
  }
  const { cells, rowValues, colValues } = cellsOf(rows, q.field, better);
  return {
    rowParam: q.rowParam,
    colParam: q.colParam,
    metric: q.metric,
    better,
    rows: [...rowValues.values()].sort(compareParamValues),
    cols: [...colValues.values()].sort(compareParamValues),
    cells: [...cells.values()].map(summarizeCell),
  };
}

/**
 * Each in-scope run's value of param `key`, in value order, then run id (the order cells are
 * listed in, and which run a tie for best names): a run's own row, else its param set's.
 * - One sweep: each run's row looked up from the run (primary keys), not through the `params`
 *   view, which joins every set row back to runs and made this pivot 2.4× slower (issue 13).
 *   CROSS JOIN keeps runs first: the planner would otherwise read every set row of `key` from
 *   param_set_rows_by_key_value (0.6 → 7 ms on 10,000 runs; paramSets.test checks the plan).
 * - Wider scopes: one ordered pass over the view's rows of `key`, kept when in scope; looking up
 *   each of 10,000 runs costs more than that pass. Migration 0013's covering index reads the set
 *   rows of `key` in value order without a table lookup each.
 */
function paramValues(
  db: SqliteDatabase,
  key: string,
  scope: ReturnType<typeof scopeOf>,
  inScope: Set<number> | null,
): Map<number, ParamValue> {
  const { where, args } = scope;
  const out = new Map<number, ParamValue>();
  if (inScope === null) {
    const rows = db
      .prepare(
        `SELECT r.id, s.value, s.kind FROM runs r CROSS JOIN param_set_rows s ON s.set_id = r.param_set_id AND s.key = @key WHERE ${where}
         UNION ALL
         SELECT r.id, p.value, p.kind FROM runs r CROSS JOIN run_params p ON p.run_id = r.id AND p.key = @key WHERE ${where}
         ORDER BY 2, 3, 1`,
      )
      .raw()
      .all({ ...args, key }) as [number, number | string, FlatParam['kind']][];
    for (const [runId, value, kind] of rows) out.set(runId, readParam(value, kind));
    return out;
  }
  const rows = db.prepare('SELECT run_id, value, kind FROM params WHERE key = ? ORDER BY value, kind, run_id').raw().all(key) as [
    number,
    number | string,
    FlatParam['kind'],
  ][];
  for (const [runId, value, kind] of rows) if (inScope.has(runId)) out.set(runId, readParam(value, kind));
  return out;
}

/** The runs the pivot counts, as SQL over `runs r` and its arguments. */
function scopeOf(q: Parsed) {
  const scope = ['r.status IN (SELECT value FROM json_each(@status))'];
  if (q.sweepId !== undefined) scope.push('r.sweep_id = @sweep');
  if (q.experimentId !== undefined) scope.push('r.experiment_id = @experiment');
  return { where: scope.join(' AND '), args: { status: JSON.stringify(q.status), sweep: q.sweepId, experiment: q.experimentId } };
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

/** The runs gathered per (row value, column value), in the order the runs come. */
function cellsOf(rows: readonly PivotRun[], field: Parsed['field'], better: 'min' | 'max' | null) {
  const cells = new Map<string, Cell>();
  const rowValues = new Map<string, ParamValue>();
  const colValues = new Map<string, ParamValue>();
  for (const r of rows) {
    const { row, col } = r;
    const id = `${paramKey(row)}\u0000${paramKey(col)}`;
    rowValues.set(paramKey(row), row);
    colValues.set(paramKey(col), col);
    let cell = cells.get(id);
    if (!cell) cells.set(id, (cell = { row, col, count: 0, values: [], best: null, bestRunId: null }));
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
