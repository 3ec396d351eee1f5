/**
 * Plain helpers shared by RunStore, the queries and export/import: how a run row reads, how
 * hyperparameters flatten into params, which way a metric is better. No SQL here.
 */
import type { RunStatus } from '../contract/runs.ts';
import { CoreText, ProblemText } from '../contract/coreText.ts';

/** A run as stored, with JSON columns parsed. */
export interface RunRecord {
  id: number;
  uuid: string;
  name: string;
  experimentId: number | null;
  sweepId: number | null;
  parentRunId: number | null;
  derivedFromRunId: number | null;
  derivedEpochs: number | null;
  status: RunStatus;
  modelSpec: unknown;
  dataset: string;
  backend: string;
  device: string;
  /** `device`'s coded form, for the page's language (migration 0018); null: English only. */
  deviceCode: CoreText | null;
  seed: number;
  hyperparameters: Record<string, unknown>;
  environment: Record<string, unknown>;
  priority: number;
  workerOwner: string | null;
  workerPid: number | null;
  leaseExpiresAt: number | null;
  /** Grows by one at every claim: the fencing token of the run's lease (see Lease). */
  attempt: number;
  /** Only this owner may claim the run (the process that queued it to train it itself). */
  reservedFor: string | null;
  error: string | null;
  /** `error`'s coded form, for the page's language (contract/coreText.ts); null: English only. */
  errorCode: CoreText | null;
  /** The problems `error` lists after its heading, coded (migration 0017); null: none. */
  errorIssues: ProblemText[] | null;
  /** A pruned run: the epoch whose metric stopped it and the ASHA rung (null for median stopping). */
  pruned: { epoch: number; rung: number | null } | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

/**
 * The right to write for a running run: its owner and the attempt it claimed. Every write an
 * execution makes names its lease; once the run is recovered or claimed again, the old lease
 * matches nothing and its holder's writes are refused (LeaseLost).
 */
export interface Lease {
  runId: number;
  owner: string;
  attempt: number;
}

export function leaseOf(run: Pick<RunRecord, 'id' | 'workerOwner' | 'attempt'>): Lease {
  if (run.workerOwner === null) throw new Error(`run ${run.id} is not held by anyone`);
  return { runId: run.id, owner: run.workerOwner, attempt: run.attempt };
}

/** An `evaluations` row as stored (the run view and the export read the same columns). */
export interface EvaluationDbRow {
  split: string;
  loss: number | null;
  accuracy: number | null;
  confusion: string;
  per_class: string;
  most_wrong: string;
  created_at: number;
}

export interface RunDbRow {
  id: number;
  uuid: string;
  name: string;
  experiment_id: number | null;
  sweep_id: number | null;
  parent_run_id: number | null;
  derived_from_run_id: number | null;
  derived_epochs: number | null;
  status: RunStatus;
  /** The run's own spec (JSON), or 'null' when it shares one (model_spec_id). */
  model_spec: string;
  /** A sweep run's spec, stored once for the runs that share it (migration 0015), else null. */
  model_spec_id: number | null;
  /** The shared spec's JSON as runRowColumns reads it (absent from a row read without them). */
  shared_spec?: string | null;
  dataset: string;
  backend: string;
  device: string;
  seed: number;
  hyperparameters: string;
  environment: string;
  priority: number;
  worker_owner: string | null;
  worker_pid: number | null;
  lease_expires_at: number | null;
  attempt: number;
  reserved_for: string | null;
  error: string | null;
  error_code: string | null;
  error_issues: string | null;
  device_code: string | null;
  pruned_epoch: number | null;
  pruned_rung: number | null;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
}

/**
 * A stored coded text (migration 0014), or null when there is none or it is not one this core
 * knows (a newer core wrote it): the page then shows the English sentence stored beside it.
 */
export function storedText(json: string | null): CoreText | null {
  if (json === null) return null;
  try {
    const checked = CoreText.safeParse(JSON.parse(json));
    return checked.success ? checked.data : null;
  } catch {
    return null;
  }
}

/** A stored list of coded problems (migration 0017), or null when there is none or it is not one this core reads. */
export function storedProblems(json: string | null): ProblemText[] | null {
  if (json === null) return null;
  try {
    const checked = ProblemText.array().safeParse(JSON.parse(json));
    return checked.success && checked.data.length > 0 ? checked.data : null;
  } catch {
    return null;
  }
}

/** Coded problems as stored beside their sentence; null for none. */
export const problemsColumn = (problems: readonly ProblemText[] | null | undefined): string | null =>
  problems && problems.length > 0 ? JSON.stringify(problems) : null;

/** A coded text as stored beside its sentence. */
export const textColumn = (text: CoreText | null | undefined): string | null => (text ? JSON.stringify(text) : null);

/**
 * The columns of a run row as toRunRecord takes them: every column, and the spec the run shares
 * when it shares one (migration 0015). `table` is the name or alias of runs in the query.
 */
export const runRowColumns = (table: string) => `${table}.*, ${sharedSpec(table)}`;
/** The same for an UPDATE of runs … RETURNING (which takes no `runs.*`). */
export const runReturning = `*, ${sharedSpec('runs')}`;
function sharedSpec(table: string): string {
  return `(SELECT m.spec FROM model_specs m WHERE m.id = ${table}.model_spec_id) AS shared_spec`;
}

/** A run's model spec JSON, its own or the one it shares; a row read without runRowColumns is a mistake here. */
function modelSpecJson(row: RunDbRow): string {
  if (row.model_spec_id === null || row.model_spec_id === undefined) return row.model_spec;
  if (typeof row.shared_spec !== 'string')
    throw new Error(`Run ${row.id} shares model spec ${row.model_spec_id}, but its row was read without it (use runRowColumns)`);
  return row.shared_spec;
}

export function toRunRecord(row: RunDbRow): RunRecord {
  return {
    id: row.id,
    uuid: row.uuid,
    name: row.name,
    experimentId: row.experiment_id,
    sweepId: row.sweep_id,
    parentRunId: row.parent_run_id,
    derivedFromRunId: row.derived_from_run_id,
    derivedEpochs: row.derived_epochs,
    status: row.status,
    modelSpec: JSON.parse(modelSpecJson(row)) as unknown,
    dataset: row.dataset,
    backend: row.backend,
    device: row.device,
    deviceCode: storedText(row.device_code),
    seed: row.seed,
    hyperparameters: JSON.parse(row.hyperparameters) as Record<string, unknown>,
    environment: JSON.parse(row.environment) as Record<string, unknown>,
    priority: row.priority,
    workerOwner: row.worker_owner,
    workerPid: row.worker_pid,
    leaseExpiresAt: row.lease_expires_at,
    attempt: row.attempt,
    reservedFor: row.reserved_for,
    error: row.error,
    errorCode: storedText(row.error_code),
    errorIssues: storedProblems(row.error_issues),
    pruned: row.pruned_epoch === null ? null : { epoch: row.pruned_epoch, rung: row.pruned_rung },
    createdAt: row.created_at,
    startedAt: row.started_at,
    endedAt: row.ended_at,
  };
}

export type FlatParam = { key: string; value: number | string; kind: 'number' | 'string' | 'boolean' | 'json' };

export function readParam(value: number | string, kind: FlatParam['kind']): number | string | boolean | null {
  if (kind === 'boolean') return value === 1;
  if (kind === 'json') return typeof value === 'string' ? value : String(value);
  return value;
}

/** A `latest_metrics` row as SQLite returns it. */
export interface SummaryDbRow {
  run_id: number;
  key: string;
  last: number | null;
  last_step: number;
  best: number | null;
  best_step: number | null;
  min: number | null;
  max: number | null;
  count: number;
}
