/**
 * Which columns a runs table should show for the runs a filter selects (`runs.columns`): the
 * params whose values differ among those runs — what a sweep varied, a subset that changed — and
 * the main metric. Defaults that follow the data, so four runs of a kernel-size sweep never look
 * identical because kernelSize is not a column.
 */
import { RunsFilter, type TableColumns } from '../contract/runs.ts';
import { mainMetric } from '../contract/metrics.ts';
import { invalidInput } from '../errors.ts';
import type { SqliteDatabase } from './database.ts';
import { Binder, runFilterSql } from './queries.ts';
import { sweepAxisParams } from './compareQuery.ts';
import type { FlatParam } from './records.ts';
import { restatedParams } from './runParams.ts';

/**
 * Params in the order a reader scans them: the swept model fields, the training hyperparameters,
 * then the data. Any other key follows alphabetically, per-layer fields last, the seed at the end
 * (repeats differ in it, and it is rarely the question).
 */
const preferred = [
  'model',
  'kernelSize',
  'filters',
  'strides',
  'padding',
  'pooling',
  'activation',
  'dropout',
  'epochs',
  'learningRate',
  'batchSize',
  'optimizer',
  'momentum',
  'dataset',
  'trainImages',
  'testImages',
  'validationSplit',
  'preprocessing',
  'backend',
];

function rank(key: string): [number, string] {
  const at = preferred.indexOf(key);
  if (at >= 0) return [at, key];
  if (key === 'seed') return [3000, key];
  if (key.startsWith('layers.')) return [2000, key];
  return [1000, key];
}

const byRank = (a: string, b: string) => {
  const [x, kx] = rank(a);
  const [y, ky] = rank(b);
  return x - y || kx.localeCompare(ky);
};

/** How many of the selected runs (the newest) decide the columns. */
export const sampleSize = 2000;

/** One read transaction: the count, the sample and its params see the same runs (and the same param lookups, see queries.ts). */
export function tableColumns(db: SqliteDatabase, input: unknown): TableColumns {
  return db.transaction(() => columnsOf(db, input))();
}

function columnsOf(db: SqliteDatabase, input: unknown): TableColumns {
  const parsed = RunsFilter.safeParse(input ?? {});
  if (!parsed.success) throw invalidInput('runs filter', parsed.error);
  const b = new Binder();
  const where = runFilterSql(db, parsed.data, b);
  const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';
  const runs = (db.prepare(`SELECT count(*) FROM runs r ${whereSql}`).pluck().get(b.args) as number) ?? 0;
  // The newest runs stand for the rest: what varies among 2,000 runs is what a table of them
  // needs, and reading every param of 10,000 runs would hold the database for a second.
  const ids = db.prepare(`SELECT r.id FROM runs r ${whereSql} ORDER BY r.id DESC LIMIT ${sampleSize}`).pluck().all(b.args) as number[];
  const idJson = JSON.stringify(ids);
  // Counted in SQLite, one pass over the selected runs' params: a key varies when it has more than
  // one value, or when some runs lack it.
  const stats = db
    .prepare(
      `SELECT key, count(*) AS n, count(DISTINCT kind || ':' || value) AS distinct_values FROM params
       WHERE run_id IN (SELECT value FROM json_each(?)) GROUP BY key`,
    )
    .all(idJson) as { key: string; n: number; distinct_values: number }[];
  const candidates = stats
    .filter((s) => s.distinct_values > 1 || s.n < ids.length)
    .map((s) => s.key)
    .sort(byRank);

  // One column per fact (runParams.ts restatedParams): `kernelSize`, not also `layers.0.kernelSize`.
  // Then, for a table's width, a layer field that splits the runs as an earlier column does — the
  // layers of a sweep over presets beside `model` — adds nothing a column can show. Settings that
  // are not layer fields and happen to change together (a learning rate and a subset) both stay.
  const varying: string[] = [];
  if (candidates.length > 0) {
    const layerTypes = candidates.flatMap((key) => {
      const match = /^layers\.(\d+)\./.exec(key);
      return match ? [`layers.${match[1]}.type`] : [];
    });
    const stored = new Map(ids.map((id) => [id, new Map<string, { value: number | string; kind: FlatParam['kind'] }>()]));
    for (const row of db
      .prepare(
        `SELECT key, run_id, value, kind FROM params
         WHERE run_id IN (SELECT value FROM json_each(?)) AND key IN (SELECT value FROM json_each(?))`,
      )
      .all(idJson, JSON.stringify([...new Set([...candidates, ...layerTypes])])) as {
      key: string;
      run_id: number;
      value: number | string;
      kind: FlatParam['kind'];
    }[])
      stored.get(row.run_id)?.set(row.key, { value: row.value, kind: row.kind });
    const runs = [...stored.values()];
    const restated = restatedParams(runs, candidates, sweepAxisParams(db, idJson));
    const seen = new Set<string>();
    for (const key of candidates) {
      if (restated.has(key)) continue;
      const first = new Map<string, number>();
      // Each run gets the index of the first run with the same value: equal lists, equal partitions.
      const partition = runs
        .map((run, i) => {
          const cell = run.get(key);
          const value = cell ? `${cell.kind}:${cell.value}` : '∅';
          return first.get(value) ?? (first.set(value, i), i);
        })
        .join(',');
      if (key.startsWith('layers.') && seen.has(partition)) continue;
      seen.add(partition);
      varying.push(key);
    }
  }

  const metrics = db
    .prepare('SELECT DISTINCT key FROM latest_metrics WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY key')
    .pluck()
    .all(idJson) as string[];
  return { runs, varying, params: stats.map((s) => s.key).sort(byRank), metrics, main: mainMetric(metrics) };
}
