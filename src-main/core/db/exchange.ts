/**
 * Export runs as JSON (everything, re-importable by importRuns.ts), a CSV table (one row per run:
 * params and summaries as columns) or CSV metric points (one row per point). NaN/±Infinity travel
 * as strings.
 */
import { z } from 'zod';
import { coded, sweepNotFound } from '../errors.ts';
import { CoreText, ProblemText } from '../contract/coreText.ts';
import {
  Checkpoint,
  encodeMetricValue,
  MetricValue,
  RunStatus,
  SweepStatus,
  type ExportFormat,
  type ExportSelection,
} from '../contract/index.ts';
import type { SqliteDatabase } from './database.ts';
import { metricsCsvParts, runsCsvParts } from './exportCsv.ts';
import { exportFormatTag } from './importRuns.ts';
import { runRowColumns, toRunRecord, type EvaluationDbRow, type RunDbRow } from './records.ts';

/** The shape of an export this file writes (importRuns.ts reads it back within the API's limits). */
const ExportedRun = z
  .object({
    uuid: z.uuid(),
    name: z.string().min(1),
    experimentUuid: z.string().nullable(),
    sweepUuid: z.string().nullable(),
    parentRunUuid: z.string().nullable(),
    derivedFromRunUuid: z.string().nullable(),
    derivedEpochs: z.number().int().positive().nullable(),
    status: RunStatus,
    modelSpec: z.unknown(),
    dataset: z.string(),
    backend: z.string(),
    device: z.string(),
    /** `device`'s coded form (exports from before it have none). */
    deviceCode: CoreText.nullable(),
    seed: z.number().int(),
    hyperparameters: z.record(z.string(), z.unknown()),
    environment: z.record(z.string(), z.unknown()),
    priority: z.number().int(),
    error: z.string().nullable(),
    /** `error`'s coded form and the coded problems it lists (exports from before them have neither). */
    errorCode: CoreText.nullable(),
    errorIssues: z.array(ProblemText).nullable(),
    /** A pruned run's epoch and rung (exports from before pruning have none). */
    pruned: z.object({ epoch: z.number().int().positive(), rung: z.number().int().nonnegative().nullable() }).nullable().default(null),
    createdAt: z.number(),
    startedAt: z.number().nullable(),
    endedAt: z.number().nullable(),
    tags: z.array(z.string()),
    note: z.string(),
    // A checkpoint as the API shows it, less its database id (an import assigns new ones).
    checkpoints: z.array(Checkpoint.omit({ id: true })),
    evaluations: z.array(
      z.object({
        split: z.string(),
        loss: MetricValue.nullable(),
        accuracy: MetricValue.nullable(),
        confusion: z.unknown(),
        perClass: z.unknown(),
        mostWrong: z.unknown(),
        createdAt: z.number(),
      }),
    ),
    /** key → [step, epoch, wallMs, value] in step order. */
    metrics: z.record(z.string(), z.array(z.tuple([z.number().int(), z.number().int(), z.number(), MetricValue]))),
  })
  .refine((run) => (run.status === 'pruned') === (run.pruned !== null), {
    message: 'a pruned run names the epoch it was pruned at (pruned: { epoch, rung }), and only a pruned run does',
    path: ['pruned'],
  });

export const RunsExport = z.object({
  format: z.literal(exportFormatTag),
  version: z.literal(1),
  exportedAt: z.number(),
  experiments: z.array(z.object({ uuid: z.string(), name: z.string().min(1), description: z.string(), createdAt: z.number() })),
  sweeps: z.array(
    z.object({
      uuid: z.string(),
      experimentUuid: z.string().nullable(),
      name: z.string(),
      spec: z.unknown(),
      status: SweepStatus,
      createdAt: z.number(),
    }),
  ),
  runs: z.array(ExportedRun),
});
export type RunsExport = z.infer<typeof RunsExport>;

