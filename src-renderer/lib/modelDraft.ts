/**
 * The model builder's vocabulary: which fields each layer type has and their defaults (the same
 * ones the core's ModelSpec schema applies). The renderer cannot import the schema (types only),
 * so this table mirrors it, checked against the contract's LayerSpec type: a field the contract
 * does not have, or one it has that the builder does not offer, fails svelte-check. The core
 * still validates every spec it receives.
 */
import type { InitializerInput, InitializerName, LayerSpecInput, ModelSpecInput } from '../../src-main/core/contract/index.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { activations, paddings } from './contractLists.ts';

export type LayerType = LayerSpecInput['type'];
type LayerInput<T extends LayerType> = Extract<LayerSpecInput, { type: T }>;
type FieldName<T extends LayerType> = Exclude<keyof LayerInput<T>, 'type'> & string;

export type FieldKind =
  | { kind: 'int'; min: number }
  | { kind: 'number'; min?: number; max?: number; step?: number }
  | { kind: 'enum'; options: readonly string[] }
  | { kind: 'boolean' }
  /** A Keras initialiser: its name and, for some, its numbers (InitializerDraft). */
  | { kind: 'initializer' }
  /** L1/L2 factors; both empty or 0 leave the regulariser out. */
  | { kind: 'regularizer' };

/**
 * A field's label in the page's language: a message read when the builder renders, not when this
 * module loads (that is before the page has chosen its language).
 */
export type Label = () => string;

/** One field of a layer type's editor; `FieldDef` alone is any layer type's field. */
export type FieldDef<T extends LayerType = LayerType> = {
  [K in T]: {
    name: FieldName<K>;
    label: Label;
    /** The Keras argument it is, shown as the field's tooltip so a user can find it in a Keras script. */
    keras: string;
    def: FieldKind;
    /** Left out of the spec when empty (e.g. pool strides default to the pool size). */
    optional?: boolean;
    /** Shown under the layer's "weights" disclosure: initialisers, bias, regularisers. */
    weights?: boolean;
  };
}[T];

type InitializerObject = Exclude<InitializerInput, string>;
/** An initialiser as the builder edits it: its name and the numbers its type takes. */
export type InitializerDraft = { type: InitializerName } & Record<string, string | number | undefined>;
export type RegularizerDraft = { l1: number | ''; l2: number | '' };
export type DraftValue = string | number | boolean | undefined | InitializerDraft | RegularizerDraft;

type InitializerParam<T extends InitializerName> = Exclude<keyof Extract<InitializerObject, { type: T }>, 'type'> & string;
/** An initialiser's number; its name is the Keras argument (the contract spells them as Keras does). */
export type InitializerParamDef = { name: string; label: Label; def: FieldKind };

const distributionOptions = ['truncated_normal', 'untruncated_normal', 'uniform'] as const;

/** The numbers each initialiser takes, with Keras' defaults (checked against the contract's Initializer type). */
const initializerParamTable = {
  glorot_uniform: [],
  glorot_normal: [],
  he_uniform: [],
  he_normal: [],
  lecun_uniform: [],
  lecun_normal: [],
  variance_scaling: [
    { name: 'scale', label: m.builder_label_init_scale, def: { kind: 'number', min: 0, step: 0.1 } },
    { name: 'mode', label: m.builder_label_init_mode, def: { kind: 'enum', options: ['fan_in', 'fan_out', 'fan_avg'] } },
    { name: 'distribution', label: m.builder_label_init_distribution, def: { kind: 'enum', options: distributionOptions } },
  ],
  random_normal: [
    { name: 'mean', label: m.builder_label_init_mean, def: { kind: 'number', step: 0.01 } },
    { name: 'stddev', label: m.builder_label_init_stddev, def: { kind: 'number', min: 0, step: 0.01 } },
  ],
  truncated_normal: [
    { name: 'mean', label: m.builder_label_init_mean, def: { kind: 'number', step: 0.01 } },
    { name: 'stddev', label: m.builder_label_init_stddev, def: { kind: 'number', min: 0, step: 0.01 } },
  ],
  random_uniform: [
    { name: 'minval', label: m.builder_label_init_minval, def: { kind: 'number', step: 0.01 } },
    { name: 'maxval', label: m.builder_label_init_maxval, def: { kind: 'number', step: 0.01 } },
  ],
  zeros: [],
  ones: [],
  constant: [{ name: 'value', label: m.builder_label_init_value, def: { kind: 'number', step: 0.01 } }],
} satisfies { [T in InitializerName]: (InitializerParamDef & { name: InitializerParam<T> })[] };

