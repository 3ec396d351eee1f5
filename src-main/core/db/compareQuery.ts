/**
 * Compare: several runs side by side — the params that differ, each metric's best and last with
 * its leader, and the chosen series (wire-ready like every query result, see queries.ts).
 */
import type { z } from 'zod';
import { coded, invalidInput } from '../errors.ts';
import {
  CompareQuery,
  decodeMetricValue,
  encodeMetricValue,
  type CompareResult,
  type MetricValue,
  type ParamValue,
  type RunStatus,
} from '../contract/runs.ts';
import type { SqliteDatabase } from './database.ts';
import { readParam, type FlatParam, type SummaryDbRow } from './records.ts';
import { bestIndex, metricKind } from '../contract/metrics.ts';
import { paramOfAxis, restatedParams } from './runParams.ts';
import { downsample, enc, toPoint, type RawPoint } from './queries.ts';

function sameParam(a: ParamValue, b: ParamValue): boolean {
  return a === b;
}

/** The params the sweeps of these runs (a JSON list of run ids) have as axes, as paramOfAxis names them. */
export function sweepAxisParams(db: SqliteDatabase, runIdJson: string): Set<string> {
  const names = db
    .prepare(
      `SELECT DISTINCT a.key FROM sweeps s, json_each(s.spec, '$.axes') a
       WHERE s.id IN (SELECT sweep_id FROM runs WHERE id IN (SELECT value FROM json_each(?)))`,
    )
    .pluck()
    .all(runIdJson) as string[];
  return new Set(names.map(paramOfAxis));
}

export function compareRuns(db: SqliteDatabase, input: unknown): CompareResult {
  const parsed = CompareQuery.safeParse(input);
  if (!parsed.success) throw invalidInput('compare query', parsed.error);
  const q = parsed.data;
  const ids = [...new Set(q.ids)];
  const idJson = JSON.stringify(ids);
  const runs = runsToCompare(db, ids, idJson);
  const index = new Map(ids.map((id, i) => [id, i]));
  return {
    runs,
    params: paramRows(db, ids, idJson, index, q.diffOnly),
    summaries: summaryRows(db, ids, idJson, index),
    series: q.keys.length > 0 ? seriesOf(db, ids, idJson, q.keys, q.maxPoints) : [],
  };
}

type Parsed = z.output<typeof CompareQuery>;

/** The runs, in the order asked; refused when any does not exist. */
function runsToCompare(db: SqliteDatabase, ids: number[], idJson: string): CompareResult['runs'] {
  const found = db.prepare('SELECT id, uuid, name, status FROM runs WHERE id IN (SELECT value FROM json_each(?))').all(idJson) as {
    id: number;
    uuid: string;
    name: string;
    status: RunStatus;
  }[];
  const byId = new Map(found.map((r) => [r.id, r]));
  const missing = ids.filter((id) => !byId.has(id));
  if (missing.length > 0)
    throw missing.length > 1
      ? coded('not_found', `Cannot compare: runs ${missing.join(', ')} do not exist`, 'error_compare_runs_missing', {
          ids: missing.join(', '),
        })
      : coded('not_found', `Cannot compare: run ${missing[0]} does not exist`, 'error_compare_run_missing', { id: missing[0]! });
  return ids.map((id) => byId.get(id)!);
}

/** One row per param (all, or only those that differ), its value for each run. */
function paramRows(
  db: SqliteDatabase,
  ids: number[],
  idJson: string,
  index: Map<number, number>,
  diffOnly: boolean,
): CompareResult['params'] {
  const paramRows = db
    .prepare('SELECT run_id, key, value, kind FROM params WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY key')
    .all(idJson) as { run_id: number; key: string; value: number | string; kind: FlatParam['kind'] }[];
  const params = new Map<string, ParamValue[]>();
  for (const p of paramRows) {
    let values = params.get(p.key);
    if (!values) params.set(p.key, (values = ids.map(() => null)));
    values[index.get(p.run_id)!] = readParam(p.value, p.kind);
  }
  const stored = ids.map(() => new Map<string, { value: number | string; kind: FlatParam['kind'] }>());
  for (const p of paramRows) stored[index.get(p.run_id)!]!.set(p.key, { value: p.value, kind: p.kind });
  const rows = [...params].map(([key, values]) => ({ key, values, differs: values.some((v) => !sameParam(v, values[0]!)) }));
  const listed = diffOnly ? rows.filter((p) => p.differs) : rows;
  // One row per fact: `kernelSize`, not also `layers.0.kernelSize` (runParams.ts restatedParams).
  const restated = restatedParams(
    stored,
    listed.map((p) => p.key),
    sweepAxisParams(db, idJson),
  );
  return listed.filter((p) => !restated.has(p.key));
}

/** Each metric's best and last per run, and which run leads on each. */
function summaryRows(db: SqliteDatabase, ids: number[], idJson: string, index: Map<number, number>): CompareResult['summaries'] {
  const summaryRows = db
    .prepare('SELECT * FROM latest_metrics WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY key')
    .all(idJson) as SummaryDbRow[];
  const summaries = new Map<string, CompareResult['summaries'][number]>();
  for (const s of summaryRows) {
    let entry = summaries.get(s.key);
    if (!entry) {
      entry = {
        key: s.key,
        ...metricKind(s.key),
        best: ids.map(() => null),
        last: ids.map(() => null),
        leader: { best: null, last: null },
      };
      summaries.set(s.key, entry);
    }
    const i = index.get(s.run_id)!;
    // A metric that is not ranked has no best (rows written before the registry may still hold one).
    entry.best[i] = entry.better === null ? null : enc(s.best);
    entry.last[i] = encodeMetricValue(s.last ?? NaN);
  }
  for (const entry of summaries.values()) {
    const lead = (values: (MetricValue | null)[]) => {
      const at = bestIndex(
        values.map((v) => (v === null ? null : decodeMetricValue(v))),
        entry.better,
      );
      return at < 0 ? null : at;
    };
    entry.leader = { best: lead(entry.best), last: lead(entry.last) };
  }
  return [...summaries.values()];
}

/** Every (run, key) series asked for, in run then key order, downsampled when asked. */
function seriesOf(
  db: SqliteDatabase,
  ids: number[],
  idJson: string,
  keys: string[],
  maxPoints: Parsed['maxPoints'],
): CompareResult['series'] {
  const series: CompareResult['series'] = [];
  // One query for every (run, key) series: each is a range of the metrics primary key.
  const rows = db
    .prepare(
      `SELECT run_id, key, step, epoch, wall_ms, value FROM metrics
       WHERE run_id IN (SELECT value FROM json_each(?)) AND key IN (SELECT value FROM json_each(?)) ORDER BY run_id, key, step`,
    )
    .all(idJson, JSON.stringify(keys)) as (RawPoint & { run_id: number; key: string })[];
  const grouped = new Map<string, RawPoint[]>();
  for (const r of rows) {
    const id = `${r.run_id}\u0000${r.key}`;
    let list = grouped.get(id);
    if (!list) grouped.set(id, (list = []));
    list.push(r);
  }
  for (const id of ids) {
    for (const key of keys) {
      const points = grouped.get(`${id}\u0000${key}`) ?? [];
      const kept = maxPoints ? downsample(points, maxPoints, metricKind(key).better ?? 'max') : points;
      series.push({ runId: id, key, points: kept.map(toPoint) });
    }
  }
  return series;
}
