/**
 * Looking inside trained runs: the learned filters of a conv layer, the feature maps an image
 * leaves in every conv and pooling layer, and class probabilities for an image of the user's own —
 * for several runs side by side (a kernel-size sweep's runs next to each other).
 *
 * Weights and activations cross the wire as base64 of little-endian float32 (`Float32Base64`):
 * 64 filters of 5×5×32 for ten runs are half a million numbers, which as JSON text would be ~5 MB
 * and slow to parse in the page. Shapes say how to read them.
 */
import { z } from 'zod';
import { CoreText } from './coreText.ts';
import { method } from './define.ts';

const Id = z.number().int().positive();

/** Float32 values, little-endian, base64: `new Float32Array(bytes.buffer)` after decoding. */
export const Float32Base64 = z.string();

export const mebibyte = 1024 * 1024;

/**
 * Per-epoch weight snapshots (training/weightSnapshots.ts): the disk a run's snapshots may take,
 * in MiB, on top of its best and last checkpoints; 0 keeps none. A machine setting, read when a
 * run starts and kept by it (a resumed run keeps its own).
 */
export const SnapshotLimitMiB = z.number().int().min(0).max(4096);
export const defaultSnapshotLimitMiB = 8;

/** At most this many runs side by side in one call. */
export const maxInspectedRuns = 24;

/**
 * Which weights of a run: those of one epoch (a per-epoch snapshot, or the best or last
 * checkpoint when it holds that epoch), or by default the best checkpoint (the last when there
 * is no best).
 */
const CheckpointChoice = {
  /** Bounded like a run's epochs; each run answers only from an epoch it recorded (the others say which they have). */
  epoch: z.number().int().positive().max(1_000_000).optional(),
};

/** Which recorded weights answered: their epoch and whether they were the best, the last or an epoch snapshot. */
export const UsedCheckpoint = z.object({ epoch: z.number().int(), kind: z.enum(['best', 'last', 'epoch']) });
export type UsedCheckpoint = z.infer<typeof UsedCheckpoint>;

/** A run that could not answer (no checkpoint yet, a layer it does not have, an image of another size) says why, and the others still answer. */
const RunRefusal = z.object({
  runId: Id,
  ok: z.literal(false),
  error: z.string(),
  /** `error` coded, for the page's language (contract/coreText.ts); absent where only the English says it. */
  errorCode: CoreText.optional(),
});

/** One image for every selected run: its pixels, or an image of each run's own test split by index. */
const ImageInput = {
  /** One image as uint8 pixels, height × width × channels, row-major (HWC), as the dataset stores them. */
  image: z.array(z.number().int().min(0).max(255)).max(4096).optional(),
  /** Or the image at this index of each run's dataset test split. */
  testIndex: z.number().int().nonnegative().optional(),
};
const oneImage = (v: { image?: unknown; testIndex?: unknown }) => (v.image === undefined) !== (v.testIndex === undefined);
const oneImageMessage = { message: 'give either image (pixels) or testIndex', path: ['image'] };

const Classified = {
  checkpoint: UsedCheckpoint,
  /** Softmax output, one per class. */
  probabilities: z.array(z.number()),
  predicted: z.number().int(),
  className: z.string(),
  classNames: z.array(z.string()),
  /** The true class when the image came from the test split. */
  label: z.number().int().nullable(),
};

export const PredictManyOutput = z.object({
  runs: z.array(z.discriminatedUnion('ok', [z.object({ runId: Id, ok: z.literal(true), ...Classified }), RunRefusal])),
});
export type PredictManyOutput = z.infer<typeof PredictManyOutput>;

export const LayerFilters = z.object({
  runId: Id,
  ok: z.literal(true),
  /** Index of the conv2d layer in the run's model spec. */
  layer: z.number().int(),
  checkpoint: UsedCheckpoint,
  /** Epochs with recorded weights for this run, ascending: the slider's stops. */
  epochs: z.array(z.number().int()),
  /**
   * How the run kept weights, from its last checkpoint: the epochs it trained and the per-epoch
   * snapshot limit it trained with (null: recorded before snapshots existed). Null when the run
   * has no last checkpoint of its own (a run folded out of a longer one).
   */
  recording: z.object({ trainedEpochs: z.number().int(), snapshotLimitMiB: z.number().nullable() }).nullable(),
  kernelSize: z.number().int(),
  inChannels: z.number().int(),
  filters: z.number().int(),
  /** The kernel as tfjs holds it: [kernelSize, kernelSize, inChannels, filters], filters innermost. */
  weights: Float32Base64,
  /** Smallest and largest weight of the layer (for a shared colour scale across runs). */
  min: z.number(),
  max: z.number(),
});
export type LayerFilters = z.infer<typeof LayerFilters>;