function selectRunIds(db: SqliteDatabase, selection: ExportSelection): number[] {
  if ('runIds' in selection) {
    const ids = [...new Set(selection.runIds)];
    const found = new Set(
      db.prepare('SELECT id FROM runs WHERE id IN (SELECT value FROM json_each(?))').pluck().all(JSON.stringify(ids)) as number[],
    );
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0)
      throw coded('not_found', `Cannot export: run ${missing.join(', ')} does not exist`, 'error_export_runs_missing', {
        ids: missing.join(', '),
      });
    return ids;
  }
  if ('sweepId' in selection) {
    if (!db.prepare('SELECT 1 FROM sweeps WHERE id = ?').get(selection.sweepId)) throw sweepNotFound(selection.sweepId);
    return db.prepare('SELECT id FROM runs WHERE sweep_id = ? ORDER BY id').pluck().all(selection.sweepId) as number[];
  }
  if (!db.prepare('SELECT 1 FROM experiments WHERE id = ?').get(selection.experimentId)) {
    throw coded('not_found', `Experiment ${selection.experimentId} does not exist`, 'error_experiment_not_found', {
      id: selection.experimentId,
    });
  }
  return db.prepare('SELECT id FROM runs WHERE experiment_id = ? ORDER BY id').pluck().all(selection.experimentId) as number[];
}

const enc = (v: number | null) => (v === null ? null : encodeMetricValue(v));

type ExperimentRow = { id: number; uuid: string; name: string; description: string; created_at: number };
type SweepRow = {
  id: number;
  uuid: string;
  experiment_id: number | null;
  name: string;
  spec: string;
  status: SweepStatus;
  created_at: number;
};
type CheckpointRow = {
  epoch: number;
  kind: 'best' | 'last' | 'epoch';
  path: string;
  bytes: number;
  sha256: string;
  metric: string | null;
  value: number | null;
  created_at: number;
};
type ExportedRunShape = RunsExport['runs'][number];

/** The uuids an exported run names its experiment, sweep, parent and source run by. */
interface UuidLookups {
  experiment: Map<number, string>;
  sweep: Map<number, string>;
  run: (id: number | null) => string | null;
}

export function buildExport(db: SqliteDatabase, runIds: number[]): RunsExport {
  const { head, exportRun } = exportPlan(db, runIds);
  return {
    ...head,
    runs: runRows(
      db,
      [...runIds].sort((a, b) => a - b),
    ).map(exportRun),
  };
}

/** The export's members before `runs`, and the writer of one run, for the runs `runIds`. */
function exportPlan(
  db: SqliteDatabase,
  runIds: number[],
): { head: Omit<RunsExport, 'runs'>; exportRun: (r: RunDbRow) => ExportedRunShape } {
  const { experiments, sweeps } = exportScope(db, JSON.stringify(runIds));
  const uuids: UuidLookups = {
    experiment: new Map<number, string>(
      (db.prepare('SELECT id, uuid FROM experiments').all() as { id: number; uuid: string }[]).map((e) => [e.id, e.uuid]),
    ),
    sweep: new Map(sweeps.map((s) => [s.id, s.uuid])),
    run: runUuidLookup(db),
  };
  const head = {
    format: exportFormatTag,
    version: 1 as const,
    exportedAt: Date.now(),
    experiments: experiments.map((e) => ({ uuid: e.uuid, name: e.name, description: e.description, createdAt: e.created_at })),
    sweeps: sweeps.map((s) => ({
      uuid: s.uuid,
      experimentUuid: s.experiment_id === null ? null : (uuids.experiment.get(s.experiment_id) ?? null),
      name: s.name,
      spec: JSON.parse(s.spec) as unknown,
      status: s.status,
      createdAt: s.created_at,
    })),
  };
  return { head, exportRun: runExporter(db, uuids) };
}

/** The rows of the runs `sortedIds` (ascending), in id order; a run deleted meanwhile is left out. */
function runRows(db: SqliteDatabase, sortedIds: number[]): RunDbRow[] {
  return db
    .prepare(`SELECT ${runRowColumns('runs')} FROM runs WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id`)
    .all(JSON.stringify(sortedIds)) as RunDbRow[];
}

/** Runs read and written per query while streaming: a few hundred rows, so one step holds the loop briefly. */
const streamBatchRuns = 256;
/** Text handed on at a time while streaming (about; a single run's text may be longer). */
const streamPartChars = 2 ** 20;

/**
 * The JSON export of `runIds` as parts of text, byte for byte `JSON.stringify(buildExport(db, runIds))`
 * (issue 12): the members before `runs`, then the runs read a batch at a time and handed on in
 * parts of about 1 MiB, then the closing brackets. A consumer that pulls the next part only when
 * its output has room (writeExport) holds a few parts, whatever the run count. The runs are read
 * when their part is pulled, not in one snapshot: a run deleted in between is left out.
 */
