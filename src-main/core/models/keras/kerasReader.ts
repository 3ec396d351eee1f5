/**
 * Reading a Keras layer's config for the import (kerasImport.ts): every option checked against
 * what KernelLab trains, problems collected (all at once, each naming the layer and option), and
 * initialisers, regularisers and activations in KernelLab's terms.
 */
import type { z } from 'zod';
import { coreText, type coreTextParams, type CoreText, type CoreTextCode, type IssueText } from '../../contract/coreText.ts';
import { Activation, type InitializerInput, type LayerSpecInput } from '../../contract/training.ts';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keras stores float32 values as doubles (1e-4 → 9.999999747378752e-05): the shortest decimal with the same float32. */
export function float32Decimal(value: number): number {
  const single = Math.fround(value);
  for (let digits = 1; digits <= 17; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return value;
}

type Params<C extends CoreTextCode> = z.infer<(typeof coreTextParams)[C]>;

/** A value from the file as the English sentences show it (JSON; `undefined` as the word). */
export const shown = (v: unknown): string => String(JSON.stringify(v));

/**
 * A coded text whose string parameters come from the file, cut to the length a CoreText carries
 * (the English sentence keeps them whole).
 */
export function fileText<C extends CoreTextCode>(code: C, params: Params<C>): CoreText {
  const cut = Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? v.slice(0, 1000) : v]));
  return coreText(code, cut as Params<C>);
}

/** The codes of a layer's problems: their messages start with the layer (`layer '{layer}' ({layerClass}): …`). */
export type LayerCode = {
  [C in CoreTextCode]: 'layer' extends keyof Params<C> ? ('layerClass' extends keyof Params<C> ? C : never) : never;
}[CoreTextCode];
/** A layer problem's parameters without the layer, which the reader adds. */
export type LayerParams<C extends LayerCode> = Omit<Params<C>, 'layer' | 'layerClass'>;

/**
 * Collects every problem of one import; the import fails with all of them. Each is kept in
 * English (`where: what`) and coded: a layer's or the model's code names it in its own message
 * (coded path ''), a compile problem keeps `where` as its path (Keras' own words).
 */
export class Problems {
  readonly list: string[] = [];
  readonly texts: IssueText[] = [];
  add(where: string, what: string, text: CoreText | null, codedPath = ''): void {
    this.list.push(`${where}: ${what}`);
    this.texts.push({ path: codedPath.slice(0, 1000), text });
  }
  /** A problem of the layer `name` of class `className`. */
  layer<C extends LayerCode>(name: string, className: string, what: string, code: C, params: LayerParams<C>): void {
    this.add(`layer '${name}' (${className})`, what, fileText(code, { ...params, layer: name, layerClass: className } as Params<C>));
  }
}

/**
 * What the import decided that the user should know, once each (a Set by its English), with its
 * coded form beside.
 */
