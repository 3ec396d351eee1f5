/**
 * What the store accepts from its callers, as zod schemas: metric points, new runs, checkpoints,
 * evaluations. RunStore validates every write with these before touching the database.
 */
import { z } from 'zod';

export const metricNumber = z.custom<number>((v) => typeof v === 'number', 'expected a number (NaN and ±Infinity are allowed)');

export const MetricPointInput = z
  .object({
    runId: z.number().int().positive(),
    // The key's format is checked once per distinct key in logBatch, not once per point.
    key: z.string(),
    step: z.number().int().min(0),
    epoch: z.number().int().min(0),
    /** Wall-clock time of the point (unix ms); defaults to now. */
    wallMs: z.number().optional(),
    value: metricNumber,
  })
  .strict();
export type MetricPointInput = z.input<typeof MetricPointInput>;
export const MetricBatch = z.array(MetricPointInput).max(100_000);

export const JsonObject = z.record(z.string(), z.unknown());

export const NewRun = z
  .object({
    uuid: z.uuid().optional(),
    name: z.string().trim().min(1).max(200),
    experimentId: z.number().int().positive().nullable().optional(),
    sweepId: z.number().int().positive().nullable().optional(),
    parentRunId: z.number().int().positive().nullable().optional(),
    derivedFromRunId: z.number().int().positive().nullable().optional(),
    derivedEpochs: z.number().int().positive().nullable().optional(),
    status: z.enum(['queued', 'running', 'completed']).default('queued'),
    modelSpec: z.unknown().refine((v) => v !== undefined, 'required'),
    dataset: z.string().min(1),
    backend: z.string().min(1),
    device: z.string().default(''),
    seed: z.number().int(),
    hyperparameters: JsonObject,
    environment: JsonObject.default({}),
    priority: z.number().int().default(0),
    /** Only this owner's scheduler may claim the run (the process that queued it trains it). */
    reservedFor: z.string().min(1).max(300).nullable().default(null),
  })
  .strict();
export type NewRun = z.input<typeof NewRun>;
export type NewRunParsed = z.output<typeof NewRun>;

export const NewCheckpoint = z
  .object({
    epoch: z.number().int().min(0),
    kind: z.enum(['best', 'last', 'epoch']),
    path: z.string().min(1),
    bytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a hex sha256'),
    metric: z.string().nullable().default(null),
    value: metricNumber.nullable().default(null),
  })
  .strict();
export type NewCheckpoint = z.input<typeof NewCheckpoint>;

export const NewEvaluation = z
  .object({
    split: z.string().min(1),
    loss: metricNumber.nullable().default(null),
    accuracy: metricNumber.nullable().default(null),
    confusion: z.array(z.array(z.number().int().min(0))),
    perClass: z.array(z.object({ label: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: z.number() })),
    /** Test-set indices the model got wrong with the highest confidence. */
    mostWrong: z
      .array(z.object({ index: z.number().int(), label: z.number().int(), predicted: z.number().int(), confidence: z.number() }))
      .default([]),
  })
  .strict();
export type NewEvaluation = z.input<typeof NewEvaluation>;
