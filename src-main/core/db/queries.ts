/**
 * Read queries for the UI: the runs table, a run's detail and series (compare: compareQuery.ts; the
 * sweep pivot: pivotQuery.ts).
 * Results are wire-ready (NaN/±Infinity encoded as strings, see contract/runs.ts).
 *
 * The runs list is two steps on purpose: first the page of ids (filters + one join for the sort
 * column), then the chosen columns for those ≤ limit ids. Joining every chosen column before
 * sorting would look them up for all 10,000 runs instead of 100.
 */
import { coded, invalidInput } from '../errors.ts';
import {
  encodeMetricValue,
  ListRunsQuery,
  type ListRunsQueryParsed,
  type MetricPointOut,
  type MetricSummary,
  type MetricValue,
  type ParamValue,
  type RunDetail,
  type RunRow,
  type SeriesResult,
  type SummaryField,
} from '../contract/runs.ts';
import type { SqliteDatabase } from './database.ts';
import {
  readParam,
  runRowColumns,
  toRunRecord,
  type EvaluationDbRow,
  type FlatParam,
  type RunDbRow,
  type SummaryDbRow,
} from './records.ts';
import { metricKind, type MetricKindInfo } from '../contract/metrics.ts';

export const enc = (v: number | null): MetricValue | null => (v === null ? null : encodeMetricValue(v));

export class Binder {
  readonly args: Record<string, unknown> = {};
  #n = 0;
  bind(value: unknown): string {
    const name = `a${this.#n++}`;
    this.args[name] = typeof value === 'boolean' ? (value ? 1 : 0) : value;
    return `@${name}`;
  }
}

