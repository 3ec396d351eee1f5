/**
 * The model builder's vocabulary: which fields each layer type has and their defaults (the same
 * ones the core's ModelSpec schema applies). The renderer cannot import the schema (types only),
 * so this table mirrors it, checked against the contract's LayerSpec type: a field the contract
 * does not have, or one it has that the builder does not offer, fails svelte-check. The core
 * still validates every spec it receives.
 */
import type { LayerSpecInput } from '../../src-main/core/contract/index.ts';
import { activations, paddings } from './contractLists.ts';

export type LayerType = LayerSpecInput['type'];
type LayerInput<T extends LayerType> = Extract<LayerSpecInput, { type: T }>;
type FieldName<T extends LayerType> = Exclude<keyof LayerInput<T>, 'type'> & string;

export type FieldKind =
  | { kind: 'int'; min: number }
  | { kind: 'number'; min?: number; max?: number; step?: number }
  | { kind: 'enum'; options: readonly string[] };

/** One field of a layer type's editor; `FieldDef` alone is any layer type's field. */
export type FieldDef<T extends LayerType = LayerType> = {
  [K in T]: {
    name: FieldName<K>;
    label: string;
    def: FieldKind;
    /** Left out of the spec when empty (e.g. pool strides default to the pool size). */
    optional?: boolean;
  };
}[T];

const padding = { kind: 'enum', options: paddings } as const satisfies FieldKind;

const fields = {
  conv2d: [
    { name: 'filters', label: 'filters', def: { kind: 'int', min: 1 } },
    { name: 'kernelSize', label: 'kernel', def: { kind: 'int', min: 1 } },
    { name: 'strides', label: 'stride', def: { kind: 'int', min: 1 } },
    { name: 'padding', label: 'padding', def: padding },
    { name: 'activation', label: 'activation', def: { kind: 'enum', options: activations } },
  ],
  maxPool2d: [
    { name: 'poolSize', label: 'pool', def: { kind: 'int', min: 1 } },
    { name: 'strides', label: 'stride', def: { kind: 'int', min: 1 }, optional: true },
    { name: 'padding', label: 'padding', def: padding },
  ],
  avgPool2d: [
    { name: 'poolSize', label: 'pool', def: { kind: 'int', min: 1 } },
    { name: 'strides', label: 'stride', def: { kind: 'int', min: 1 }, optional: true },
    { name: 'padding', label: 'padding', def: padding },
  ],
  batchNorm: [
    { name: 'momentum', label: 'momentum', def: { kind: 'number', min: 0, max: 1, step: 0.01 } },
    { name: 'epsilon', label: 'epsilon', def: { kind: 'number', min: 0, step: 0.001 } },
  ],
  dropout: [{ name: 'rate', label: 'rate', def: { kind: 'number', min: 0, max: 1, step: 0.05 } }],
  lrn: [
    { name: 'depthRadius', label: 'radius', def: { kind: 'int', min: 0 } },
    { name: 'bias', label: 'bias', def: { kind: 'number', step: 0.1 } },
    { name: 'alpha', label: 'alpha', def: { kind: 'number', step: 0.0001 } },
    { name: 'beta', label: 'beta', def: { kind: 'number', step: 0.05 } },
  ],
  flatten: [],
  dense: [
    { name: 'units', label: 'units', def: { kind: 'int', min: 1 } },
    { name: 'activation', label: 'activation', def: { kind: 'enum', options: activations } },
  ],
} satisfies { [T in LayerType]: FieldDef<T>[] };

// Every field of every layer type is offered (svelte-check names the ones that are not).
type NotOffered = { [T in LayerType]: Exclude<FieldName<T>, (typeof fields)[T][number]['name']> }[LayerType];
const _everyFieldOffered: [NotOffered] extends [never] ? true : { notOffered: NotOffered } = true;

export const layerFields: { [T in LayerType]: FieldDef<T>[] } = fields;

export type LayerDraft = { type: LayerType } & Record<string, string | number | undefined>;

/** A new layer of a type, with the values the builder starts from (each a valid spec of its type). */
export function newLayer(type: LayerType): LayerDraft {
  switch (type) {
    case 'conv2d':
      return { type, filters: 16, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' } satisfies LayerInput<'conv2d'>;
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
      return { type, units: 64, activation: 'relu' } satisfies LayerInput<'dense'>;
  }
}

/**
 * A draft layer as the spec the core takes: empty optional fields left out, numbers as numbers.
 * An emptied required field goes as null, outside the type on purpose: the core refuses it and
 * names the field, which is what the user needs to see.
 */
export function layerSpec(layer: LayerDraft): LayerSpecInput {
  const out: Record<string, unknown> = { type: layer.type };
  for (const field of layerFields[layer.type]) {
    const value = layer[field.name];
    if (value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value))) {
      if (!field.optional) out[field.name] = value === undefined || value === '' ? null : value;
      continue;
    }
    out[field.name] = field.def.kind === 'enum' ? value : Number(value);
  }
  return out as LayerSpecInput;
}

/** `layers[3] (conv2d): …` → 3; the core names the layer it refuses this way. */
export function refusedLayer(message: string): number | null {
  const match = /layers\[(\d+)\]/.exec(message);
  return match ? Number(match[1]) : null;
}