type ParamNotOffered = {
  [T in InitializerName]: Exclude<InitializerParam<T>, (typeof initializerParamTable)[T][number]['name']>;
}[InitializerName];
const _everyParamOffered: [ParamNotOffered] extends [never] ? true : { notOffered: ParamNotOffered } = true;

export const initializerParams: { [T in InitializerName]: InitializerParamDef[] } = initializerParamTable;

/** Keras' defaults of each initialiser's numbers. */
const initializerDefaults: Partial<Record<InitializerName, Record<string, string | number>>> = {
  variance_scaling: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
  random_normal: { mean: 0, stddev: 0.05 },
  truncated_normal: { mean: 0, stddev: 0.05 },
  random_uniform: { minval: -0.05, maxval: 0.05 },
  constant: { value: 0 },
};

export function newInitializer(type: InitializerName): InitializerDraft {
  return { type, ...initializerDefaults[type] };
}

const padding = { kind: 'enum', options: paddings } as const satisfies FieldKind;

/** Initialisers, bias and regularisers: the same five fields on conv2d, dense and the output. */
const weightFieldDefs = [
  {
    name: 'kernelInitializer',
    label: m.builder_label_kernel_initializer,
    keras: 'kernel_initializer',
    def: { kind: 'initializer' },
    weights: true,
  },
  {
    name: 'biasInitializer',
    label: m.builder_label_bias_initializer,
    keras: 'bias_initializer',
    def: { kind: 'initializer' },
    weights: true,
  },
  { name: 'useBias', label: m.builder_label_use_bias, keras: 'use_bias', def: { kind: 'boolean' }, weights: true },
  {
    name: 'kernelRegularizer',
    label: m.builder_label_kernel_regularizer,
    keras: 'kernel_regularizer',
    def: { kind: 'regularizer' },
    weights: true,
    optional: true,
  },
  {
    name: 'biasRegularizer',
    label: m.builder_label_bias_regularizer,
    keras: 'bias_regularizer',
    def: { kind: 'regularizer' },
    weights: true,
    optional: true,
  },
] as const;

const fields = {
  conv2d: [
    { name: 'filters', label: m.builder_label_filters, keras: 'filters', def: { kind: 'int', min: 1 } },
    { name: 'kernelSize', label: m.builder_label_kernel_size, keras: 'kernel_size', def: { kind: 'int', min: 1 } },
    { name: 'strides', label: m.builder_label_strides, keras: 'strides', def: { kind: 'int', min: 1 } },
    { name: 'padding', label: m.builder_label_padding, keras: 'padding', def: padding },
    { name: 'activation', label: m.builder_label_activation, keras: 'activation', def: { kind: 'enum', options: activations } },
    ...weightFieldDefs,
  ],
  maxPool2d: [
    { name: 'poolSize', label: m.builder_label_pool_size, keras: 'pool_size', def: { kind: 'int', min: 1 } },
    { name: 'strides', label: m.builder_label_strides, keras: 'strides', def: { kind: 'int', min: 1 }, optional: true },
    { name: 'padding', label: m.builder_label_padding, keras: 'padding', def: padding },
  ],
  avgPool2d: [
    { name: 'poolSize', label: m.builder_label_pool_size, keras: 'pool_size', def: { kind: 'int', min: 1 } },
    { name: 'strides', label: m.builder_label_strides, keras: 'strides', def: { kind: 'int', min: 1 }, optional: true },
    { name: 'padding', label: m.builder_label_padding, keras: 'padding', def: padding },
  ],
  batchNorm: [
    { name: 'momentum', label: m.builder_label_momentum, keras: 'momentum', def: { kind: 'number', min: 0, max: 1, step: 0.01 } },
    { name: 'epsilon', label: m.builder_label_epsilon, keras: 'epsilon', def: { kind: 'number', min: 0, step: 0.001 } },
  ],
  dropout: [{ name: 'rate', label: m.builder_label_rate, keras: 'rate', def: { kind: 'number', min: 0, max: 1, step: 0.05 } }],
  lrn: [
    { name: 'depthRadius', label: m.builder_label_depth_radius, keras: 'depth_radius', def: { kind: 'int', min: 0 } },
    { name: 'bias', label: m.builder_label_lrn_bias, keras: 'bias', def: { kind: 'number', step: 0.1 } },
    { name: 'alpha', label: m.builder_label_alpha, keras: 'alpha', def: { kind: 'number', step: 0.0001 } },
    { name: 'beta', label: m.builder_label_beta, keras: 'beta', def: { kind: 'number', step: 0.05 } },
  ],
  flatten: [],
  dense: [
    { name: 'units', label: m.builder_label_units, keras: 'units', def: { kind: 'int', min: 1 } },
    { name: 'activation', label: m.builder_label_activation, keras: 'activation', def: { kind: 'enum', options: activations } },
    ...weightFieldDefs,
  ],
  activation: [{ name: 'activation', label: m.builder_label_activation, keras: 'activation', def: { kind: 'enum', options: activations } }],
} satisfies { [T in LayerType]: FieldDef<T>[] };

