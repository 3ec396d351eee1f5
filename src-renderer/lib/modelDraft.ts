/**
 * The model builder's vocabulary: which fields each layer type has and their defaults (the same
 * ones the core's ModelSpec schema applies). The renderer cannot import the schema (types only),
 * so this table mirrors it; the core still validates every spec it receives.
 */
export type FieldKind =
  { kind: 'int'; min: number } | { kind: 'number'; min?: number; max?: number; step?: number } | { kind: 'enum'; options: string[] };

export interface FieldDef {
  name: string;
  label: string;
  def: FieldKind;
  /** Left out of the spec when empty (e.g. pool strides default to the pool size). */
  optional?: boolean;
}

const activations = ['relu', 'swish', 'sigmoid', 'tanh', 'elu', 'linear'];
const padding = { kind: 'enum', options: ['valid', 'same'] } as const satisfies FieldKind;

export const layerTypes = ['conv2d', 'maxPool2d', 'avgPool2d', 'batchNorm', 'dropout', 'lrn', 'flatten', 'dense'] as const;
export type LayerType = (typeof layerTypes)[number];

export const layerFields: Record<LayerType, FieldDef[]> = {
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
};

export type LayerDraft = { type: LayerType } & Record<string, string | number | undefined>;

export function newLayer(type: LayerType): LayerDraft {
  switch (type) {
    case 'conv2d':
      return { type, filters: 16, kernelSize: 3, strides: 1, padding: 'valid', activation: 'relu' };
    case 'maxPool2d':
    case 'avgPool2d':
      return { type, poolSize: 2, strides: undefined, padding: 'valid' };
    case 'batchNorm':
      return { type, momentum: 0.99, epsilon: 0.001 };
    case 'dropout':
      return { type, rate: 0.25 };
    case 'lrn':
      return { type, depthRadius: 5, bias: 1, alpha: 1, beta: 0.5 };
    case 'flatten':
      return { type };
    case 'dense':
      return { type, units: 64, activation: 'relu' };
  }
}

/** A draft layer as spec JSON: empty optional fields left out, numbers as numbers. */
export function layerSpec(layer: LayerDraft): Record<string, unknown> {
  const out: Record<string, unknown> = { type: layer.type };
  for (const field of layerFields[layer.type]) {
    const value = layer[field.name];
    if (value === undefined || value === '' || (typeof value === 'number' && Number.isNaN(value))) {
      if (!field.optional) out[field.name] = value === undefined || value === '' ? null : value;
      continue;
    }
    out[field.name] = field.def.kind === 'enum' ? value : Number(value);
  }
  return out;
}

/** `layers[3] (conv2d): …` → 3; the core names the layer it refuses this way. */
export function refusedLayer(message: string): number | null {
  const match = /layers\[(\d+)\]/.exec(message);
  return match ? Number(match[1]) : null;
}