function* jsonExportParts(db: SqliteDatabase, runIds: number[], partChars: number): Generator<string, void, undefined> {
  const { head, exportRun } = exportPlan(db, runIds);
  // `{…,"runs":[]}` less its last two characters: the same key order and text as the whole object.
  const opening = JSON.stringify({ ...head, runs: [] });
  let part = opening.slice(0, -2);
  let first = true;
  const sorted = [...runIds].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i += streamBatchRuns) {
    for (const row of runRows(db, sorted.slice(i, i + streamBatchRuns))) {
      part += (first ? '' : ',') + JSON.stringify(exportRun(row));
      first = false;
      if (part.length >= partChars) {
        yield part;
        part = '';
      }
    }
  }
  yield `${part}]}`;
}

/** The experiments and sweeps the exported runs belong to. */
function exportScope(db: SqliteDatabase, idJson: string): { experiments: ExperimentRow[]; sweeps: SweepRow[] } {
  const experiments = db
    .prepare(
      'SELECT id, uuid, name, description, created_at FROM experiments WHERE id IN (SELECT experiment_id FROM runs WHERE id IN (SELECT value FROM json_each(?)))',
    )
    .all(idJson) as ExperimentRow[];
  const sweeps = db
    .prepare(
      'SELECT id, uuid, experiment_id, name, spec, status, created_at FROM sweeps WHERE id IN (SELECT sweep_id FROM runs WHERE id IN (SELECT value FROM json_each(?)))',
    )
    .all(idJson) as SweepRow[];
  // A sweep's experiment travels with it even when none of the exported runs names it.
  const sweepExperiments = sweeps
    .map((s) => s.experiment_id)
    .filter((id): id is number => id !== null && !experiments.some((e) => e.id === id));
  for (const id of new Set(sweepExperiments)) {
    experiments.push(db.prepare('SELECT id, uuid, name, description, created_at FROM experiments WHERE id = ?').get(id) as ExperimentRow);
  }
  return { experiments, sweeps };
}

/** A run id's uuid, looked up once per id (parents and sources may lie outside the export). */
function runUuidLookup(db: SqliteDatabase): (id: number | null) => string | null {
  const uuidOf = new Map<number, string | null>();
  const lookupRunUuid = db.prepare('SELECT uuid FROM runs WHERE id = ?').pluck();
  return (id) => {
    if (id === null) return null;
    // A run deleted since (a stream reads runs as it goes) is named by no uuid, as a missing link is.
    if (!uuidOf.has(id)) uuidOf.set(id, (lookupRunUuid.get(id) as string | undefined) ?? null);
    return uuidOf.get(id) ?? null;
  };
}

/** One run as the export writes it: its record, tags, note, checkpoints, evaluations and metric points. */
function runExporter(db: SqliteDatabase, uuids: UuidLookups): (r: RunDbRow) => ExportedRunShape {
  const stmt = {
    metrics: db.prepare('SELECT key, step, epoch, wall_ms, value FROM metrics WHERE run_id = ? ORDER BY key, step'),
    checkpoints: db.prepare(
      'SELECT epoch, kind, path, bytes, sha256, metric, value, created_at FROM checkpoints WHERE run_id = ? ORDER BY id',
    ),
    evaluations: db.prepare(
      'SELECT split, loss, accuracy, confusion, per_class, most_wrong, created_at FROM evaluations WHERE run_id = ? ORDER BY split',
    ),
    tags: db.prepare('SELECT tag FROM tags WHERE run_id = ? ORDER BY tag').pluck(),
    note: db.prepare('SELECT body FROM notes WHERE run_id = ?').pluck(),
  };
  return (r) => {
    const record = toRunRecord(r);
    return {
      uuid: record.uuid,
      name: record.name,
      experimentUuid: r.experiment_id === null ? null : (uuids.experiment.get(r.experiment_id) ?? null),
      sweepUuid: r.sweep_id === null ? null : (uuids.sweep.get(r.sweep_id) ?? null),
      parentRunUuid: uuids.run(r.parent_run_id),
      derivedFromRunUuid: uuids.run(r.derived_from_run_id),
      ...pick(record, [
        'derivedEpochs',
        'status',
        'modelSpec',
        'dataset',
        'backend',
        'device',
        'deviceCode',
        'seed',
        'hyperparameters',
        'environment',
        'priority',
        'error',
        'errorCode',
        'errorIssues',
        'pruned',
        'createdAt',
        'startedAt',
        'endedAt',
      ]),
      tags: stmt.tags.all(r.id) as string[],
      note: (stmt.note.get(r.id) as string | undefined) ?? '',
      checkpoints: (stmt.checkpoints.all(r.id) as CheckpointRow[]).map(exportedCheckpoint),
      evaluations: (stmt.evaluations.all(r.id) as EvaluationDbRow[]).map(exportedEvaluation),
      metrics: metricSeries(
        stmt.metrics.all(r.id) as { key: string; step: number; epoch: number; wall_ms: number; value: number | null }[],
      ),
    };
  };
}

