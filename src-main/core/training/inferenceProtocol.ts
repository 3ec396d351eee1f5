import { z } from 'zod';
import { CoreText } from '../contract/coreText.ts';
import { ModelSpec } from '../contract/training.ts';

/**
 * Messages between the service and its predictor (a worker process that stays up and keeps
 * recently used models loaded; core/inspect/predictor.ts). Pixels and activations travel as typed
 * arrays: workers are forked with structured-clone serialization (child_process 'advanced',
 * Electron's postMessage), which copies their bytes instead of spelling out every number.
 */
const bytes = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected a Uint8Array');
const floats = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');

export const InferModel = z.object({
  /** Names the loaded model in the predictor's cache: the checkpoint folder and the version of its files. */
  key: z.string().min(1),
  spec: ModelSpec,
  checkpointDir: z.string().min(1),
  /** One image, uint8 HWC, the spec's input shape. */
  image: bytes,
});
export type InferModel = z.output<typeof InferModel>;

export const InferRequest = z.object({
  type: z.literal('infer'),
  id: z.number().int(),
  models: z.array(InferModel).min(1),
  /** Also return the activations of every conv and pooling layer. */
  featureMaps: z.boolean(),
});
export type InferRequest = z.output<typeof InferRequest>;

/** A checkpoint rebuilt from stock tfjs-layers classes and saved as a TF.js Layers model (core/inspect/exportModel.ts). */
export const ExportModelRequest = z.object({
  type: z.literal('exportModel'),
  id: z.number().int(),
  spec: ModelSpec,
  checkpointDir: z.string().min(1),
});
export type ExportModelRequest = z.output<typeof ExportModelRequest>;

export const ModelExported = z.object({
  type: z.literal('modelExported'),
  id: z.number().int(),
  result: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), modelJson: z.string(), weights: bytes }),
    /** `errorText`: the refusal's coded form, for the page's and the CLI's language (optional: a plain failure has none). */
    z.object({ ok: z.literal(false), error: z.string(), errorText: CoreText.optional() }),
  ]),
});
export type ModelExported = z.output<typeof ModelExported>;

export const InferredMap = z.object({
  index: z.number().int(),
  type: z.string(),
  shape: z.tuple([z.number().int(), z.number().int(), z.number().int()]),
  data: floats,
});
export type InferredMap = z.output<typeof InferredMap>;

export const InferResult = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), probabilities: floats, maps: z.array(InferredMap) }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);
export type InferResult = z.output<typeof InferResult>;

export const Inferred = z.object({
  type: z.literal('inferred'),
  id: z.number().int(),
  /** One per requested model, in order. */
  results: z.array(InferResult),
  /** Which backend computed them (the tensorflow engine when installed, else wasm). */
  backend: z.string(),
});
export type Inferred = z.output<typeof Inferred>;
