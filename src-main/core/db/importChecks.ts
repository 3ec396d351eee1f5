/**
 * What an imported runs export may say (importRuns.ts reads it): the schemas of its parts, within
 * the limits the API puts on the same fields, and the checks that word a refusal with where it is.
 */
import { z } from 'zod';
import { decodeMetricValue, MetricKey, MetricValue, RunStatus, SweepStatus } from '../contract/index.ts';
import { CoreText, coreText, ProblemText } from '../contract/coreText.ts';
import { formatIssues, issueText, issueTexts, KernelLabError } from '../errors.ts';
import type { MetricPoint } from './metricWrite.ts';
import { parseErrorText } from './scanReasons.ts';

const Uuid = z.uuid();
export const Time = z.number().finite();
const Name = z.string().trim().min(1).max(200);
const JsonRecord = z.record(z.string(), z.unknown());

const ImportedCheckpoint = z
  .object({
    epoch: z.number().int().min(0),
    kind: z.enum(['best', 'last', 'epoch']),
    path: z.string().min(1).max(4096),
    bytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a hex sha256'),
    metric: z.string().max(128).nullable(),
    value: MetricValue.nullable(),
    createdAt: Time,
  })
  .strip();

const ImportedEvaluation = z
  .object({
    split: z.string().min(1).max(64),
    loss: MetricValue.nullable(),
    accuracy: MetricValue.nullable(),
    confusion: z.unknown(),
    perClass: z.unknown(),
    mostWrong: z.unknown(),
    createdAt: Time,
  })
  .strip();

/** One run of an export, within the limits the API puts on the same fields. Metrics are checked apart (metricsOf). */
export const ImportedRun = z
  .object({
    uuid: Uuid,
    name: Name,
    experimentUuid: z.string().max(64).nullable(),
    sweepUuid: z.string().max(64).nullable(),
    parentRunUuid: z.string().max(64).nullable(),
    derivedFromRunUuid: z.string().max(64).nullable(),
    derivedEpochs: z.number().int().positive().nullable(),
    status: RunStatus,
    modelSpec: z.unknown(),
    dataset: z.string().min(1).max(64),
    backend: z.string().min(1).max(64),
    device: z.string().max(1000),
    /** `device`'s coded form (migration 0018); absent from older exports, dropped when this core does not know it (the English stays). */
    deviceCode: CoreText.nullable().default(null).catch(null),
    seed: z.number().int(),
    hyperparameters: JsonRecord,
    environment: JsonRecord,
    priority: z.number().int().min(-1000).max(1000),
    error: z.string().max(10_000).nullable(),
    /**
     * `error`'s coded form and its coded problems (exports from before them have neither). A code
     * this core does not know (an export from a newer one) is dropped, not refused: the English
     * error beside it is kept, and the page shows that.
     */
    errorCode: CoreText.nullable().default(null).catch(null),
    errorIssues: z.array(ProblemText).max(1000).nullable().default(null).catch(null),
    /** A pruned run's epoch and rung (exports from before pruning have none). */
    pruned: z.object({ epoch: z.number().int().positive(), rung: z.number().int().nonnegative().nullable() }).nullable().default(null),
    createdAt: Time,
    startedAt: Time.nullable(),
    endedAt: Time.nullable(),
    tags: z.array(z.string().trim().min(1).max(64)).max(64),
    note: z.string().max(100_000),
    checkpoints: z.array(ImportedCheckpoint).max(100_000),
    evaluations: z.array(ImportedEvaluation).max(10_000),
    metrics: z.unknown(),
  })
  .strip()
  .refine((run) => (run.status === 'pruned') === (run.pruned !== null), {
    message: 'a pruned run names the epoch it was pruned at (pruned: { epoch, rung }), and only a pruned run does',
    path: ['pruned'],
  });
export type ImportedRun = z.infer<typeof ImportedRun>;

export const ImportedExperiment = z
  .object({ uuid: z.string().min(1).max(64), name: Name, description: z.string().max(10_000), createdAt: Time })
  .strip();
