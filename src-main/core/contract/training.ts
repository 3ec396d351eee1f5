import { z } from 'zod';
import { method } from './define.ts';
import { Hyperparameters, ModelSpec } from '../models/modelSpec.ts';
import { PresetId } from '../models/presets.ts';

export const LayerRow = z.object({
  index: z.number().int(),
  type: z.string(),
  outputShape: z.array(z.number().int()),
  params: z.number().int(),
  trainableParams: z.number().int(),
  flops: z.number(),
});

export const ModelSummary = z.object({
  rows: z.array(LayerRow),
  totalParams: z.number().int(),
  trainableParams: z.number().int(),
  /** Forward FLOPs for one image; a training step costs about three times this. */
  forwardFlops: z.number(),
});
export type ModelSummaryOutput = z.infer<typeof ModelSummary>;

export const PresetInfo = z.object({
  id: PresetId,
  title: z.string(),
  description: z.string(),
  spec: ModelSpec,
  hyperparameters: Hyperparameters,
  summary: ModelSummary,
});

export const Prediction = z.object({
  runId: z.number().int(),
  checkpoint: z.enum(['best', 'last']),
  predicted: z.number().int(),
  className: z.string(),
  probabilities: z.array(z.number()),
  /** The true label when the image came from the test split. */
  label: z.number().int().nullable(),
});
export type Prediction = z.infer<typeof Prediction>;

export const PredictInput = z
  .object({
    runId: z.number().int().positive(),
    /** One image as uint8 pixels, height × width × channels, row-major (HWC). */
    image: z.array(z.number().int().min(0).max(255)).optional(),
    /** Or an image of the run's dataset test split, by index. */
    testIndex: z.number().int().nonnegative().optional(),
  })
  .strict()
  .refine((v) => (v.image === undefined) !== (v.testIndex === undefined), { message: 'give either image or testIndex' });

export const trainingMethods = {
  'training.presets': method({
    input: z.object({}).strict().default({}),
    output: z.array(PresetInfo),
    summary: 'The built-in networks (LeNet-5, the two-conv MNIST net, the Fashion-MNIST net, AlexNet-28) with their hyperparameters.',
  }),
  'training.summary': method({
    input: z.object({ spec: ModelSpec }).strict(),
    output: ModelSummary,
    summary:
      'Per-layer output shape, parameters and FLOPs of a model spec, without training; refuses impossible specs with the layer and formula.',
  }),
  'runs.predict': method({
    input: PredictInput,
    output: Prediction,
    summary: "Classifies one image (pixels, or a test-split index) with a run's best checkpoint (its last when none is best).",
  }),
};

export const trainingEvents = {};