function metricSeries(
  points: { key: string; step: number; epoch: number; wall_ms: number; value: number | null }[],
): ExportedRunShape['metrics'] {
  // Keyed by metric names, which are user text: a plain object would take `constructor` for its own.
  const metrics = Object.create(null) as ExportedRunShape['metrics'];
  for (const m of points) (metrics[m.key] ??= []).push([m.step, m.epoch, m.wall_ms, encodeMetricValue(m.value ?? NaN)]);
  return metrics;
}

function exportedCheckpoint(c: CheckpointRow): ExportedRunShape['checkpoints'][number] {
  return {
    epoch: c.epoch,
    kind: c.kind,
    path: c.path,
    bytes: c.bytes,
    sha256: c.sha256,
    metric: c.metric,
    value: enc(c.value),
    createdAt: c.created_at,
  };
}

function exportedEvaluation(e: EvaluationDbRow): ExportedRunShape['evaluations'][number] {
  return {
    split: e.split,
    loss: enc(e.loss),
    accuracy: enc(e.accuracy),
    confusion: JSON.parse(e.confusion) as unknown,
    perClass: JSON.parse(e.per_class) as unknown,
    mostWrong: JSON.parse(e.most_wrong) as unknown,
    createdAt: e.created_at,
  };
}

/** An export to write out: what it is called and holds, and its text as parts (exportParts). */
export interface ExportStream {
  filename: string;
  mediaType: string;
  runCount: number;
  /** The text, a part at a time; each part reads its runs when it is pulled. */
  parts(): Iterator<string, void, undefined>;
}
type ExportedFile = { filename: string; mediaType: string; content: string; runCount: number };

/** The export as one text (runs.export's answer): the parts of exportStream joined. */
export function exportRuns(db: SqliteDatabase, selection: ExportSelection, format: ExportFormat): ExportedFile {
  const stream = exportStream(db, selection, format);
  let content = '';
  for (let parts = stream.parts(), step = parts.next(); !step.done; step = parts.next()) content += step.value;
  return { filename: stream.filename, mediaType: stream.mediaType, content, runCount: stream.runCount };
}

/**
 * The export of `selection` as a stream of parts (issue 12): JSON and the runs CSV table a batch
 * of runs at a time, so an export of 100,000 runs is never one string, and the metrics CSV a page
 * of points at a time.
 */
export function exportStream(
  db: SqliteDatabase,
  selection: ExportSelection,
  format: ExportFormat,
  partChars = streamPartChars,
): ExportStream {
  const ids = selectRunIds(db, selection);
  const base = exportBaseName(selection, ids);
  const runCount = ids.length;
  if (format === 'json')
    return { filename: `${base}.json`, mediaType: 'application/json', runCount, parts: () => jsonExportParts(db, ids, partChars) };
  const sorted = [...ids].sort((a, b) => a - b);
  if (format === 'metrics-csv')
    return { filename: `${base}-metrics.csv`, mediaType: 'text/csv', runCount, parts: () => metricsCsvParts(db, sorted, partChars) };
  return { filename: `${base}.csv`, mediaType: 'text/csv', runCount, parts: () => runsCsvParts(db, sorted, partChars) };
}

/** The file name says what was exported: one run, a count of runs, a sweep or an experiment. */
function exportBaseName(selection: ExportSelection, ids: number[]): string {
  if ('runIds' in selection) return ids.length === 1 ? `run-${ids[0]}` : `runs-${ids.length}`;
  return 'sweepId' in selection ? `sweep-${selection.sweepId}` : `experiment-${selection.experimentId}`;
}

/** The named fields of a record, typed: the export shares these with RunRecord unchanged. */
function pick<T, K extends keyof T>(record: T, keys: readonly K[]): Pick<T, K> {
  return Object.fromEntries(keys.map((k) => [k, record[k]])) as Pick<T, K>;
}