export const FiltersOutput = z.object({ runs: z.array(z.discriminatedUnion('ok', [LayerFilters, RunRefusal])) });
export type FiltersOutput = z.infer<typeof FiltersOutput>;

export const FeatureMap = z.object({
  /** Index of the layer in the run's model spec. */
  index: z.number().int(),
  type: z.string(),
  /** [height, width, channels] of the activation. */
  shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  /** Activations, height × width × channels, channels innermost. */
  data: Float32Base64,
  min: z.number(),
  max: z.number(),
});
export type FeatureMap = z.infer<typeof FeatureMap>;

export const FeatureMapsOutput = z.object({
  runs: z.array(
    z.discriminatedUnion('ok', [
      z.object({
        runId: Id,
        ok: z.literal(true),
        ...Classified,
        /** Epochs with recorded weights for this run, ascending: the epoch slider's stops. */
        epochs: z.array(z.number().int()),
        layers: z.array(FeatureMap),
      }),
      RunRefusal,
    ]),
  ),
});
export type FeatureMapsOutput = z.infer<typeof FeatureMapsOutput>;

const RunIds = z.array(Id).min(1).max(maxInspectedRuns);

/** A file of an exported model: its name in the export folder and its bytes as base64. */
export const ExportedFile = z.object({ name: z.string(), mediaType: z.string(), base64: z.string() });

export const ExportModelOutput = z.object({
  runId: Id,
  checkpoint: UsedCheckpoint,
  /** model.json and weights.bin (a TF.js Layers model, stock layer classes), and run.json (the run's full record). */
  files: z.array(ExportedFile),
});
export type ExportModelOutput = z.infer<typeof ExportModelOutput>;

export const SnapshotLimit = z.object({
  /** The limit new runs on this machine get, MiB per run. */
  limitMiB: SnapshotLimitMiB,
  defaultMiB: z.number(),
});

export const inspectMethods = {
  'inspect.snapshotLimit': method({
    input: z.object({}).strict(),
    output: SnapshotLimit,
    summary:
      "How much disk each run's per-epoch weight snapshots may take on this machine (MiB per run, besides its best and last checkpoints); beyond it a run keeps evenly spaced epochs.",
  }),
  'inspect.setSnapshotLimit': method({
    input: z.object({ limitMiB: SnapshotLimitMiB }).strict(),
    output: SnapshotLimit,
    summary: 'Sets the per-epoch weight snapshot limit (MiB per run, 0 keeps none) for runs that start from now on.',
  }),
  'inspect.predict': method({
    input: z
      .object({ runIds: RunIds, ...ImageInput, ...CheckpointChoice })
      .strict()
      .refine(oneImage, oneImageMessage),
    output: PredictManyOutput,
    summary:
      "Class probabilities of one image (pixels, or a test-split index) from several runs' checkpoints at once, by a warm predictor process that keeps recently used models loaded.",
  }),
  'inspect.filters': method({
    input: z
      .object({
        runIds: RunIds,
        /** Index of a conv2d layer in the runs' model specs. */ layer: z.number().int().nonnegative(),
        ...CheckpointChoice,
      })
      .strict(),
    output: FiltersOutput,
    summary:
      'The learned kernels of one conv layer of several runs at a recorded epoch (default: the best checkpoint), for drawing side by side.',
  }),
  'inspect.featureMaps': method({
    input: z
      .object({ runIds: z.array(Id).min(1).max(8), ...ImageInput, ...CheckpointChoice })
      .strict()
      .refine(oneImage, oneImageMessage),
    output: FeatureMapsOutput,
    summary: "The activations of one image in every conv and pooling layer of several runs, with each run's class probabilities.",
  }),
  'runs.exportModel': method({
    input: z.object({ id: Id, checkpoint: z.enum(['best', 'last']).default('best') }).strict(),
    output: ExportModelOutput,
    summary:
      "A run's best or last checkpoint as a TF.js Layers model (model.json + weights.bin) that tfjs loads and tensorflowjs_converter turns into Keras, with the run's full record (run.json).",
  }),
};

export const inspectEvents = {};