export class Notes {
  readonly #texts = new Map<string, CoreText>();
  add(sentence: string, text: CoreText): void {
    if (!this.#texts.has(sentence)) this.#texts.set(sentence, text);
  }
  get sentences(): string[] {
    return [...this.#texts.keys()];
  }
  get texts(): CoreText[] {
    return [...this.#texts.values()];
  }
}

/** The codes of an option refused by `only`: `{key}={value}: advice`. */
type OptionCode = Extract<LayerCode, `keras_layer_option_${string}` | 'keras_layer_channels_last'>;

export const activationNames: Record<string, Activation> = {
  relu: 'relu',
  swish: 'swish',
  silu: 'swish',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  elu: 'elu',
  selu: 'selu',
  softplus: 'softplus',
  softsign: 'softsign',
  relu6: 'relu6',
  linear: 'linear',
};

export const trainedActivations = Activation.options.join(', ');

/** A layer's reader: typed access to its config, every problem recorded with the layer's name. */
export class LayerReader {
  readonly where: string;
  readonly name: string;
  readonly className: string;
  readonly config: Json;
  readonly problems: Problems;

  constructor(className: string, config: Json, problems: Problems) {
    this.className = className;
    this.config = config;
    this.problems = problems;
    this.name = typeof config.name === 'string' ? config.name : '(unnamed)';
    this.where = `layer '${this.name}' (${className})`;
  }

  /** Refuses the layer: `what` in English, `code` and `params` its coded form (the layer added). */
  refuse<C extends LayerCode>(what: string, code: C, params: LayerParams<C>): void {
    this.problems.layer(this.name, this.className, what, code, params);
  }

  /** The layer as a note's parameters. */
  get named(): { layer: string; layerClass: string } {
    return { layer: this.name.slice(0, 1000), layerClass: this.className.slice(0, 1000) };
  }

  number(key: string, fallback?: number): number {
    const v = this.config[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.refuse(`${key} is missing`, 'keras_layer_missing', { key });
      return NaN;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.refuse(`${key} is ${JSON.stringify(v)}, not a number`, 'keras_layer_not_number', { key, value: shown(v) });
      return NaN;
    }
    return v;
  }

  /** A size Keras writes as an int or a pair: KernelLab's kernels, pools and strides are square. */
  square(key: string, what: 'kernels' | 'strides' | 'pools', fallback?: number): number | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    const pair = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : null;
    if (!pair || pair.length !== 2 || !pair.every((n) => Number.isInteger(n) && (n as number) > 0)) {
      this.refuse(`${key} ${JSON.stringify(v)} is not a size`, 'keras_layer_not_size', { key, value: shown(v) });
      return undefined;
    }
    if (pair[0] !== pair[1]) {
      this.refuse(
        `${key} ${JSON.stringify(v)} is not square; KernelLab trains square ${what} (use ${key}=(${pair[0]}, ${pair[0]}) or (${pair[1]}, ${pair[1]}))`,
        `keras_layer_not_square_${what}`,
        { key, value: shown(v), first: String(pair[0]), second: String(pair[1]) },
      );
      return undefined;
    }
    return pair[0] as number;
  }

  /** Options KernelLab has no counterpart for: refused unless they hold Keras' default; `code` says `advice` with the key and value. */
  only(key: string, allowed: readonly unknown[], advice: string, code: OptionCode): void {
    const v = this.config[key];
    if (v === undefined) return;
    if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v)))
      this.refuse(`${key}=${JSON.stringify(v)}: ${advice}`, code, { key, value: shown(v) });
  }

  padding(): 'same' | 'valid' | undefined {
    const v = this.config.padding;
    if (v === undefined || v === 'valid') return 'valid';
    if (v === 'same') return 'same';
    this.refuse(`padding=${JSON.stringify(v)}: KernelLab pads 'valid' or 'same'`, 'keras_layer_padding', { value: shown(v) });
    return undefined;
  }

  channelsLast(): void {
    this.only(
      'data_format',
      ['channels_last', null],
      "KernelLab's images are channels_last (height, width, channels); save the model with data_format='channels_last'",
      'keras_layer_channels_last',
    );
  }

  activation(key = 'activation'): Activation | 'softmax' | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return 'linear';
    const name = typeof v === 'string' ? v : isObject(v) && typeof v.class_name === 'string' ? v.class_name : null;
    if (name === 'softmax') return 'softmax';
    if (name !== null && Object.hasOwn(activationNames, name)) return activationNames[name];
    this.refuse(
      `activation ${JSON.stringify(name ?? v)} is not one KernelLab trains (${trainedActivations}; softmax at the output); use one of those`,
      'keras_layer_activation',
      { name: shown(name ?? v), trained: trainedActivations },
    );
    return undefined;
  }

  notTrainable(): void {
    if (this.config.trainable === false)
      this.refuse('is frozen (trainable=False); KernelLab trains every layer: unfreeze it before saving', 'keras_layer_frozen', {});
  }
}

