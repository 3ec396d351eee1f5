/**
 * Messages between a GPU host (the page, or the desktop's hidden window) and the dedicated Web
 * Worker that trains in it (gpuWorker.ts). Data comes in decoded (uint8 images and labels, as a
 * worker process loads them from disk), so the Worker never touches storage; checkpoints go out
 * as bytes, and whoever started the Worker hands them to main, which alone writes the run folder.
 * Both sides parse what they receive and throw on an unknown type.
 */
import { z } from 'zod';
import { GpuHostBackend } from '../contract/app.ts';
import { CoreText, ProblemText } from '../contract/coreText.ts';
import { KernelLabError, errorSentence } from '../errors.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { BatchEnd, Checkpoint, EpochEnd, Evaluation, TrainBegin, TrainEnd } from '../training/workerProtocol.ts';

const RunId = z.number().int().positive();

/** One decoded split (datasets/load.ts RawSplit). */
export const SplitData = z
  .object({
    images: z.instanceof(Uint8Array),
    labels: z.instanceof(Uint8Array),
    count: z.number().int().min(0),
    height: z.number().int().positive(),
    width: z.number().int().positive(),
    channels: z.number().int().positive(),
    classNames: z.array(z.string()),
  })
  .refine((s) => s.images.length === s.count * s.height * s.width * s.channels, {
    message: 'images must hold count × height × width × channels bytes',
    path: ['images'],
  })
  .refine((s) => s.labels.length === s.count, { message: 'labels must hold one byte per image', path: ['labels'] });

export const CheckpointBytes = z.object({ name: z.string().min(1).max(100), bytes: z.instanceof(Uint8Array) });
export type CheckpointBytes = z.infer<typeof CheckpointBytes>;

export const GpuTrainRequest = z.object({
  type: z.literal('train'),
  runId: RunId,
  spec: ModelSpec,
  hyperparameters: Hyperparameters,
  data: z.object({
    train: SplitData,
    /** Null when the run validates on nothing; the test split itself when it validates on test. */
    validation: SplitData.nullable(),
    test: SplitData,
    /** Index of each test image in the full test split, when the test split is a subset. */
    testIndices: z.instanceof(Uint32Array).nullable(),
  }),
  /** The backend the run pins; absent: webgpu, falling back to webgl. */
  backend: GpuHostBackend.optional(),
  /** Epoch folding: evaluate on the test split after these epochs too. */
  evaluateAtEpochs: z.array(z.number().int().positive()).default([]),
  /** Continue from this 'last' checkpoint (its five files) instead of starting fresh. */
  resumeFrom: z.array(CheckpointBytes).nullable().default(null),
  /** Tests only (gpuHost.browser.spec.ts): lets this Worker obey 'testLoseDevice'. Refused otherwise. */
  allowTestHooks: z.boolean().default(false),
});
export type GpuTrainRequest = z.input<typeof GpuTrainRequest>;

export const ToGpuWorker = z.discriminatedUnion('type', [
  GpuTrainRequest,
  z.object({ type: z.literal('cancel') }),
  /** Tests only: destroys the WebGPU device mid-run, a real device loss. Obeyed only when the run allowed test hooks. */
  z.object({ type: z.literal('testLoseDevice') }),
]);
export type ToGpuWorker = z.input<typeof ToGpuWorker>;

export const FromGpuWorker = z.discriminatedUnion('type', [
  TrainBegin,
  BatchEnd,
  EpochEnd,
  /** The files of the checkpoint named by the 'checkpoint' message that follows. */
  z.object({
    type: z.literal('checkpointFiles'),
    runId: RunId,
    /** 'epoch': a per-epoch weight snapshot (model.json + weights.bin) of `epoch`. */
    kind: z.enum(['last', 'best', 'epoch']),
    epoch: z.number().int().positive().optional(),
    files: z.array(CheckpointBytes.extend({ sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
  }),
  Checkpoint,
  Evaluation,
  TrainEnd,
  z.object({
    type: z.literal('error'),
    runId: RunId.optional(),
    message: z.string(),
    /** `message` coded (contract/coreText.ts), as a worker process sends it (workerProtocol.ts); absent where only the English says it. */
    messageCode: CoreText.optional(),
    /** The problems `message` lists after its heading, coded (migration 0017). */
    issues: z.array(ProblemText).max(1000).optional(),
  }),
]);
export type FromGpuWorker = z.infer<typeof FromGpuWorker>;

/**
 * The 'error' message that ends a run in the Worker: the failure's words, and for the core's own
 * coded error (a checkpoint to resume from that is not one, a spec the trainer refuses) its coded
 * form and problems, so the run's error is stored in the page's language as a worker process's is.
 */
export function gpuWorkerError(runId: number | undefined, error: unknown): Extract<FromGpuWorker, { type: 'error' }> {
  const coded = error instanceof KernelLabError ? error : null;
  const issues = coded?.text ? coded.problemTexts() : undefined;
  return {
    type: 'error',
    ...(runId === undefined ? {} : { runId }),
    message: errorSentence(error),
    ...(coded?.text && { messageCode: coded.text }),
    ...(issues && { issues }),
  };
}
