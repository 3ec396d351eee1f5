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
  const runsOf = q.sweepId === undefined ? inScopeRuns(db, scope) : null;
  const rowOf = paramValues(db, q.rowParam, scope, runsOf);
  const colOf = paramValues(db, q.colParam, scope, runsOf);
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
    cells: cells.map(summarizeCell),
  };
}

/**
 * The in-scope runs of a wide pivot, and (`bySet`, read when first needed) each param set's
 * in-scope runs, ascending: one number while a set has one run (in a database where every run has
 * its own set, 10,000 one-element arrays cost more than the join they replace). `runs_by_param_set`
 * holds (set, run id) in that order; reading param_set_id from the table instead (its last column,
 * after the specs) took twice as long as the ids.
 */
interface ScopeRuns {
  inScope: Set<number>;
  bySet: Map<number, number | number[]> | null;
}

function inScopeRuns(db: SqliteDatabase, scope: ReturnType<typeof scopeOf>): ScopeRuns {
  return { inScope: new Set(db.prepare(`SELECT r.id FROM runs r WHERE ${scope.where}`).pluck().all(scope.args) as number[]), bySet: null };
}

function setMembers(db: SqliteDatabase, inScope: Set<number>): Map<number, number | number[]> {
  // Two columns as two plucked lists (10,000 two-element row arrays cost twice the reads), in one
  // read transaction so that both lists see the same runs.
  const members = 'FROM runs WHERE param_set_id IS NOT NULL ORDER BY param_set_id, id';
  const [setIds, runIds] = db.transaction((): [number[], number[]] => [
    db.prepare(`SELECT param_set_id ${members}`).pluck().all() as number[],
    db.prepare(`SELECT id ${members}`).pluck().all() as number[],
  ])();
  const bySet = new Map<number, number | number[]>();
  for (let i = 0; i < runIds.length; i++) {
    const setId = setIds[i]!;
    const id = runIds[i]!;
    if (!inScope.has(id)) continue;
    const seen = bySet.get(setId);
    if (seen === undefined) bySet.set(setId, id);
    else if (typeof seen === 'number') bySet.set(setId, [seen, id]);
    else seen.push(id);
  }
  return bySet;
}

/**
 * Set rows of one key above which a wide pivot reads every set's runs at once (`setMembers`) and
 * joins in JS, rather than through the `params` view: a sweep's runs share a handful of sets, and
 * reading all 10,000 runs' sets for five of them made that pivot slower than the view's few joins.
 */
const manySetRows = 64;

/**
 * Each in-scope run's value of param `key`, in value order, then run id (the order cells are
 * listed in, and which run a tie for best names): a run's own row, else its param set's.
 * - One sweep: each run's row looked up from the run (primary keys), not through the `params`
 *   view, which joins every set row back to runs and made this pivot 2.4× slower (issue 13).
 *   CROSS JOIN keeps runs first: the planner would otherwise read every set row of `key` from
 *   param_set_rows_by_key_value (0.6 → 7 ms on 10,000 runs; paramSets.test checks the plan).
 * - Wider scopes: the set rows and own rows of `key`, each one covering index range in value
 *   order, merged by SQLite; each set row stands for its in-scope runs (`runsOf.bySet`, read once
 *   for both params). Joining set rows back to runs in SQL (the `params` view) costs a
 *   runs_by_param_set descent per set row: on 10,000 runs that each have their own set, most of
 *   the pivot (issue 13). Ties on (value, kind) come from SQLite in no set order, so a tie group's
 *   runs are sorted by id here: the same order as the view's `ORDER BY value, kind, run_id`.
 */
function paramValues(
  db: SqliteDatabase,
  key: string,
  scope: ReturnType<typeof scopeOf>,
  runsOf: ScopeRuns | null,
): Map<number, ParamValue> {
  const out = new Map<number, ParamValue>();
  if (runsOf === null) {
    const { where, args } = scope;
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
  const setRows = db.prepare('SELECT count(*) FROM param_set_rows WHERE key = ?').pluck().get(key) as number;
  if (setRows <= manySetRows) {
    const viewRows = db.prepare('SELECT run_id, value, kind FROM params WHERE key = ? ORDER BY value, kind, run_id').raw().all(key) as [
      number,
      number | string,
      FlatParam['kind'],
    ][];
    for (const [runId, value, kind] of viewRows) if (runsOf.inScope.has(runId)) out.set(runId, readParam(value, kind));
    return out;
  }
  const bySet = (runsOf.bySet ??= setMembers(db, runsOf.inScope));
  const rows = db
    .prepare(
      `SELECT s.value, s.kind, s.set_id, 0 FROM param_set_rows s WHERE s.key = @key
       UNION ALL
       SELECT p.value, p.kind, p.run_id, 1 FROM run_params p WHERE p.key = @key
       ORDER BY 1, 2, 3`,
    )
    .raw()
    .all({ key }) as [number | string, FlatParam['kind'], number, 0 | 1][];
  const group: number[] = [];
  for (let i = 0; i < rows.length;) {
    const [value, kind] = rows[i]!;
    group.length = 0;
    let sets = 0;
    let own = 0;
    for (let row = rows[i]; row !== undefined && row[0] === value && row[1] === kind; row = rows[++i]) {
      const id = row[2];
      if (row[3] === 1) {
        if (!runsOf.inScope.has(id)) continue;
        own++;
        group.push(id);
        continue;
      }
      const runs = bySet.get(id);
      if (runs === undefined) continue;
      sets++;
      if (typeof runs === 'number') group.push(runs);
      else for (const runId of runs) group.push(runId);
    }
    // Own rows come in run id order (ORDER BY 1, 2, 3), and so do one set's runs.
    if (sets > 1 || (sets === 1 && own > 0)) group.sort((a, b) => a - b);
    const param = readParam(value, kind);
    for (const id of group) out.set(id, param);
  }
  return out;
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