/** Keras' initialiser classes (Keras 3 and 2 names, and the snake_case strings a config may hold). */
export function initializer(reader: LayerReader, key: string, notes: Notes): InitializerInput | undefined {
  const v = reader.config[key];
  if (v === undefined || v === null) return undefined;
  const className = typeof v === 'string' ? v : isObject(v) && typeof v.class_name === 'string' ? v.class_name : null;
  const config = isObject(v) && isObject(v.config) ? v.config : {};
  if (config.seed !== undefined && config.seed !== null)
    notes.add(
      'Initialiser seeds are not carried over: KernelLab draws every initial weight from the run seed.',
      coreText('keras_note_initializer_seed', {}),
    );
  const num = (k: string, fallback: number): number => {
    const n = config[k];
    if (n === undefined || n === null) return fallback;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      reader.refuse(`${key} ${className}: ${k} is ${JSON.stringify(n)}, not a number`, 'keras_layer_initializer_not_number', {
        key,
        initializer: String(className),
        option: k,
        value: shown(n),
      });
      return fallback;
    }
    return float32Decimal(n);
  };
  const snake = (className ?? '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  switch (snake) {
    case 'glorot_uniform':
    case 'glorot_normal':
    case 'he_uniform':
    case 'he_normal':
    case 'lecun_uniform':
    case 'lecun_normal':
    case 'zeros':
    case 'ones':
      return { type: snake };
    case 'zero':
      return { type: 'zeros' };
    case 'one':
      return { type: 'ones' };
    case 'random_normal':
      return { type: 'random_normal', mean: num('mean', 0), stddev: num('stddev', 0.05) };
    case 'truncated_normal':
      return { type: 'truncated_normal', mean: num('mean', 0), stddev: num('stddev', 0.05) };
    case 'random_uniform':
      return { type: 'random_uniform', minval: num('minval', -0.05), maxval: num('maxval', 0.05) };
    case 'constant': {
      if (config.value !== undefined && typeof config.value !== 'number') {
        reader.refuse(`${key} Constant(value=${JSON.stringify(config.value)}): KernelLab fills with one number`, 'keras_layer_constant', {
          key,
          value: shown(config.value),
        });
        return undefined;
      }
      return { type: 'constant', value: num('value', 0) };
    }
    case 'variance_scaling': {
      const mode = config.mode ?? 'fan_in';
      // Keras before 2.3 called the truncated normal 'normal'.
      const distribution = config.distribution === 'normal' ? 'truncated_normal' : (config.distribution ?? 'truncated_normal');
      if (mode !== 'fan_in' && mode !== 'fan_out' && mode !== 'fan_avg') {
        reader.refuse(`${key} VarianceScaling(mode=${JSON.stringify(mode)}): use fan_in, fan_out or fan_avg`, 'keras_layer_variance_mode', {
          key,
          value: shown(mode),
        });
        return undefined;
      }
      if (distribution !== 'truncated_normal' && distribution !== 'untruncated_normal' && distribution !== 'uniform') {
        reader.refuse(
          `${key} VarianceScaling(distribution=${JSON.stringify(distribution)}): use truncated_normal, untruncated_normal or uniform`,
          'keras_layer_variance_distribution',
          { key, value: shown(distribution) },
        );
        return undefined;
      }
      return { type: 'variance_scaling', scale: num('scale', 1), mode, distribution };
    }
    default:
      reader.refuse(
        `${key} ${className ?? JSON.stringify(v)} is not an initialiser KernelLab draws; use glorot_uniform/normal, he_uniform/normal, lecun_uniform/normal, variance_scaling, random_normal, truncated_normal, random_uniform, zeros, ones or constant`,
        'keras_layer_initializer_unknown',
        { key, initializer: className ?? shown(v) },
      );
      return undefined;
  }
}

export function regularizer(reader: LayerReader, key: string): { l1: number; l2: number } | undefined {
  const v = reader.config[key];
  if (v === undefined || v === null) return undefined;
  const className = isObject(v) && typeof v.class_name === 'string' ? v.class_name : typeof v === 'string' ? v : null;
  const config = isObject(v) && isObject(v.config) ? v.config : {};
  const factor = (k: string) => (typeof config[k] === 'number' ? float32Decimal(config[k] as number) : 0);
  switch ((className ?? '').toLowerCase().replace(/_/g, '')) {
    case 'l1':
      return { l1: factor('l1'), l2: 0 };
    case 'l2':
      return { l1: 0, l2: factor('l2') };
    case 'l1l2':
      return { l1: factor('l1'), l2: factor('l2') };
    default:
      reader.refuse(
        `${key} ${className ?? JSON.stringify(v)} is not a regulariser KernelLab adds; use L1, L2 or L1L2`,
        'keras_layer_regularizer_unknown',
        {
          key,
          regularizer: className ?? shown(v),
        },
      );
      return undefined;
  }
}

/** conv2d's, dense's and the output's weight fields. */
export function weightFields(reader: LayerReader, notes: Notes) {
  for (const key of ['kernel_constraint', 'bias_constraint'] as const)
    reader.only(
      key,
      [null],
      'KernelLab applies no weight constraints; remove it (a max-norm constraint has no counterpart)',
      'keras_layer_option_constraint',
    );
  reader.only(
    'activity_regularizer',
    [null],
    'KernelLab regularises weights, not activations; use kernel_regularizer or remove it',
    'keras_layer_option_activity_regularizer',
  );
  const useBias = reader.config.use_bias === undefined ? true : reader.config.use_bias === true;
  const fields: Record<string, unknown> = { useBias };
  const kernelInitializer = initializer(reader, 'kernel_initializer', notes);
  const biasInitializer = initializer(reader, 'bias_initializer', notes);
  const kernelRegularizer = regularizer(reader, 'kernel_regularizer');
  const biasRegularizer = useBias ? regularizer(reader, 'bias_regularizer') : undefined;
  if (kernelInitializer) fields.kernelInitializer = kernelInitializer;
  if (biasInitializer) fields.biasInitializer = biasInitializer;
  if (kernelRegularizer) fields.kernelRegularizer = kernelRegularizer;
  if (biasRegularizer) fields.biasRegularizer = biasRegularizer;
  return fields as Pick<
    Extract<LayerSpecInput, { type: 'dense' }>,
    'useBias' | 'kernelInitializer' | 'biasInitializer' | 'kernelRegularizer' | 'biasRegularizer'
  >;
}
