/**
 * Importing a JSON export (exchange.ts writes them), as bounded work (issue 12):
 * - the text is sliced, not parsed whole (jsonSlices.ts): each run is parsed, checked and written
 *   on its own, so memory stays near the size of the text; an export in a file (exportFile.ts,
 *   `kernellab runs import`) is read a part at a time, so not even the text is held whole;
 * - runs are parsed and checked up to 50 ms at a time, then written a chunk (at most 500 runs) per
 *   transaction, sized so that it holds the writer and the event loop about 50 ms, with the loop
 *   free in between, progress after each chunk, and a stop when
 *   the caller goes away; a bad run, a full disk or a stop removes everything this import wrote,
 *   so a failed import changes nothing;
 * - what a file says obeys the API's limits (names, tags, notes, metric keys, sizes, nesting;
 *   importChecks.ts), an
 *   object key `__proto__` is refused, and maps keyed by names from the file are prototype-safe;
 * - a status from elsewhere is never runnable here: a run queued, running or interrupted where it
 *   was exported is imported canceled, saying why; a sweep running or still being queued is
 *   imported canceled, and one 'pending' from before migration 0016 paused.
 * Runs go in through RunStore's run inserter and their metrics through its metric writer (the same
 * INSERT and summary fold as createRun and logBatch). Import is idempotent: runs whose uuid is
 * already here are skipped, experiments and sweeps are matched by uuid (experiments also by name).
 */
import { z } from 'zod';
import { maxJsonDepth } from '../contract/jsonDepth.ts';
import { decodeMetricValue, type MetricValue, type RunStatus, type SweepStatus } from '../contract/index.ts';
import type { SqliteDatabase } from './database.ts';
import { coreText } from '../contract/coreText.ts';
import { checked, ImportedExperiment, ImportedRun, ImportedSweep, invalid, metricsOf, parseJson, Time, tooLarge } from './importChecks.ts';
import type { ExportLayout, ExportSource, LayoutLimits } from './exportFile.ts';
import { arrayElements, JsonSliceError, objectMembers, type Slice } from './jsonSlices.ts';
import { scanReasonText } from './scanReasons.ts';
import type { MetricGroup, MetricPoint, MetricWriter } from './metricWrite.ts';
import { problemsColumn, textColumn, type FlatParam } from './records.ts';
import { paramsVersion, runParams } from './runParams.ts';
import { contentColumns, type RunInserter } from './runInsert.ts';

export const exportFormatTag = 'kernellab.runs' as const;

export const importLimits: LayoutLimits = {
  maxDepth: maxJsonDepth,
  /** The parts of an export other than its runs are small; a larger one is not an export. */
  maxHeaderBytes: 16 * 2 ** 20,
  /** One run with its metrics; a run of per-batch metrics over hundreds of epochs stays far below. */
  maxRunBytes: 64 * 2 ** 20,
};
const { maxHeaderBytes, maxRunBytes } = importLimits;
const chunkMs = 50;
/** At most this many runs per chunk, whatever the last chunk's timing says (a fast chunk can meet a slow run). */
const maxChunkRuns = 500;

export interface ImportTarget {
  db: SqliteDatabase;
  /** Runs `fn` in one write transaction (RunStore's, with its error mapping). */
  write<T>(doing: string, fn: () => T): T;
  insertRun: RunInserter;
  writeMetrics: MetricWriter;
}

export interface ImportProgress {
  /** Runs of the file handled so far, of `total`. */
  done: number;
  total: number;
  imported: number;
  skipped: number;
}