// Every field of every layer type is offered (svelte-check names the ones that are not).
type NotOffered = { [T in LayerType]: Exclude<FieldName<T>, (typeof fields)[T][number]['name']> }[LayerType];
const _everyFieldOffered: [NotOffered] extends [never] ? true : { notOffered: NotOffered } = true;

export const layerFields: { [T in LayerType]: FieldDef<T>[] } = fields;

/**
 * The Keras class each layer type is written as (core/models/keras/kerasExport.ts), for the
 * fields' tooltips; lrn has no Keras layer, so it is TensorFlow's function. kerasNames.test.ts
 * checks these and the fields' argument names against what the export writes.
 */
export const kerasClass: Record<LayerType | 'output', string> = {
  conv2d: 'Conv2D',
  maxPool2d: 'MaxPooling2D',
  avgPool2d: 'AveragePooling2D',
  batchNorm: 'BatchNormalization',
  dropout: 'Dropout',
  lrn: 'tf.nn.local_response_normalization',
  flatten: 'Flatten',
  dense: 'Dense',
  activation: 'Activation',
  output: 'Dense',
};

/** The Keras class of each initialiser (keras.initializers), for its numbers' tooltips. */
export const kerasInitializerClass: Record<InitializerName, string> = {
  glorot_uniform: 'GlorotUniform',
  glorot_normal: 'GlorotNormal',
  he_uniform: 'HeUniform',
  he_normal: 'HeNormal',
  lecun_uniform: 'LecunUniform',
  lecun_normal: 'LecunNormal',
  variance_scaling: 'VarianceScaling',
  random_normal: 'RandomNormal',
  truncated_normal: 'TruncatedNormal',
  random_uniform: 'RandomUniform',
  zeros: 'Zeros',
  ones: 'Ones',
  constant: 'Constant',
};

/** Where a field goes in a Keras script, as its tooltip says it: `Conv2D(kernel_size=…)`. */
export const kerasCall = (owner: string, argument: string): string => `${owner}(${argument}=…)`;

/** The output layer's fields: a dense layer's weight fields (checked against ModelSpec['output']). */
type OutputField = Exclude<keyof NonNullable<ModelSpecInput['output']>, never> & string;
export const outputFields: { name: OutputField; label: Label; keras: string; def: FieldKind; optional?: boolean }[] = [...weightFieldDefs];
type OutputNotOffered = Exclude<OutputField, (typeof weightFieldDefs)[number]['name']>;
const _everyOutputFieldOffered: [OutputNotOffered] extends [never] ? true : { notOffered: OutputNotOffered } = true;

export type LayerDraft = { type: LayerType } & Record<string, DraftValue>;
export type OutputDraft = Record<string, DraftValue>;

/** Keras' defaults of a layer with weights. */
export function newWeights(): OutputDraft {
  return {
    kernelInitializer: newInitializer('glorot_uniform'),
    biasInitializer: newInitializer('zeros'),
    useBias: true,
    kernelRegularizer: undefined,
    biasRegularizer: undefined,
  } satisfies NonNullable<ModelSpecInput['output']>;
}

/** A new layer of a type, with the values the builder starts from (each a valid spec of its type). */
export function newLayer(type: LayerType): LayerDraft {
  switch (type) {
    case 'conv2d':
      return {
        type,
        filters: 16,
        kernelSize: 3,
        strides: 1,
        padding: 'valid',
        activation: 'relu',
        ...newWeights(),
      } satisfies LayerInput<'conv2d'>;
    case 'maxPool2d':
    case 'avgPool2d':
      return { type, poolSize: 2, strides: undefined, padding: 'valid' } satisfies LayerInput<'maxPool2d' | 'avgPool2d'>;
    case 'batchNorm':
      return { type, momentum: 0.99, epsilon: 0.001 } satisfies LayerInput<'batchNorm'>;
    case 'dropout':
      return { type, rate: 0.25 } satisfies LayerInput<'dropout'>;
    case 'lrn':
      return { type, depthRadius: 5, bias: 1, alpha: 1, beta: 0.5 } satisfies LayerInput<'lrn'>;
    case 'flatten':
      return { type } satisfies LayerInput<'flatten'>;
    case 'dense':
      return { type, units: 64, activation: 'relu', ...newWeights() } satisfies LayerInput<'dense'>;
    case 'activation':
      return { type, activation: 'relu' } satisfies LayerInput<'activation'>;
  }
}

