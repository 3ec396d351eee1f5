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
};

export const trainingEvents = {};