export interface ImportOptions {
  signal?: AbortSignal | undefined;
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * runParams per import, remembered by what it reads: the runs of an export mostly share their
 * model spec, dataset and settings, and deriving the ~65 params again per run was a tenth of an
 * import's time. The remembered lists are read only (runInsert copies what it keeps).
 */
function paramsMemo(): (run: ImportedRun, columns: ReturnType<typeof contentColumns>) => FlatParam[] {
  const memo = new Map<string, FlatParam[]>();
  return (run, columns) => {
    const key = [columns.model_spec, columns.hyperparameters, columns.environment, run.dataset, run.backend].join('\u0000');
    let params = memo.get(key);
    if (params === undefined) {
      if (memo.size >= 1000) memo.clear();
      // Derived from the run as it is, like a run created here: an export's params are not trusted.
      params = runParams(run);
      memo.set(key, params);
    }
    return params;
  };
}

/** A status from another database is never runnable here: what was still to run is imported canceled. */
function importedStatus(run: ImportedRun): {
  status: RunStatus;
  error: string | null;
  errorCode: string | null;
  errorIssues: string | null;
} {
  if (run.status !== 'queued' && run.status !== 'running' && run.status !== 'interrupted')
    return {
      status: run.status,
      error: run.error,
      errorCode: run.error === null ? null : textColumn(run.errorCode),
      errorIssues: run.error === null ? null : problemsColumn(run.errorIssues),
    };
  // The sentence gains a reason of its own, so its codes no longer say all of it: the English alone.
  const why = `imported while ${run.status} in the database it came from; an imported run never trains here (start a new run from its spec)`;
  return { status: 'canceled', error: run.error ? `${run.error}; ${why}` : why, errorCode: null, errorIssues: null };
}

/** True when a sweep's stored spec names a process queueing its runs (`plan.queueing`, as migration 0016 reads it). */
function beingQueued(spec: unknown): boolean {
  const plan = spec !== null && typeof spec === 'object' ? (spec as Record<string, unknown>).plan : undefined;
  const queueing = plan !== null && typeof plan === 'object' ? (plan as Record<string, unknown>).queueing : undefined;
  return queueing !== undefined && queueing !== null;
}

/**
 * A sweep's status here. One running or still being queued where it was exported runs and queues
 * nothing here: it is canceled (a process of this machine would otherwise take over the queueing
 * of a sweep whose queueing process is gone, and its runs would train). One 'pending' that no
 * process queues comes from before migration 0016, where 'pending' also meant paused: it is paused,
 * as that migration made such sweeps here.
 */
function importedSweepStatus(sweep: z.infer<typeof ImportedSweep>): SweepStatus {
  if (sweep.status === 'running') return 'canceled';
  if (sweep.status === 'pending') return beingQueued(sweep.spec) ? 'canceled' : 'paused';
  return sweep.status;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Pass 1: where each part is. The runs list is walked element by element, yielding as it goes. */
async function layoutOf(content: string, signal: AbortSignal | undefined): Promise<ExportLayout> {
  const header = new Map<string, Slice>();
  const runSlices: number[] = [];
  let sliceStart = performance.now();
  let inRuns = false;
  try {
    const members = objectMembers(content, maxJsonDepth, (key) => key === 'runs');
    for (let step = members.next(); !step.done;) {
      const member = step.value;
      if (member.key !== 'runs') {
        if (member.end - member.start > maxHeaderBytes)
          throw invalid(member.key, `more than ${maxHeaderBytes / 2 ** 20} MiB`, tooLarge(maxHeaderBytes));
        header.set(member.key, member);
        step = members.next(undefined);
        continue;
      }
      inRuns = true;
      const elements = arrayElements(content, member.start, maxJsonDepth - 1);
      let e = elements.next();
      for (; !e.done; e = elements.next()) {
        const index = runSlices.length / 2;
        if (e.value.end - e.value.start > maxRunBytes)
          throw invalid(`runs.${index}`, `more than ${maxRunBytes / 2 ** 20} MiB`, tooLarge(maxRunBytes));
        runSlices.push(e.value.start, e.value.end);
        if (performance.now() - sliceStart > chunkMs) {
          await yieldToLoop();
          signal?.throwIfAborted();
          sliceStart = performance.now();
        }
      }
      inRuns = false;
      header.set('runs', { start: member.start, end: e.value });
      step = members.next(e.value);
    }
  } catch (error) {
    if (!(error instanceof JsonSliceError)) throw error;
    const where = inRuns ? `runs.${runSlices.length / 2}` : '(root)';
    if (error.tooDeep)
      throw invalid(
        where,
        `not JSON KernelLab reads (nested deeper than ${maxJsonDepth} levels at character ${error.position})`,
        coreText('import_too_deep_character', { levels: maxJsonDepth, at: error.position }),
      );
    throw invalid(
      where,
      `not JSON (${error.message})`,
      error.reason ? scanReasonText(error.reason, error.position, 'character') : coreText('import_not_json', { detail: error.message }),
    );
  }
  return { header, runSlices };
}

/** An export given whole as text: its layout found by jsonSlices.ts. */
function textSource(content: string): ExportSource {
  return { layout: (signal) => layoutOf(content, signal), text: ({ start, end }) => content.slice(start, end) };
}

/** The export's own members, checked: its format and version, and the experiments and sweeps its runs name. */
function headerOf(source: ExportSource, header: Map<string, Slice>) {
  const part = (key: string): unknown => {
    const slice = header.get(key);
    if (!slice) throw invalid(key, 'missing', coreText('import_missing', {}));
    return parseJson(source.text(slice), key);
  };
  if (part('format') !== exportFormatTag)
    throw invalid('format', `expected "${exportFormatTag}"`, coreText('import_expected', { value: `"${exportFormatTag}"` }));
  if (part('version') !== 1) throw invalid('version', 'expected 1', coreText('import_expected', { value: '1' }));
  if (!header.has('runs')) throw invalid('runs', 'missing', coreText('import_missing', {}));
  checked(Time, part('exportedAt'), 'exportedAt');
  const experiments = checked(z.array(ImportedExperiment).max(100_000), part('experiments'), 'experiments');
  const sweeps = checked(z.array(ImportedSweep).max(100_000), part('sweeps'), 'sweeps');
  return { experiments, sweeps };
}

/** What this import creates, so a failure can take it back, and the links it resolves at the end. */
interface Created {
  runs: number[];
  sweeps: number[];
  experiments: number[];
}

/** Matches or creates the export's experiments (by uuid, else name) and sweeps (by uuid); returns uuid → id maps. */
function writeExperimentsAndSweeps(target: ImportTarget, parts: ReturnType<typeof headerOf>, created: Created) {
  const { db } = target;
  const experimentIds = new Map<string, number>();
  const sweepIds = new Map<string, number>();
  target.write('importing experiments and sweeps', () => {
    const byUuidOrName = db.prepare('SELECT id FROM experiments WHERE uuid = ? OR name = ? ORDER BY uuid = ? DESC').pluck();
    const insertExperiment = db.prepare('INSERT INTO experiments (uuid, name, description, created_at) VALUES (?, ?, ?, ?)');
    for (const e of parts.experiments) {
      let id = byUuidOrName.get(e.uuid, e.name, e.uuid) as number | undefined;
      if (id === undefined) {
        id = Number(insertExperiment.run(e.uuid, e.name, e.description, e.createdAt).lastInsertRowid);
        created.experiments.push(id);
      }
      experimentIds.set(e.uuid, id);
    }
    const sweepByUuid = db.prepare('SELECT id FROM sweeps WHERE uuid = ?').pluck();
    const insertSweep = db.prepare('INSERT INTO sweeps (uuid, experiment_id, name, spec, status, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    for (const s of parts.sweeps) {
      let id = sweepByUuid.get(s.uuid) as number | undefined;
      if (id === undefined) {
        const experiment = s.experimentUuid === null ? null : (experimentIds.get(s.experimentUuid) ?? null);
        id = Number(
          insertSweep.run(s.uuid, experiment, s.name, JSON.stringify(s.spec ?? {}), importedSweepStatus(s), s.createdAt).lastInsertRowid,
        );
        created.sweeps.push(id);
      }
      sweepIds.set(s.uuid, id);
    }
  });
  return { experimentIds, sweepIds };
}

type Link = { id: number; parent: string | null; derivedFrom: string | null };
type ParsedRun = { run: ImportedRun; metrics: [string, MetricPoint[]][] };

/**
 * The writer of one imported run with everything it carries (params, metrics, checkpoints,
 * evaluations, tags, note), statements prepared once; call it inside a write transaction.
 * Returns the new run's id, or null when a run with its uuid is already here. The run's metrics
 * are added to `metricGroups`, which the caller writes once for the whole chunk.
 */
function runWriter(target: ImportTarget, ids: ReturnType<typeof writeExperimentsAndSweeps>, links: Link[]) {
  const { db } = target;
  const experimentByUuid = db.prepare('SELECT id FROM experiments WHERE uuid = ?').pluck();
  const experimentId = (uuid: string | null): number | null =>
    uuid === null ? null : (ids.experimentIds.get(uuid) ?? (experimentByUuid.get(uuid) as number | undefined) ?? null);
  const runExists = db.prepare('SELECT 1 FROM runs WHERE uuid = ?').pluck();
  const insertCheckpoint = db.prepare(
    'INSERT INTO checkpoints (run_id, epoch, kind, path, bytes, sha256, metric, value, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertEvaluation = db.prepare(
    `INSERT INTO evaluations (run_id, split, loss, accuracy, confusion, per_class, most_wrong, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (run_id, split) DO UPDATE SET loss = excluded.loss, accuracy = excluded.accuracy, confusion = excluded.confusion,
       per_class = excluded.per_class, most_wrong = excluded.most_wrong, created_at = excluded.created_at`,
  );
  const insertTag = db.prepare('INSERT OR IGNORE INTO tags (run_id, tag) VALUES (?, ?)');
  const insertNote = db.prepare('INSERT INTO notes (run_id, body, updated_at) VALUES (?, ?, ?)');
  const paramsOf = paramsMemo();
  const orNull = (v: MetricValue | null) => (v === null ? null : decodeMetricValue(v));
  return ({ run, metrics }: ParsedRun, now: number, metricGroups: MetricGroup[]): number | null => {
    if (runExists.get(run.uuid)) return null;
    const { status, error, errorCode, errorIssues } = importedStatus(run);
    const columns = contentColumns(run);
    const row = {
      uuid: run.uuid,
      name: run.name,
      experiment_id: experimentId(run.experimentUuid),
      sweep_id: run.sweepUuid === null ? null : (ids.sweepIds.get(run.sweepUuid) ?? null),
      // Linked at the end, once every run of the file exists (a parent may come after its child).
      parent_run_id: null,
      derived_from_run_id: null,
      derived_epochs: run.derivedEpochs,
      status,
      ...columns,
      worker_owner: null,
      worker_pid: null,
      lease_expires_at: null,
      reserved_for: null,
      error,
      error_code: errorCode,
      error_issues: errorIssues,
      device_code: textColumn(run.deviceCode),
      created_at: run.createdAt,
      started_at: run.startedAt,
      ended_at: run.endedAt,
      updated_at: now,
      params_version: paramsVersion,
      pruned_epoch: status === 'pruned' ? (run.pruned?.epoch ?? null) : null,
      pruned_rung: status === 'pruned' ? (run.pruned?.rung ?? null) : null,
    };
    const id = target.insertRun(row, paramsOf(run, columns));
    if (run.parentRunUuid !== null || run.derivedFromRunUuid !== null)
      links.push({ id, parent: run.parentRunUuid, derivedFrom: run.derivedFromRunUuid });
    for (const [key, points] of metrics) metricGroups.push({ runId: id, key, points });
    for (const c of run.checkpoints)
      insertCheckpoint.run(id, c.epoch, c.kind, c.path, c.bytes, c.sha256, c.metric, orNull(c.value), c.createdAt);
    for (const e of run.evaluations)
      insertEvaluation.run(
        id,
        e.split,
        orNull(e.loss),
        orNull(e.accuracy),
        JSON.stringify(e.confusion ?? []),
        JSON.stringify(e.perClass ?? []),
        JSON.stringify(e.mostWrong ?? []),
        e.createdAt,
      );
    for (const tag of run.tags) insertTag.run(id, tag);
    if (run.note.trim() !== '') insertNote.run(id, run.note, now);
    return id;
  };
}

/** Links by uuid, resolved once every run of the file exists, a chunk per transaction. */
async function linkRuns(target: ImportTarget, links: Link[]): Promise<void> {
  const byUuid = target.db.prepare('SELECT id FROM runs WHERE uuid = ?').pluck();
  const link = target.db.prepare('UPDATE runs SET parent_run_id = ?, derived_from_run_id = ? WHERE id = ?');
  for (let i = 0; i < links.length; i += 2000) {
    target.write('linking imported runs', () => {
      for (const l of links.slice(i, i + 2000)) {
        const parent = l.parent === null ? null : ((byUuid.get(l.parent) as number | undefined) ?? null);
        const derived = l.derivedFrom === null ? null : ((byUuid.get(l.derivedFrom) as number | undefined) ?? null);
        if (parent !== null || derived !== null) link.run(parent, derived, l.id);
      }
    });
    await yieldToLoop();
  }
}

/** Runs `first` on, parsed and checked: `size` of them, fewer once chunkMs has gone. */
function parseRuns(source: ExportSource, runSlices: number[], first: number, size: number): ParsedRun[] {
  const started = performance.now();
  const parsed: ParsedRun[] = [];
  const end = Math.min(runSlices.length / 2, first + size);
  for (let i = first; i < end && (i === first || performance.now() - started < chunkMs); i++) {
    const where = `runs.${i}`;
    const run = checked(ImportedRun, parseJson(source.text({ start: runSlices[2 * i]!, end: runSlices[2 * i + 1]! }), where), where);
    parsed.push({ run, metrics: metricsOf(run.metrics, where) });
  }
  return parsed;
}

/**
 * Imports a JSON export, given as text or read from a file (exportFile.ts), a chunk at a time;
 * everything it wrote is removed again if it fails or is stopped.
 */
export async function importRunsExport(
  target: ImportTarget,
  input: string | ExportSource,
  options: ImportOptions = {},
): Promise<{ imported: number; skipped: number }> {
  const source = typeof input === 'string' ? textSource(input) : input;
  const { header, runSlices } = await source.layout(options.signal);
  const parts = headerOf(source, header);
  const created: Created = { runs: [], sweeps: [], experiments: [] };
  const links: Link[] = [];
  const total = runSlices.length / 2;
  let imported = 0;
  let skipped = 0;
  const breathe = async () => {
    await yieldToLoop();
    options.signal?.throwIfAborted();
  };
  try {
    const writeRun = runWriter(target, writeExperimentsAndSweeps(target, parts, created), links);
    // Pass 2: the runs are parsed and checked outside the transaction, up to chunkMs at a time,
    // until there are enough for the next transaction, sized from the last one's time per run so
    // that it holds the writer (and the loop) about chunkMs too. Parsing and writing each get the
    // whole chunkMs, so a transaction carries about a third more runs than when they shared it:
    // each commit rewrites the pages of the random-ordered indexes (run uuids, metric summaries
    // by key and best) whatever it carries, so fewer, larger ones cost less (6 % less CPU for
    // transactions 1.6 times larger, 20,000 runs).
    let chunkSize = 16;
    let ready: ParsedRun[] = [];
    for (let first = 0; first < total;) {
      if (ready.length < chunkSize && first + ready.length < total) {
        ready = ready.concat(parseRuns(source, runSlices, first + ready.length, chunkSize - ready.length));
        await breathe();
        continue;
      }
      const chunk = ready;
      ready = [];
      const started = performance.now();
      target.write(`importing runs ${first + 1} to ${first + chunk.length}`, () => {
        const now = Date.now();
        const metricGroups: MetricGroup[] = [];
        for (const parsed of chunk) {
          const id = writeRun(parsed, now, metricGroups);
          if (id === null) skipped++;
          else {
            created.runs.push(id);
            imported++;
          }
        }
        target.writeMetrics.groups(metricGroups);
      });
      const perRun = (performance.now() - started) / chunk.length;
      chunkSize = Math.max(1, Math.min(maxChunkRuns, Math.floor(chunkMs / Math.max(perRun, 0.001))));
      first += chunk.length;
      options.onProgress?.({ done: first, total, imported, skipped });
      await breathe();
    }
    await linkRuns(target, links);
  } catch (error) {
    await takeBack(target, created);
    throw error;
  }
  return { imported, skipped };
}

/** Removes what a failed import wrote, a chunk at a time (a failure to remove is reported, not hidden). */
async function takeBack(target: ImportTarget, created: Created): Promise<void> {
  const { db } = target;
  for (let i = 0; i < created.runs.length; i += 1000) {
    const ids = JSON.stringify(created.runs.slice(i, i + 1000));
    target.write('removing a failed import', () => db.prepare('DELETE FROM runs WHERE id IN (SELECT value FROM json_each(?))').run(ids));
    await yieldToLoop();
  }
  target.write('removing a failed import', () => {
    for (const id of created.sweeps) db.prepare('DELETE FROM sweeps WHERE id = ?').run(id);
    for (const id of created.experiments) db.prepare('DELETE FROM experiments WHERE id = ?').run(id);
  });
}
