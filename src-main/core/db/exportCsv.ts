/**
 * Runs exported as CSV (exchange.ts picks the format): a table with one row per run (params and
 * summaries as columns) or one row per metric point. Spreadsheet formulas in text are defused.
 */
import { encodeMetricValue } from '../contract/index.ts';
import type { SqliteDatabase } from './database.ts';
import { readParam, runRowColumns, type FlatParam, type RunDbRow } from './records.ts';

/** A text that is a plain number (or NaN/±Infinity) is data to a spreadsheet, never a formula. */
const numberLike = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?Infinity$|^NaN$/i;

/**
 * One CSV cell. A text starting with = + - @ tab or CR is a formula to Excel, LibreOffice and
 * Google Sheets (a run name like `=HYPERLINK(...)` from a shared export would run when the CSV is
 * opened), so it gets a leading apostrophe, which spreadsheets show as text (OWASP's advice).
 * Numbers, and texts that are plain numbers like `-0.5`, are left as they are.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'number' ? String(encodeMetricValue(value)) : String(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(s) && !numberLike.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

type ParamRow = { run_id: number; key: string; value: number | string; kind: FlatParam['kind'] };
type SummaryRow = {
  run_id: number;
  key: string;
  last: number | null;
  best: number | null;
  best_step: number | null;
  min: number | null;
  max: number | null;
};

const metricsHeader = ['run_uuid', 'run_name', 'key', 'step', 'epoch', 'wall_ms', 'value'];
/** Metric points read per query while streaming: one query holds the event loop a few ms. */
const metricPageRows = 10_000;

/**
 * One CSV row per metric point, in run, key and step order, as parts of about `partChars`
 * characters (issue 12): each run's points are read `pageRows` at a time, from where the last
 * page ended, when the part is pulled, so a consumer that pulls only when its output has room
 * (exportWrite.ts) holds a part or two, whatever the export's size. A run deleted meanwhile is
 * left out, as a stream of the JSON export leaves it out.
 */
export function* metricsCsvParts(
  db: SqliteDatabase,
  sortedIds: readonly number[],
  partChars: number,
  pageRows = metricPageRows,
): Generator<string, void, undefined> {
  const runOf = db.prepare('SELECT uuid, name FROM runs WHERE id = ?');
  // The primary key (run_id, key, step) orders the points and finds where a page starts.
  const page = db
    .prepare(`SELECT key, step, epoch, wall_ms, value FROM metrics WHERE run_id = ? AND (key, step) > (?, ?) ORDER BY key, step LIMIT ?`)
    .raw();
  let part = csv([metricsHeader]);
  for (const id of sortedIds) {
    const run = runOf.get(id) as { uuid: string; name: string } | undefined;
    if (!run) continue;
    const lead = `${csvCell(run.uuid)},${csvCell(run.name)},`;
    for (let after: [string, number] = ['', -1]; ;) {
      const rows = page.all(id, ...after, pageRows) as [string, number, number, number, number | null][];
      for (const [key, step, epoch, wallMs, value] of rows) {
        part += `${lead}${csvCell(key)},${csvCell(step)},${csvCell(epoch)},${csvCell(wallMs)},${value === null ? 'NaN' : csvCell(value)}\n`;
        if (part.length >= partChars) {
          yield part;
          part = '';
        }
      }
      if (rows.length < pageRows) break;
      const last = rows[rows.length - 1]!;
      after = [last[0], last[1]];
    }
  }
  yield part;
}

/** Runs read per query while streaming the runs table: a few hundred rows, so one step holds the loop briefly. */
const runBatchRows = 256;
/** Runs whose param and metric names are read per query for the header (a few ms each). */
const keyBatchRuns = 2_000;

/**
 * One CSV row per run (its columns, then a column per param and five per metric summary), in id
 * order, as parts of about `partChars` characters (issue 12): the header's names are read first, a
 * batch of runs at a time (an empty part between batches lets the consumer's loop turn), then the
 * rows a batch at a time when their part is pulled, so a consumer that pulls only when its output
 * has room (exportWrite.ts) holds a part or two, whatever the run count. A run deleted meanwhile
 * is left out, as the other streamed exports leave it out.
 */
