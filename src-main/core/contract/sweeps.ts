/**
 * Sweeps and the run scheduler: preview a sweep spec (points, impossible ones and why, estimated
 * time), start it, pause, resume, cancel, reprioritise, change how many workers run at once, and
 * follow its progress ("run 5 of 12, ETA 3 min").
 */
import { z } from 'zod';
import { BackendName } from './app.ts';
import { method } from './define.ts';
import { SweepStatus } from './runs.ts';
import { AxisValue, SweepBase, SweepSpec } from '../sweeps/sweepSpec.ts';

const Id = z.number().int().positive();

export const SweepPointOut = z.object({
  index: z.number().int(),
  values: z.record(z.string(), AxisValue),
  repeat: z.number().int(),
  seed: z.number().int(),
  dataset: z.string(),
  epochs: z.number().int(),
  role: z.enum(['train', 'derived', 'impossible']),
  /** For a derived point: the index of the point whose run it is folded into. */
  foldedInto: z.number().int().nullable(),
  error: z.string().nullable(),
  /** Estimated seconds for this point alone (0 for derived and impossible points). */
  estimatedSeconds: z.number(),
});
export type SweepPointOut = z.infer<typeof SweepPointOut>;

export const SweepEstimate = z.object({
  /** Wall-clock estimate for the whole sweep with `workers` running at once. */
  seconds: z.number(),
  workers: z.number().int(),
  /** 'measured': from completed runs' samples/s on this machine; 'rough-default': no run finished yet. */
  source: z.enum(['measured', 'rough-default']),
  detail: z.string(),
});

export const SweepPreview = z.object({
  /** Runs the sweep records: trained + derived (impossible points excluded). */
  planned: z.number().int(),
  trained: z.number().int(),
  derived: z.number().int(),
  impossible: z.number().int(),
  folding: z.object({ enabled: z.boolean(), reason: z.string() }),
  estimate: SweepEstimate,
  /** The points (the first 5,000 when there are more; see truncated). */
  points: z.array(SweepPointOut),
  truncated: z.boolean(),
});
export type SweepPreview = z.infer<typeof SweepPreview>;

export const SweepProgress = z.object({
  sweepId: Id,
  status: SweepStatus,
  planned: z.number().int(),
  impossible: z.number().int(),
  done: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  canceled: z.number().int(),
  running: z.number().int(),
  queued: z.number().int(),
  interrupted: z.number().int(),
  derived: z.number().int(),
  etaSeconds: z.number().nullable(),
  /** "run 5 of 12, ETA 3 min 10 s" */
  text: z.string(),
});
export type SweepProgress = z.infer<typeof SweepProgress>;

export const Concurrency = z.object({
  backend: BackendName,
  workers: z.number().int(),
  perBackend: z.record(BackendName, z.number().int()),
});

const IdInput = z.object({ id: Id }).strict();

export const sweepsMethods = {
  'sweeps.preview': method({
    input: z.object({ spec: SweepSpec }).strict(),
    output: SweepPreview,
    summary: 'Expands a sweep spec without queuing anything: its points, the impossible ones with reasons, folding, and an estimated time.',
  }),
  'sweeps.start': method({
    input: z.object({ spec: SweepSpec }).strict(),
    output: z.object({
      sweepId: Id,
      planned: z.number().int(),
      queued: z.number().int(),
      derived: z.number().int(),
      impossible: z.array(z.object({ index: z.number().int(), values: z.record(z.string(), AxisValue), error: z.string() })),
      runIds: z.array(Id),
    }),
    summary: 'Validates and queues a sweep (all its runs in one transaction); the scheduler starts them.',
  }),
  'sweeps.pause': method({
    input: IdInput,
    output: z.object({ interrupted: z.number().int() }),
    summary: 'Pauses a sweep: no new runs start; running ones stop and can resume from their checkpoints.',
  }),
  'sweeps.resume': method({
    input: z.object({ id: Id.optional() }).strict().default({}),
    output: z.object({ sweepIds: z.array(Id), requeued: z.number().int() }),
    summary: 'Resumes a sweep (or every unfinished one): interrupted runs are queued again and continue from their checkpoints.',
  }),
  'sweeps.cancel': method({
    input: IdInput,
    output: z.object({ canceled: z.number().int() }),
    summary: "Cancels a sweep's queued, interrupted and running runs.",
  }),
  'sweeps.setConcurrency': method({
    input: z.object({ workers: z.number().int().min(1).max(256), backend: BackendName.optional() }).strict(),
    output: Concurrency,
    summary: 'How many runs train at once (per backend), changed while running.',
  }),
  'sweeps.concurrency': method({
    input: z.object({}).strict().default({}),
    output: Concurrency,
    summary: 'How many runs train at once (per backend).',
  }),
  'sweeps.progress': method({
    input: IdInput,
    output: SweepProgress,
    summary: 'Where a sweep stands: "run 5 of 12", counts by status, ETA.',
  }),
  'sweeps.reprioritize': method({
    input: z.union([
      z.object({ runId: Id, priority: z.number().int() }).strict(),
      z.object({ sweepId: Id, priority: z.number().int() }).strict(),
    ]),
    output: z.object({ changed: z.number().int() }),
    summary: 'Sets the priority of a run or of a whole sweep (higher starts first).',
  }),
};

/** One run to train: a sweep base without axes (a queue of one). */
export const StartRunInput = z
  .object({
    run: SweepBase,
    /** Named axes with one value each, e.g. { kernelSize: 3 } for every conv layer (same names as sweep axes). */
    set: z.record(z.string(), AxisValue).default({}),
    name: z.string().trim().min(1).max(200).optional(),
    priority: z.number().int().min(-1000).max(1000).default(0),
    experiment: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type StartRunInput = z.input<typeof StartRunInput>;

export const RunProgress = z.object({
  runId: Id,
  epoch: z.number().int(),
  epochs: z.number().int(),
  batch: z.number().int(),
  batchesPerEpoch: z.number().int(),
  loss: z.number(),
  accuracy: z.number(),
  samplesPerSec: z.number(),
});
export type RunProgress = z.infer<typeof RunProgress>;

export const runControlMethods = {
  'runs.start': method({
    input: StartRunInput,
    output: z.object({ runId: Id }),
    summary: 'Queues one run (a preset or model spec, a dataset, hyperparameters); the scheduler starts it when a worker is free.',
  }),
  'runs.cancel': method({
    input: IdInput,
    output: z.object({ status: z.string() }),
    summary: 'Cancels a queued or interrupted run, or stops a running one within one batch.',
  }),
  'runs.pause': method({
    input: IdInput,
    output: z.object({ paused: z.boolean() }),
    summary: 'Stops a running run after its current batch so it can resume from its last checkpoint (runs.resume).',
  }),
  'runs.resume': method({
    input: IdInput,
    output: z.object({ requeued: z.boolean() }),
    summary: 'Queues an interrupted run again; it continues from its last checkpoint.',
  }),
};

export const sweepsEvents = {
  /** Live training progress of a run, about four times a second (batch granularity). */
  'run.progress': RunProgress,
  /** A sweep run started or ended, or the sweep was paused, resumed or canceled. */
  'sweep.progress': SweepProgress,
};