const isEmpty = (value: DraftValue) => value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value));

/** An initialiser draft as spec JSON: only the numbers its type takes, as numbers. */
function initializerSpec(draft: InitializerDraft): InitializerInput {
  const out: Record<string, unknown> = { type: draft.type };
  for (const param of initializerParams[draft.type]) {
    const value = draft[param.name];
    if (isEmpty(value)) continue;
    out[param.name] = param.def.kind === 'enum' ? value : Number(value);
  }
  return out as InitializerInput;
}

/** Field values as spec JSON (see layerSpec); undefined leaves the field out. */
function fieldValue(def: FieldKind, value: DraftValue, optional: boolean | undefined): unknown {
  if (def.kind === 'initializer')
    return value && typeof value === 'object' && 'type' in value ? initializerSpec(value as InitializerDraft) : undefined;
  if (def.kind === 'regularizer') {
    const r = value as RegularizerDraft | undefined;
    if (!r || ((isEmpty(r.l1) || r.l1 === 0) && (isEmpty(r.l2) || r.l2 === 0))) return undefined;
    return { l1: isEmpty(r.l1) ? 0 : Number(r.l1), l2: isEmpty(r.l2) ? 0 : Number(r.l2) };
  }
  if (def.kind === 'boolean') return value === undefined ? undefined : value === true || value === 'true';
  if (isEmpty(value)) return optional ? undefined : value === undefined || value === '' ? null : value;
  return def.kind === 'enum' ? value : Number(value);
}

/**
 * A draft layer as the spec the core takes: empty optional fields left out, numbers as numbers.
 * An emptied required field goes as null, outside the type on purpose: the core refuses it and
 * names the field, which is what the user needs to see.
 */
export function layerSpec(layer: LayerDraft): LayerSpecInput {
  const out: Record<string, unknown> = { type: layer.type };
  for (const field of layerFields[layer.type]) {
    const value = fieldValue(field.def, layer[field.name], field.optional);
    if (value !== undefined) out[field.name] = value;
  }
  return out as LayerSpecInput;
}

/** The output layer's draft as the spec's `output`. */
export function outputSpec(output: OutputDraft): NonNullable<ModelSpecInput['output']> {
  const out: Record<string, unknown> = {};
  for (const field of outputFields) {
    const value = fieldValue(field.def, output[field.name], field.optional);
    if (value !== undefined) out[field.name] = value;
  }
  return out as NonNullable<ModelSpecInput['output']>;
}

/** A spec's value as the builder edits it: initialisers as drafts with their defaults, regularisers as two numbers. */
function draftValue(def: FieldKind, value: unknown): DraftValue {
  if (def.kind === 'initializer') {
    if (typeof value === 'string') return newInitializer(value as InitializerName);
    if (value && typeof value === 'object' && 'type' in value) {
      const init = value as InitializerObject;
      return { ...newInitializer(init.type), ...(init as Record<string, string | number>) } as InitializerDraft;
    }
    return undefined;
  }
  if (def.kind === 'regularizer') {
    if (!value || typeof value !== 'object') return undefined;
    const r = value as { l1?: number; l2?: number };
    return { l1: r.l1 ?? '', l2: r.l2 ?? '' };
  }
  return value as DraftValue;
}

/** A spec layer (a preset's, an imported Keras model's) as a draft: every field, defaults where the spec leaves one out. */
export function layerDraft(layer: LayerSpecInput): LayerDraft {
  const draft = newLayer(layer.type);
  for (const field of layerFields[layer.type]) {
    const value = (layer as Record<string, unknown>)[field.name];
    if (value !== undefined) draft[field.name] = draftValue(field.def, value);
    else if (field.optional) draft[field.name] = undefined;
  }
  return draft;
}

export function outputDraft(output: ModelSpecInput['output']): OutputDraft {
  const draft = newWeights();
  for (const field of outputFields) {
    const value = (output as Record<string, unknown> | undefined)?.[field.name];
    if (value !== undefined) draft[field.name] = draftValue(field.def, value);
  }
  return draft;
}

/** `layers[3] (conv2d): …` → 3; the core names the layer it refuses this way. */
export function refusedLayer(message: string): number | null {
  const match = /layers\[(\d+)\]/.exec(message);
  return match ? Number(match[1]) : null;
}