export function* runsCsvParts(
  db: SqliteDatabase,
  sortedIds: readonly number[],
  partChars: number,
  batchRows = runBatchRows,
): Generator<string, void, undefined> {
  const namesOf = (table: 'params' | 'latest_metrics') =>
    db.prepare(`SELECT DISTINCT key FROM ${table} WHERE run_id IN (SELECT value FROM json_each(?))`).pluck();
  const paramNames = namesOf('params');
  const metricNames = namesOf('latest_metrics');
  const paramSet = new Set<string>();
  const metricSet = new Set<string>();
  for (let i = 0; i < sortedIds.length; i += keyBatchRuns) {
    const idJson = JSON.stringify(sortedIds.slice(i, i + keyBatchRuns));
    for (const key of paramNames.all(idJson) as string[]) paramSet.add(key);
    for (const key of metricNames.all(idJson) as string[]) metricSet.add(key);
    if (i + keyBatchRuns < sortedIds.length) yield '';
  }
  const paramKeys = [...paramSet].sort();
  const metricKeys = [...metricSet].sort();
  const stmt = {
    runs: db.prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`),
    params: db.prepare('SELECT run_id, key, value, kind FROM params WHERE run_id IN (SELECT value FROM json_each(?))'),
    summaries: db.prepare('SELECT * FROM latest_metrics WHERE run_id IN (SELECT value FROM json_each(?))'),
    tags: db.prepare('SELECT run_id, tag FROM tags WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY tag'),
  };
  let part = csv([runsHeader(paramKeys, metricKeys)]);
  for (let i = 0; i < sortedIds.length; i += batchRows) {
    const idJson = JSON.stringify(sortedIds.slice(i, i + batchRows));
    // Grouped by run once: a filter over every row per run made a 100,000-run table quadratic.
    const paramsOf = byRun(stmt.params.all(idJson) as ParamRow[]);
    const summariesOf = byRun(stmt.summaries.all(idJson) as SummaryRow[]);
    const tagsOf = byRun(stmt.tags.all(idJson) as { run_id: number; tag: string }[]);
    for (const r of stmt.runs.all(idJson) as RunDbRow[]) {
      const p = new Map((paramsOf.get(r.id) ?? []).map((x) => [x.key, readParam(x.value, x.kind)]));
      const s = new Map((summariesOf.get(r.id) ?? []).map((x) => [x.key, x]));
      const row = [
        ...runCsvColumns(
          r,
          (tagsOf.get(r.id) ?? []).map((t) => t.tag),
        ),
        ...paramKeys.map((k) => p.get(k) ?? null),
        ...metricKeys.flatMap((k) => {
          const x = s.get(k);
          return x ? [x.last ?? NaN, x.best, x.best_step, x.min, x.max] : [null, null, null, null, null];
        }),
      ];
      part += `${row.map(csvCell).join(',')}\n`;
      if (part.length >= partChars) {
        yield part;
        part = '';
      }
    }
  }
  yield part;
}

function runsHeader(paramKeys: readonly string[], metricKeys: readonly string[]): string[] {
  return [
    'uuid',
    'name',
    'status',
    'experiment_id',
    'sweep_id',
    'dataset',
    'backend',
    'device',
    'seed',
    'created_at',
    'started_at',
    'ended_at',
    'duration_ms',
    'tags',
    ...paramKeys.map((k) => `param.${k}`),
    ...metricKeys.flatMap((k) => [`${k}.last`, `${k}.best`, `${k}.best_step`, `${k}.min`, `${k}.max`]),
  ];
}

/** Rows by their run, each run's in the order given. */
function byRun<T extends { run_id: number }>(rows: T[]): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.run_id);
    if (list) list.push(row);
    else grouped.set(row.run_id, [row]);
  }
  return grouped;
}

/** A run's own columns, in the header's order from uuid to tags. */
function runCsvColumns(r: RunDbRow, tags: string[]): unknown[] {
  return [
    r.uuid,
    r.name,
    r.status,
    r.experiment_id,
    r.sweep_id,
    r.dataset,
    r.backend,
    r.device,
    r.seed,
    r.created_at,
    r.started_at,
    r.ended_at,
    r.ended_at !== null && r.started_at !== null ? r.ended_at - r.started_at : null,
    tags.join(';'),
  ];
}