const opSql = { eq: '=', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' } as const;
const runColumns: Record<string, string> = {
  id: 'r.id',
  name: 'r.name',
  status: 'r.status',
  createdAt: 'r.created_at',
  startedAt: 'r.started_at',
  endedAt: 'r.ended_at',
  duration: '(r.ended_at - r.started_at)',
};

function splitMetricColumn(spec: string): { key: string; field: SummaryField } {
  const dot = spec.lastIndexOf('.');
  return { key: spec.slice(0, dot), field: spec.slice(dot + 1) as SummaryField };
}

/**
 * Whether any run holds param `key` as its own row (`run_params`) and whether any param set holds
 * it (one statement, an index probe each). A key lives on one side in most databases (a sweep's
 * axes are own rows, everything else set rows), and a per-run lookup on the other side costs a
 * b-tree descent per run for nothing. Callers read in one transaction with the query that uses
 * the answer, so no run gains the key in between.
 */
function paramSides(db: SqliteDatabase, key: string): { own: boolean; set: boolean } {
  const [own, set] = db
    .prepare('SELECT EXISTS (SELECT 1 FROM run_params WHERE key = @key), EXISTS (SELECT 1 FROM param_set_rows WHERE key = @key)')
    .raw()
    .get({ key }) as [0 | 1, 0 | 1];
  return { own: own === 1, set: set === 1 };
}

/**
 * The WHERE terms that select a filter's runs (alias `r`), with their values bound on `b`; shared
 * by the runs table's pages and its column choice (tableColumns.ts).
 */
export function runFilterSql(
  db: SqliteDatabase,
  q: Pick<ListRunsQueryParsed, 'experimentId' | 'sweepId' | 'status' | 'tag' | 'params' | 'metrics'>,
  b: Binder,
): string[] {
  const where: string[] = [];
  if (q.experimentId !== undefined) where.push(`r.experiment_id = ${b.bind(q.experimentId)}`);
  if (q.sweepId !== undefined) where.push(`r.sweep_id = ${b.bind(q.sweepId)}`);
  if (q.status && q.status.length > 0) where.push(`r.status IN (SELECT value FROM json_each(${b.bind(JSON.stringify(q.status))}))`);
  if (q.tag !== undefined) where.push(`EXISTS (SELECT 1 FROM tags t WHERE t.run_id = r.id AND t.tag = ${b.bind(q.tag)})`);
  for (const f of q.params) {
    let test: string;
    if (f.op === 'in') {
      const values = (Array.isArray(f.value) ? f.value : [f.value]).map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
      test = `+p.value IN (SELECT value FROM json_each(${b.bind(JSON.stringify(values))}))`;
    } else {
      if (Array.isArray(f.value))
        throw coded('invalid_input', `Invalid runs query: params: op '${f.op}' takes one value, not a list`, 'error_runs_query_op_list', {
          op: f.op,
        });
      test = f.value === null ? `p.kind = 'json' AND +p.value = 'null'` : `+p.value ${opSql[f.op]} ${b.bind(f.value)}`;
    }
    const key = b.bind(f.key);
    // A run's own rows, then its param set's: the same rows as the `params` view, but the set is
    // looked up by the run's param_set_id at hand instead of joining every set row back to runs
    // (twice the cost of the filtered list on 10,000 runs). Own rows never repeat a set's key.
    const sides = paramSides(db, f.key);
    const lookups = [
      ...(sides.own ? [`EXISTS (SELECT 1 FROM run_params p WHERE p.run_id = r.id AND p.key = ${key} AND ${test})`] : []),
      ...(sides.set ? [`EXISTS (SELECT 1 FROM param_set_rows p WHERE p.set_id = r.param_set_id AND p.key = ${key} AND ${test})`] : []),
    ];
    where.push(lookups.length > 0 ? `(${lookups.join(' OR ')})` : '0');
  }
  // Filters are correlated lookups by run (primary key). The unary + keeps SQLite from using the
  // (key, value) / (key, best) indexes for them, which without ANALYZE statistics it may pick and
  // then scan once per run: 1.6 s instead of 25 ms on 10,000 runs.
  for (const f of q.metrics) {
    const tests = [`m.key = ${b.bind(f.key)}`];
    if (f.min !== undefined) tests.push(`+m.${f.field} >= ${b.bind(f.min)}`);
    if (f.max !== undefined) tests.push(`+m.${f.field} <= ${b.bind(f.max)}`);
    where.push(`EXISTS (SELECT 1 FROM latest_metrics m WHERE m.run_id = r.id AND ${tests.join(' AND ')})`);
  }
  return where;
}

export function listRuns(
  db: SqliteDatabase,
  input: unknown,
): { total: number; rows: RunRow[]; metricKinds: Record<string, MetricKindInfo> } {
  const parsed = ListRunsQuery.safeParse(input);
  if (!parsed.success) throw invalidInput('runs query', parsed.error);
  const q = parsed.data;
  const metricKinds = Object.fromEntries(q.metricColumns.map((c) => [c.key, metricKind(c.key)]));
  // One read transaction: the page, its total and its columns see the same runs (a run deleted by
  // another process between the page and its columns would leave a hole in the rows).
  return db.transaction(() => ({ ...listPage(db, q), metricKinds }))();
}

function listPage(db: SqliteDatabase, q: ListRunsQueryParsed): { total: number; rows: RunRow[] } {
  const b = new Binder();
  const where = runFilterSql(db, q, b);
  const whereSql = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';

  let join = '';
  let sortExpr: string;
  const by = q.sort.by;
  if (by.startsWith('param:')) {
    // The run's own row or its set's (as in runFilterSql), not a join through the `params` view.
    const name = by.slice('param:'.length);
    const key = b.bind(name);
    // Joined (a scalar subquery per run costs a little more), from the side(s) that hold the key.
    const { own, set } = paramSides(db, name);
    join = [
      ...(own ? [`LEFT JOIN run_params sp ON sp.run_id = r.id AND sp.key = ${key}`] : []),
      ...(set ? [`LEFT JOIN param_set_rows ss ON ss.set_id = r.param_set_id AND ss.key = ${key}`] : []),
    ].join(' ');
    sortExpr = own && set ? 'coalesce(sp.value, ss.value)' : own ? 'sp.value' : set ? 'ss.value' : 'NULL';
  } else if (by.startsWith('metric:')) {
    const { key, field } = splitMetricColumn(by.slice('metric:'.length));
    join = `LEFT JOIN latest_metrics sm ON sm.run_id = r.id AND sm.key = ${b.bind(key)}`;
    sortExpr = `sm.${field}`;
  } else {
    sortExpr = runColumns[by]!;
  }
  const dir = q.sort.dir === 'asc' ? 'ASC' : 'DESC';
  // The total comes with the page (a window count over the filtered rows) instead of a second
  // pass of the filters; only a page past the end needs the separate count.
  // The sort key is computed once per filtered run, in the inner SELECT: written twice in the
  // ORDER BY (nulls last, then the value), a param key's lookups ran twice per run (issue 13).
  const page = db
    .prepare(
      `SELECT id, count(*) OVER () AS total FROM (SELECT r.id AS id, ${sortExpr} AS sort_key FROM runs r ${join} ${whereSql})
       ORDER BY sort_key IS NULL, sort_key ${dir}, id ${dir} LIMIT ${b.bind(q.limit)} OFFSET ${b.bind(q.offset)}`,
    )
    .raw()
    .all(b.args) as [number, number][];
  if (page.length === 0) {
    const total = (db.prepare(`SELECT count(*) AS n FROM runs r ${whereSql}`).get(b.args) as { n: number }).n;
    return { total, rows: [] };
  }
  const total = page[0]![1];
  const ids = page.map(([id]) => id);
  const rows = pageRows(db, ids, q);
  return { total, rows: ids.map((id) => rows.get(id)!) };
}

/** The chosen columns (run fields, tags, params, summaries) of a page's ≤ limit runs. */
function pageRows(db: SqliteDatabase, ids: number[], q: ListRunsQueryParsed): Map<number, RunRow> {
  const idJson = JSON.stringify(ids);
  const runs = db
    .prepare(
      `SELECT id, uuid, name, status, experiment_id, sweep_id, dataset, backend, created_at, started_at, ended_at
       FROM runs WHERE id IN (SELECT value FROM json_each(?))`,
    )
    .all(idJson) as Pick<
    RunDbRow,
    'id' | 'uuid' | 'name' | 'status' | 'experiment_id' | 'sweep_id' | 'dataset' | 'backend' | 'created_at' | 'started_at' | 'ended_at'
  >[];
  const rows = new Map<number, RunRow>();
  for (const r of runs) {
    rows.set(r.id, {
      id: r.id,
      uuid: r.uuid,
      name: r.name,
      status: r.status,
      experimentId: r.experiment_id,
      sweepId: r.sweep_id,
      dataset: r.dataset,
      backend: r.backend,
      createdAt: r.created_at,
      startedAt: r.started_at,
      endedAt: r.ended_at,
      tags: [],
      params: Object.fromEntries(q.paramColumns.map((k) => [k, null])),
      metrics: Object.fromEntries(q.metricColumns.map((c) => [`${c.key}.${c.field}`, null])),
    });
  }
  for (const t of db.prepare('SELECT run_id, tag FROM tags WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY tag').all(idJson) as {
    run_id: number;
    tag: string;
  }[]) {
    rows.get(t.run_id)!.tags.push(t.tag);
  }
  if (q.paramColumns.length > 0) {
    const params = db
      .prepare(
        'SELECT run_id, key, value, kind FROM params WHERE run_id IN (SELECT value FROM json_each(?)) AND key IN (SELECT value FROM json_each(?))',
      )
      .all(idJson, JSON.stringify(q.paramColumns)) as { run_id: number; key: string; value: number | string; kind: FlatParam['kind'] }[];
    for (const p of params) rows.get(p.run_id)!.params[p.key] = readParam(p.value, p.kind);
  }
  if (q.metricColumns.length > 0) {
    const keys = [...new Set(q.metricColumns.map((c) => c.key))];
    const summaries = db
      .prepare('SELECT * FROM latest_metrics WHERE run_id IN (SELECT value FROM json_each(?)) AND key IN (SELECT value FROM json_each(?))')
      .all(idJson, JSON.stringify(keys)) as SummaryDbRow[];
    for (const s of summaries) {
      const row = rows.get(s.run_id)!;
      for (const c of q.metricColumns) {
        if (c.key !== s.key) continue;
        row.metrics[`${c.key}.${c.field}`] = c.field === 'last' ? encodeMetricValue(s.last ?? NaN) : enc(s[c.field]);
      }
    }
  }
  return rows;
}

function toSummary(s: SummaryDbRow): MetricSummary {
  const kind = metricKind(s.key);
  const ranked = kind.better !== null;
  return {
    key: s.key,
    last: encodeMetricValue(s.last ?? NaN),
    lastStep: s.last_step,
    // A metric that is not ranked has no best (rows written before the registry may still hold one).
    best: ranked ? enc(s.best) : null,
    bestStep: ranked ? s.best_step : null,
    min: enc(s.min),
    max: enc(s.max),
    count: s.count,
    ...kind,
  };
}

export function summariesOf(db: SqliteDatabase, runIds: number[]): Map<number, MetricSummary[]> {
  const rows = db
    .prepare('SELECT * FROM latest_metrics WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, key')
    .all(JSON.stringify(runIds)) as SummaryDbRow[];
  const out = new Map<number, MetricSummary[]>();
  for (const s of rows) {
    let list = out.get(s.run_id);
    if (!list) out.set(s.run_id, (list = []));
    list.push(toSummary(s));
  }
  return out;
}

function paramsOf(db: SqliteDatabase, runId: number): Record<string, ParamValue> {
  const rows = db.prepare('SELECT key, value, kind FROM params WHERE run_id = ? ORDER BY key').all(runId) as {
    key: string;
    value: number | string;
    kind: FlatParam['kind'];
  }[];
  return Object.fromEntries(rows.map((p) => [p.key, readParam(p.value, p.kind)]));
}

/** A run's checkpoint rows, oldest epoch first (values as stored: NaN stays a number). */
export function checkpointRows(
  db: SqliteDatabase,
  runId: number,
): (Omit<RunDetail['checkpoints'][number], 'value'> & { value: number | null })[] {
  return db
    .prepare(
      'SELECT id, epoch, kind, path, bytes, sha256, metric, value, created_at AS createdAt FROM checkpoints WHERE run_id = ? ORDER BY epoch, id',
    )
    .all(runId) as (Omit<RunDetail['checkpoints'][number], 'value'> & { value: number | null })[];
}

export function runDetail(db: SqliteDatabase, id: number): RunDetail | undefined {
  const row = db.prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE id = ?`).get(id) as RunDbRow | undefined;
  if (!row) return undefined;
  const run = toRunRecord(row);
  const checkpoints = checkpointRows(db, id);
  const evaluations = db
    .prepare('SELECT split, loss, accuracy, confusion, per_class, most_wrong, created_at FROM evaluations WHERE run_id = ? ORDER BY split')
    .all(id) as EvaluationDbRow[];
  const tags = db.prepare('SELECT tag FROM tags WHERE run_id = ? ORDER BY tag').pluck().all(id) as string[];
  const note = (db.prepare('SELECT body FROM notes WHERE run_id = ?').pluck().get(id) as string | undefined) ?? '';
  return {
    id: run.id,
    uuid: run.uuid,
    name: run.name,
    status: run.status,
    experimentId: run.experimentId,
    sweepId: run.sweepId,
    dataset: run.dataset,
    backend: run.backend,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    tags,
    parentRunId: run.parentRunId,
    derivedFromRunId: run.derivedFromRunId,
    derivedEpochs: run.derivedEpochs,
    modelSpec: run.modelSpec,
    device: run.device,
    deviceCode: run.deviceCode,
    seed: run.seed,
    hyperparameters: run.hyperparameters,
    environment: run.environment,
    priority: run.priority,
    error: run.error,
    errorCode: run.errorCode,
    errorIssues: run.errorIssues,
    pruned: run.pruned,
    params: paramsOf(db, id),
    summary: summariesOf(db, [id]).get(id) ?? [],
    checkpoints: checkpoints.map((c) => ({ ...c, value: enc(c.value) })),
    evaluations: evaluations.map((e) => ({
      split: e.split,
      loss: enc(e.loss),
      accuracy: enc(e.accuracy),
      confusion: JSON.parse(e.confusion) as number[][],
      perClass: JSON.parse(e.per_class) as RunDetail['evaluations'][number]['perClass'],
      mostWrong: JSON.parse(e.most_wrong) as RunDetail['evaluations'][number]['mostWrong'],
      createdAt: e.created_at,
    })),
    note,
  };
}

export interface RawPoint {
  step: number;
  epoch: number;
  wall_ms: number;
  value: number | null;
}

/**
 * Min/max-bucket downsampling: about maxPoints/2 buckets in step order, each keeping its lowest
 * and highest point (and its first NaN, so a divergence stays visible), plus the first, the last
 * and the best point of the whole series. Order is preserved.
 */
export function downsample<T extends { value: number | null }>(points: readonly T[], maxPoints: number, direction: 'max' | 'min'): T[] {
  if (points.length <= maxPoints) return [...points];
  const keep = new Set<number>([0, points.length - 1]);
  let best = -1;
  for (let i = 0; i < points.length; i++) {
    const v = points[i]!.value;
    if (v === null) continue;
    const b = best < 0 ? null : points[best]!.value!;
    if (b === null || (direction === 'max' ? v > b : v < b)) best = i;
  }
  if (best >= 0) keep.add(best);
  const buckets = Math.max(1, Math.floor((maxPoints - 3) / 2));
  const size = points.length / buckets;
  for (let bucket = 0; bucket < buckets; bucket++) {
    const from = Math.floor(bucket * size);
    const to = Math.min(points.length, Math.floor((bucket + 1) * size));
    let lo = -1;
    let hi = -1;
    let firstNaN = -1;
    for (let i = from; i < to; i++) {
      const v = points[i]!.value;
      if (v === null) {
        if (firstNaN < 0) firstNaN = i;
        continue;
      }
      if (lo < 0 || v < points[lo]!.value!) lo = i;
      if (hi < 0 || v > points[hi]!.value!) hi = i;
    }
    for (const i of [lo, hi, firstNaN]) if (i >= 0) keep.add(i);
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}

export function toPoint(p: RawPoint): MetricPointOut {
  return { step: p.step, epoch: p.epoch, wallMs: p.wall_ms, value: encodeMetricValue(p.value ?? NaN) };
}

export function metricSeries(
  db: SqliteDatabase,
  runId: number,
  options: { keys?: string[] | undefined; maxPoints?: number | undefined } = {},
): SeriesResult {
  const rows = (
    options.keys
      ? db
          .prepare(
            'SELECT key, step, epoch, wall_ms, value FROM metrics WHERE run_id = ? AND key IN (SELECT value FROM json_each(?)) ORDER BY key, step',
          )
          .all(runId, JSON.stringify(options.keys))
      : db.prepare('SELECT key, step, epoch, wall_ms, value FROM metrics WHERE run_id = ? ORDER BY key, step').all(runId)
  ) as (RawPoint & { key: string })[];
  const byKey = new Map<string, RawPoint[]>();
  for (const r of rows) {
    let list = byKey.get(r.key);
    if (!list) byKey.set(r.key, (list = []));
    list.push(r);
  }
  // Object.fromEntries defines each key as data: a metric named like an Object.prototype member
  // (constructor, toString, even __proto__ from an older database) is just a key.
  const keys = [...byKey.keys()];
  const series: SeriesResult['series'] = Object.fromEntries(
    keys.map((key) => {
      const points = byKey.get(key)!;
      return [key, (options.maxPoints ? downsample(points, options.maxPoints, metricKind(key).better ?? 'max') : points).map(toPoint)];
    }),
  );
  const counts: SeriesResult['counts'] = Object.fromEntries(keys.map((key) => [key, byKey.get(key)!.length]));
  return { runId, series, counts };
}