export const ImportedSweep = z
  .object({
    uuid: z.string().min(1).max(64),
    experimentUuid: z.string().max(64).nullable(),
    name: z.string().max(200),
    spec: z.unknown(),
    status: SweepStatus,
    createdAt: Time,
  })
  .strip();

const MetricPoints = z.array(z.tuple([z.number().int().min(0), z.number().int().min(0), z.number(), MetricValue])).max(10_000_000);

/**
 * A refused export: `where` is the field path, `message` the English reason and `reason` its coded
 * form (null: English only), shown after the path like a validation issue (error_import_invalid).
 */
export function invalid(where: string, message: string, reason: CoreText | null): KernelLabError {
  return new KernelLabError('invalid_input', `Invalid runs export: ${where}: ${message}`, [`${where}: ${message}`], {
    text: coreText('error_import_invalid', {}),
    // A member name comes from the file: the coded path is bounded as IssueText is (the English names it whole, as before).
    issueTexts: [{ path: where.slice(0, 1000), text: reason }],
  });
}

/** The coded reason of a part over its size limit (`more than N MiB`). */
export const tooLarge = (bytes: number): CoreText => coreText('import_too_large', { mib: bytes / 2 ** 20 });

const protoMessage = 'an object key named __proto__ is not allowed';
class ProtoKeyError extends Error {}

function refuseProto(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new ProtoKeyError(protoMessage);
  return value;
}

/** JSON.parse of one part of an export; a `__proto__` key anywhere is refused (the reviver runs only when the text has one). */
export function parseJson(text: string, where: string): unknown {
  try {
    return text.includes('__proto__') ? (JSON.parse(text, refuseProto) as unknown) : (JSON.parse(text) as unknown);
  } catch (error) {
    if (error instanceof ProtoKeyError) throw invalid(where, protoMessage, coreText('import_proto_key', {}));
    // JSON.parse's own words stay in the English sentence; the coded reason says where it stopped.
    const message = (error as Error).message;
    throw invalid(where, message, parseErrorText(message));
  }
}

export function checked<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = formatIssues(parsed.error).map((issue) => `${where}.${issue}`);
  const codes = issueTexts(parsed.error).map(({ path, text }) => ({ path: `${where}.${path}`.slice(0, 1000), text }));
  throw new KernelLabError('invalid_input', `Invalid runs export: ${issues.join('; ')}`, issues, {
    text: coreText('error_import_invalid', {}),
    issueTexts: codes,
  });
}

/**
 * True when `points` is a list MetricPoints accepts as it is: the common case, checked without
 * zod's per-element work (4 million points in an import of 100,000 runs). Anything else goes
 * through MetricPoints, which decides and words the refusal.
 */
function plainPoints(points: unknown): points is [number, number, number, MetricValue][] {
  if (!Array.isArray(points) || points.length > 10_000_000) return false;
  for (const p of points as unknown[]) {
    if (!Array.isArray(p) || p.length !== 4) return false;
    const [step, epoch, wallMs, value] = p as unknown[];
    if (!Number.isSafeInteger(step) || (step as number) < 0 || !Number.isSafeInteger(epoch) || (epoch as number) < 0) return false;
    if (typeof wallMs !== 'number' || !Number.isFinite(wallMs)) return false;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      if (value !== 'NaN' && value !== 'Infinity' && value !== '-Infinity') return false;
    }
  }
  return true;
}

/** A run's metrics as (key, points) pairs: the keys are names from the file, so no plain object holds them. */
export function metricsOf(raw: unknown, where: string): [string, MetricPoint[]][] {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw invalid(`${where}.metrics`, 'expected an object', coreText('import_expected_object', {}));
  const out: [string, MetricPoint[]][] = [];
  for (const [key, points] of Object.entries(raw)) {
    const name = MetricKey.safeParse(key);
    if (!name.success) {
      const issue = name.error.issues[0]!;
      throw invalid(`${where}.metrics.${key.slice(0, 80)}`, issue.message, issueText(issue));
    }
    const list = plainPoints(points) ? points : checked(MetricPoints, points, `${where}.metrics.${key}`);
    out.push([key, list.map(([step, epoch, wallMs, value]) => ({ step, epoch, wallMs, value: decodeMetricValue(value) }))]);
  }
  return out;
}
