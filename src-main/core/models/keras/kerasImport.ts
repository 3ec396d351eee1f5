/**
 * A Keras model as a KernelLab model spec: the JSON of `model.to_json()` (Keras 3, or Keras 2 /
 * tf.keras) or the `config.json` inside a `.keras` file, for a Sequential model or a Functional
 * one that is a chain of layers. Every layer and option KernelLab trains is mapped, with Keras'
 * meaning (initialisers by their Keras formulas, Keras' BatchNormalization momentum, Keras'
 * validation arithmetic elsewhere); anything it cannot train is refused by name — the layer, the
 * option and what to do — all problems at once, so a notebook is fixed in one pass.
 *
 * The compile_config (Keras 3 writes it for a compiled model) gives the optimizer, its constants
 * and its learning-rate schedule as hyperparameters; the loss must be the cross-entropy KernelLab
 * trains. Fit settings (epochs, batch size, validation split, callbacks) are not in a model file.
 */
import { KernelLabError } from '../../errors.ts';
import { jsonDepthExceededAt } from '../../contract/jsonDepth.ts';
import {
  Activation,
  CompiledSettings,
  ModelSpec,
  type InitializerInput,
  type KerasImportResult,
  type LayerSpecInput,
  type LrScheduleInput,
  type ModelSpecInput,
} from '../../contract/training.ts';
import { inferShapes } from '../shapeInference.ts';

type Json = Record<string, unknown>;

/** A layer as KernelLab will train it, or a pending piece of the input (shape, scaling). */
interface Mapped {
  layer: LayerSpecInput;
  /** The Keras layer's name and class, for messages. */
  from: string;
}

const maxLayers = 1000;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keras stores float32 values as doubles (1e-4 → 9.999999747378752e-05): the shortest decimal with the same float32. */
export function float32Decimal(value: number): number {
  const single = Math.fround(value);
  for (let digits = 1; digits <= 17; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === single) return candidate;
  }
  return value;
}

/** Collects every problem of one import; the import fails with all of them. */
class Problems {
  readonly list: string[] = [];
  add(where: string, what: string): void {
    this.list.push(`${where}: ${what}`);
  }
}

const activationNames: Record<string, Activation> = {
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
const trainedActivations = Activation.options.join(', ');

/** A layer's reader: typed access to its config, every problem recorded with the layer's name. */
class LayerReader {
  readonly where: string;
  readonly className: string;
  readonly config: Json;
  readonly problems: Problems;

  constructor(className: string, config: Json, problems: Problems) {
    this.className = className;
    this.config = config;
    this.problems = problems;
    const name = typeof config.name === 'string' ? config.name : '(unnamed)';
    this.where = `layer '${name}' (${className})`;
  }

  refuse(what: string): void {
    this.problems.add(this.where, what);
  }

  number(key: string, fallback?: number): number {
    const v = this.config[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.refuse(`${key} is missing`);
      return NaN;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.refuse(`${key} is ${JSON.stringify(v)}, not a number`);
      return NaN;
    }
    return v;
  }

  /** A size Keras writes as an int or a pair: KernelLab's kernels, pools and strides are square. */
  square(key: string, what: string, fallback?: number): number | undefined {
    const v = this.config[key];
    if (v === undefined || v === null) return fallback;
    const pair = typeof v === 'number' ? [v, v] : Array.isArray(v) ? v : null;
    if (!pair || pair.length !== 2 || !pair.every((n) => Number.isInteger(n) && (n as number) > 0)) {
      this.refuse(`${key} ${JSON.stringify(v)} is not a size`);
      return undefined;
    }
    if (pair[0] !== pair[1]) {
      this.refuse(
        `${key} ${JSON.stringify(v)} is not square; KernelLab trains square ${what} (use ${key}=(${pair[0]}, ${pair[0]}) or (${pair[1]}, ${pair[1]}))`,
      );
      return undefined;
    }
    return pair[0] as number;
  }

  /** Options KernelLab has no counterpart for: refused unless they hold Keras' default. */
  only(key: string, allowed: readonly unknown[], advice: string): void {
    const v = this.config[key];
    if (v === undefined) return;
    if (!allowed.some((a) => JSON.stringify(a) === JSON.stringify(v))) this.refuse(`${key}=${JSON.stringify(v)}: ${advice}`);
  }

  padding(): 'same' | 'valid' | undefined {
    const v = this.config.padding;
    if (v === undefined || v === 'valid') return 'valid';
    if (v === 'same') return 'same';
    this.refuse(`padding=${JSON.stringify(v)}: KernelLab pads 'valid' or 'same'`);
    return undefined;
  }

  channelsLast(): void {
    this.only(
      'data_format',
      ['channels_last', null],
      "KernelLab's images are channels_last (height, width, channels); save the model with data_format='channels_last'",
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
    );
    return undefined;
  }

  notTrainable(): void {
    if (this.config.trainable === false)
      this.refuse('is frozen (trainable=False); KernelLab trains every layer: unfreeze it before saving');
  }
}

/** Keras' initialiser classes (Keras 3 and 2 names, and the snake_case strings a config may hold). */
function initializer(reader: LayerReader, key: string, notes: Set<string>): InitializerInput | undefined {
  const v = reader.config[key];
  if (v === undefined || v === null) return undefined;
  const className = typeof v === 'string' ? v : isObject(v) && typeof v.class_name === 'string' ? v.class_name : null;
  const config = isObject(v) && isObject(v.config) ? v.config : {};
  if (config.seed !== undefined && config.seed !== null)
    notes.add('Initialiser seeds are not carried over: KernelLab draws every initial weight from the run seed.');
  const num = (k: string, fallback: number): number => {
    const n = config[k];
    if (n === undefined || n === null) return fallback;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      reader.refuse(`${key} ${className}: ${k} is ${JSON.stringify(n)}, not a number`);
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
        reader.refuse(`${key} Constant(value=${JSON.stringify(config.value)}): KernelLab fills with one number`);
        return undefined;
      }
      return { type: 'constant', value: num('value', 0) };
    }
    case 'variance_scaling': {
      const mode = config.mode ?? 'fan_in';
      // Keras before 2.3 called the truncated normal 'normal'.
      const distribution = config.distribution === 'normal' ? 'truncated_normal' : (config.distribution ?? 'truncated_normal');
      if (mode !== 'fan_in' && mode !== 'fan_out' && mode !== 'fan_avg') {
        reader.refuse(`${key} VarianceScaling(mode=${JSON.stringify(mode)}): use fan_in, fan_out or fan_avg`);
        return undefined;
      }
      if (distribution !== 'truncated_normal' && distribution !== 'untruncated_normal' && distribution !== 'uniform') {
        reader.refuse(
          `${key} VarianceScaling(distribution=${JSON.stringify(distribution)}): use truncated_normal, untruncated_normal or uniform`,
        );
        return undefined;
      }
      return { type: 'variance_scaling', scale: num('scale', 1), mode, distribution };
    }
    default:
      reader.refuse(
        `${key} ${className ?? JSON.stringify(v)} is not an initialiser KernelLab draws; use glorot_uniform/normal, he_uniform/normal, lecun_uniform/normal, variance_scaling, random_normal, truncated_normal, random_uniform, zeros, ones or constant`,
      );
      return undefined;
  }
}

function regularizer(reader: LayerReader, key: string): { l1: number; l2: number } | undefined {
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
      reader.refuse(`${key} ${className ?? JSON.stringify(v)} is not a regulariser KernelLab adds; use L1, L2 or L1L2`);
      return undefined;
  }
}

/** conv2d's, dense's and the output's weight fields. */
function weightFields(reader: LayerReader, notes: Set<string>) {
  for (const key of ['kernel_constraint', 'bias_constraint'] as const)
    reader.only(key, [null], 'KernelLab applies no weight constraints; remove it (a max-norm constraint has no counterpart)');
  reader.only('activity_regularizer', [null], 'KernelLab regularises weights, not activations; use kernel_regularizer or remove it');
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

/** What to do instead of a layer class KernelLab has no counterpart for. */
const adviceFor: Record<string, string> = {
  Conv2DTranspose: 'KernelLab trains no transposed convolution (it is for decoders, not classifiers); remove it',
  SeparableConv2D: 'KernelLab trains no separable convolution; use Conv2D',
  DepthwiseConv2D: 'KernelLab trains no depthwise convolution; use Conv2D',
  LeakyReLU: "KernelLab has no leaky relu; use Activation('relu') or 'elu'",
  PReLU: "KernelLab has no learned-slope relu; use Activation('relu') or 'elu'",
  SpatialDropout2D: 'KernelLab drops single units, not whole channels; use Dropout',
  GaussianDropout: 'KernelLab drops units with a Bernoulli mask; use Dropout',
  GaussianNoise: 'KernelLab trains without input noise; remove it',
  LayerNormalization: 'KernelLab normalises over the batch; use BatchNormalization',
  GroupNormalization: 'KernelLab normalises over the batch; use BatchNormalization',
  ZeroPadding2D: "KernelLab pads within a layer; use padding='same' on the next Conv2D or pooling",
  Cropping2D: 'KernelLab crops nothing; remove it',
  UpSampling2D: 'KernelLab trains classifiers, which do not upsample; remove it',
  Lambda: 'a Lambda runs Python code KernelLab cannot read; write it as the layers it computes',
  Add: 'KernelLab trains a chain of layers; a model with branches (residual connections) cannot be expressed',
  Concatenate: 'KernelLab trains a chain of layers; a model with branches cannot be expressed',
  Multiply: 'KernelLab trains a chain of layers; a model with branches cannot be expressed',
  Sequential: "KernelLab trains one flat chain of layers; write the nested model's layers in place",
  Functional: "KernelLab trains one flat chain of layers; write the nested model's layers in place",
};
const augmentation = /^Random(Flip|Rotation|Zoom|Translation|Crop|Contrast|Brightness|Height|Width)/;

/** The chain of layer configs of a Functional model, input to output; refuses branches. */
function chainOf(config: Json, problems: Problems): Json[] {
  const layers = (config.layers as unknown[]).filter(isObject);
  const byName = new Map(layers.map((l) => [String(l.name ?? (isObject(l.config) ? l.config.name : '')), l]));
  // Keras 3: [name, 0, 0]; Keras 2: [[name, 0, 0]].
  const endpoint = (v: unknown): string[] =>
    Array.isArray(v) && typeof v[0] === 'string' ? [v[0]] : Array.isArray(v) ? v.flatMap((e) => endpoint(e)) : [];
  const inputs = endpoint(config.input_layers);
  const outputs = endpoint(config.output_layers);
  if (inputs.length !== 1 || outputs.length !== 1) {
    problems.add(
      'model',
      `has ${inputs.length} inputs and ${outputs.length} outputs; KernelLab trains one image input and one class output`,
    );
    return [];
  }
  /** The layers a layer reads from, by name (Keras 3 keras_history, Keras 2 nested lists). */
  const sources = (layer: Json): string[] => {
    const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
    const names: string[] = [];
    const visit = (v: unknown): void => {
      if (isObject(v)) {
        if (v.class_name === '__keras_tensor__' && isObject(v.config) && Array.isArray(v.config.keras_history)) {
          names.push(String(v.config.keras_history[0]));
          return;
        }
        for (const value of Object.values(v)) visit(value);
      } else if (Array.isArray(v)) {
        if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
        else v.forEach(visit);
      }
    };
    nodes.forEach(visit);
    return names;
  };
  const next = new Map<string, string[]>();
  for (const [name, layer] of byName) {
    const calls = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes.length : 0;
    if (calls > 1)
      problems.add(
        `layer '${name}' (${String(layer.class_name)})`,
        `is applied ${calls} times (a shared layer); KernelLab trains a chain of layers, each used once`,
      );
    const from = sources(layer);
    if (from.length > 1) {
      problems.add(
        `layer '${name}' (${String(layer.class_name)})`,
        `reads ${from.length} inputs (${from.join(', ')}); KernelLab trains a chain of layers, so a model with branches or shared layers cannot be expressed`,
      );
    }
    for (const source of from) next.set(source, [...(next.get(source) ?? []), name]);
  }
  const chain: Json[] = [];
  let current: string | undefined = inputs[0];
  const seen = new Set<string>();
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const layer = byName.get(current);
    if (!layer) break;
    chain.push(layer);
    if (current === outputs[0]) break;
    const followers: string[] = next.get(current) ?? [];
    if (followers.length > 1)
      problems.add(
        `layer '${current}' (${String(layer.class_name)})`,
        `feeds ${followers.length} layers (${followers.join(', ')}); KernelLab trains a chain of layers`,
      );
    current = followers[0];
  }
  if (chain.length !== layers.length && problems.list.length === 0)
    problems.add(
      'model',
      `${layers.length - chain.length} of its layers are not on the path from its input to its output; KernelLab trains a chain of layers`,
    );
  return chain;
}

/** The model's layer configs in order, whatever Keras version and model class wrote them. */
function layerList(model: Json, problems: Problems): { layers: Json[]; modelClass: string; name: string } {
  const modelClass = String(model.class_name);
  const config = isObject(model.config) ? model.config : {};
  const name = typeof config.name === 'string' ? config.name : 'model';
  if (!Array.isArray(config.layers)) {
    problems.add('model', `${modelClass} has no list of layers in its config; give the JSON of model.to_json() or a .keras file`);
    return { layers: [], modelClass, name };
  }
  if (config.layers.length > maxLayers) {
    problems.add('model', `has ${config.layers.length} layers; KernelLab imports up to ${maxLayers}`);
    return { layers: [], modelClass, name };
  }
  if (modelClass === 'Sequential') return { layers: config.layers.filter(isObject), modelClass, name };
  if (modelClass === 'Functional' || modelClass === 'Model') return { layers: chainOf(config, problems), modelClass: 'Functional', name };
  problems.add('model', `is a ${modelClass}; KernelLab imports Sequential models and Functional models that are a chain of layers`);
  return { layers: [], modelClass, name };
}

const inputShapeOf = (config: Json): unknown => config.batch_shape ?? config.batch_input_shape ?? null;

interface LayersResult {
  inputShape: [number, number, number] | null;
  mapped: Mapped[];
  /** The last Dense, when it is the classifier's output (or followed by a softmax). */
  output: { from: string; units: number; fields: ReturnType<typeof weightFields>; logits: boolean } | null;
}

function mapLayers(layers: Json[], problems: Problems, notes: Set<string>): LayersResult {
  let inputShape: number[] | null = null;
  const mapped: Mapped[] = [];
  /** Until a layer with weights, the input may still be reshaped or rescaled. */
  let atInput = true;
  const readers = layers.map((layer) => new LayerReader(String(layer.class_name), isObject(layer.config) ? layer.config : {}, problems));
  // The output: the last Dense, optionally followed by Activation('softmax') / Softmax.
  const isSoftmax = (r: LayerReader) => (r.className === 'Activation' && r.config.activation === 'softmax') || r.className === 'Softmax';
  const outputIndex = readers.findLastIndex((r) => r.className === 'Dense');
  const tail = outputIndex === -1 ? [] : readers.slice(outputIndex + 1);
  const softmaxAfter = tail.length === 1 && isSoftmax(tail[0]!);
  if (outputIndex === -1)
    problems.add('model', "has no Dense output layer; KernelLab's classifier ends in Dense(classes, activation='softmax')");
  else if (tail.length > 0 && !softmaxAfter)
    problems.add(tail[0]!.where, "comes after the last Dense; KernelLab's classifier ends in Dense(classes, activation='softmax')");
  let output: LayersResult['output'] = null;

  readers.forEach((r, index) => {
    const layerShape = inputShapeOf(r.config);
    if (layerShape !== null && index === 0 && r.className !== 'InputLayer')
      inputShape = Array.isArray(layerShape) ? layerShape.slice(1) : null;
    const add = (layer: LayerSpecInput) => {
      mapped.push({ layer, from: r.where });
      atInput = false;
    };
    if (r.className !== 'InputLayer') r.notTrainable();
    switch (r.className) {
      case 'InputLayer': {
        const shape = inputShapeOf(r.config);
        if (!Array.isArray(shape)) r.refuse('has no batch_shape');
        else inputShape = shape.slice(1) as number[];
        return;
      }
      case 'Reshape': {
        const target = r.config.target_shape;
        if (atInput && Array.isArray(target) && target.length === 3) {
          inputShape = target as number[];
          notes.add(`Reshape to (${target.join(', ')}) taken as the input shape: KernelLab feeds images of that shape.`);
        } else r.refuse('KernelLab reshapes only the input into an image (height, width, channels) before the first layer; remove it');
        return;
      }
      case 'Rescaling': {
        const scale = r.config.scale;
        const offset = r.config.offset ?? 0;
        if (atInput && typeof scale === 'number' && Math.abs(scale * 255 - 1) < 1e-6 && offset === 0)
          notes.add('Rescaling(1/255) dropped: KernelLab already feeds pixels / 255.');
        else
          r.refuse(
            `scale=${JSON.stringify(scale)}, offset=${JSON.stringify(offset)}: KernelLab feeds pixels / 255 (in [0, 1]) and can drop only a Rescaling(1/255) at the input; remove it`,
          );
        return;
      }
      case 'Conv2D': {
        r.channelsLast();
        r.only('dilation_rate', [1, [1, 1]], 'KernelLab trains undilated convolutions; remove dilation_rate');
        r.only('groups', [1], 'KernelLab trains ungrouped convolutions; remove groups');
        const kernelSize = r.square('kernel_size', 'kernels');
        const strides = r.square('strides', 'strides', 1);
        const padding = r.padding();
        const activation = r.activation();
        if (activation === 'softmax') r.refuse("activation='softmax' inside the network: KernelLab applies softmax at the output only");
        const fields = weightFields(r, notes);
        const filters = r.number('filters');
        if (
          kernelSize === undefined ||
          strides === undefined ||
          padding === undefined ||
          activation === undefined ||
          activation === 'softmax'
        )
          return;
        add({ type: 'conv2d', filters, kernelSize, strides, padding, activation, ...fields });
        return;
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        r.channelsLast();
        const poolSize = r.square('pool_size', 'pools', 2);
        const strides = r.square('strides', 'strides', poolSize);
        const padding = r.padding();
        if (poolSize === undefined || padding === undefined) return;
        add({
          type: r.className === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d',
          poolSize,
          ...(strides !== undefined && strides !== poolSize ? { strides } : {}),
          padding,
        });
        return;
      }
      case 'GlobalAveragePooling2D':
      case 'GlobalMaxPooling2D': {
        // A pool over the whole (square) image, then flatten: the same numbers, the same parameters.
        r.channelsLast();
        r.only('keepdims', [false], 'KernelLab flattens after a global pool');
        const spatial = spatialBefore(inputShape, mapped);
        if (spatial === null) r.refuse('needs an image input (height, width, channels) before it');
        else if (spatial[0] !== spatial[1])
          r.refuse(`pools a ${spatial[0]}×${spatial[1]} image; KernelLab's pools are square, so only a square image can be pooled whole`);
        else {
          const type = r.className === 'GlobalMaxPooling2D' ? 'maxPool2d' : 'avgPool2d';
          notes.add(
            `${r.where} is a ${spatial[0]}×${spatial[0]} ${type === 'maxPool2d' ? 'max' : 'average'} pool and a flatten: the same output and parameters.`,
          );
          add({ type, poolSize: spatial[0], padding: 'valid' });
          add({ type: 'flatten' });
        }
        return;
      }
      case 'BatchNormalization': {
        r.only('axis', [-1, 3, [-1], [3]], 'KernelLab normalises the last (channel) axis');
        r.only('center', [true], 'KernelLab always learns beta (center=True)');
        r.only('scale', [true], 'KernelLab always learns gamma (scale=True)');
        for (const [key, value] of [
          ['beta_initializer', 'Zeros'],
          ['gamma_initializer', 'Ones'],
          ['moving_mean_initializer', 'Zeros'],
          ['moving_variance_initializer', 'Ones'],
        ] as const) {
          const v = r.config[key];
          const name = isObject(v) ? v.class_name : v;
          if (v !== undefined && name !== value && name !== value.toLowerCase())
            r.refuse(`${key}=${JSON.stringify(name)}: KernelLab starts batch normalisation from Keras' defaults; remove it`);
        }
        for (const key of ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'])
          r.only(key, [null], 'KernelLab does not regularise or constrain batch normalisation; remove it');
        r.only('renorm', [false], 'KernelLab has no batch renormalisation; remove renorm');
        add({
          type: 'batchNorm',
          momentum: float32Decimal(r.number('momentum', 0.99)),
          epsilon: float32Decimal(r.number('epsilon', 1e-3)),
        });
        return;
      }
      case 'Dropout': {
        r.only('noise_shape', [null], 'KernelLab drops single units; remove noise_shape (or use Dropout without it)');
        if (r.config.seed !== undefined && r.config.seed !== null)
          notes.add('Dropout seeds are not carried over: KernelLab draws a fresh seeded mask every step from the run seed.');
        const rate = float32Decimal(r.number('rate'));
        if (rate === 0) notes.add(`${r.where} has rate 0 and drops nothing: left out.`);
        else if (rate > 0 && rate < 1) add({ type: 'dropout', rate });
        else r.refuse(`rate=${rate}: a dropout rate is between 0 and 1`);
        return;
      }
      case 'Flatten':
        r.channelsLast();
        add({ type: 'flatten' });
        return;
      case 'Activation':
      case 'ReLU':
      case 'ELU':
      case 'Softmax': {
        if (index > outputIndex && outputIndex !== -1) return; // the output's softmax, or refused above as after the output
        let activation: Activation | 'softmax' | undefined;
        if (r.className === 'Activation') activation = r.activation();
        else if (r.className === 'ReLU') {
          const maxValue = r.config.max_value ?? null;
          r.only('negative_slope', [0, 0.0], "KernelLab has no leaky relu; use Activation('relu') or 'elu'");
          r.only('threshold', [0, 0.0], 'KernelLab has no thresholded relu; use ReLU()');
          if (maxValue === null) activation = 'relu';
          else if (maxValue === 6) activation = 'relu6';
          else r.refuse(`max_value=${JSON.stringify(maxValue)}: KernelLab caps relu at 6 (relu6) or not at all`);
        } else if (r.className === 'ELU') {
          r.only('alpha', [1, 1.0], 'KernelLab trains elu with alpha 1');
          activation = 'elu';
        } else activation = 'softmax';
        if (activation === 'softmax') r.refuse('softmax inside the network: KernelLab applies softmax at the output only');
        else if (activation !== undefined) add({ type: 'activation', activation });
        return;
      }
      case 'Dense': {
        const fields = weightFields(r, notes);
        const units = r.number('units');
        const activation = r.activation();
        if (index === outputIndex) {
          const logits = activation === 'linear' && !softmaxAfter;
          if (activation !== 'softmax' && activation !== 'linear' && activation !== undefined)
            r.refuse(
              `the output has activation '${activation}'; KernelLab's classifier ends in softmax over the classes (activation='softmax')`,
            );
          else if (activation === 'softmax' && softmaxAfter) r.refuse('is followed by a second softmax');
          if (!(units >= 2))
            r.refuse(`has ${units} unit; KernelLab trains classifiers with a softmax over 2 or more classes (one unit per class)`);
          output = { from: r.where, units, fields, logits };
          return;
        }
        if (activation === 'softmax') {
          r.refuse("activation='softmax' inside the network: KernelLab applies softmax at the output only");
          return;
        }
        if (activation !== undefined) add({ type: 'dense', units, activation, ...fields });
        return;
      }
      default: {
        const advice =
          adviceFor[r.className] ?? (augmentation.test(r.className) ? 'KernelLab trains without data augmentation; remove it' : undefined);
        r.refuse(
          advice ??
            `KernelLab cannot train a ${r.className}; it trains Conv2D, MaxPooling2D, AveragePooling2D, GlobalAverage/MaxPooling2D, Dense, Dropout, BatchNormalization, Flatten and Activation — remove it or replace it with one of those`,
        );
      }
    }
  });

  let shape: [number, number, number] | null = null;
  const rawShape = inputShape as number[] | null;
  if (rawShape === null)
    problems.add(
      'model',
      'has no input shape (no InputLayer, no input_shape on its first layer); build the model on an input before saving',
    );
  else if (rawShape.length === 2 && rawShape.every((n) => Number.isInteger(n) && n > 0)) {
    shape = [rawShape[0]!, rawShape[1]!, 1];
    notes.add(`Input (${rawShape.join(', ')}) taken as (${rawShape.join(', ')}, 1): one channel.`);
  } else if (rawShape.length !== 3 || !rawShape.every((n) => Number.isInteger(n) && n > 0))
    problems.add(
      'model',
      `input shape (${rawShape.map((n) => (n === null ? 'None' : n)).join(', ')}) is not an image (height, width, channels); KernelLab trains on images`,
    );
  else shape = rawShape as [number, number, number];
  return { inputShape: shape, mapped, output };
}

/** Height and width reaching the next layer, from the layers mapped so far. */
function spatialBefore(inputShape: number[] | null, mapped: Mapped[]): [number, number] | null {
  if (inputShape === null || inputShape.length !== 3) return null;
  try {
    const summary = inferShapes(
      ModelSpec.parse({ inputShape, numClasses: 2, layers: [...mapped.map((m) => m.layer), { type: 'flatten' }] }),
    );
    const shape = mapped.length === 0 ? inputShape : summary.rows[mapped.length - 1]!.outputShape;
    return shape.length === 3 ? [shape[0]!, shape[1]!] : null;
  } catch {
    return null;
  }
}

/** The loss and optimizer of a compile_config as hyperparameters. */
function compileSettings(compile: Json, problems: Problems, notes: Set<string>, logits: boolean): CompiledSettings {
  const settings: Record<string, unknown> = {};
  // The loss: the cross-entropy KernelLab trains, on probabilities or (from_logits) on a linear output.
  const loss = compile.loss;
  const lossName = typeof loss === 'string' ? loss : isObject(loss) && typeof loss.class_name === 'string' ? loss.class_name : null;
  const lossConfig = isObject(loss) && isObject(loss.config) ? loss.config : {};
  const crossEntropy = [
    'sparse_categorical_crossentropy',
    'categorical_crossentropy',
    'SparseCategoricalCrossentropy',
    'CategoricalCrossentropy',
  ];
  if (lossName === null || !crossEntropy.includes(lossName))
    problems.add(
      'compile',
      `loss ${JSON.stringify(lossName ?? loss)}: KernelLab trains with categorical cross-entropy (sparse_categorical_crossentropy or categorical_crossentropy)`,
    );
  else {
    const fromLogits = lossConfig.from_logits === true;
    if (typeof lossConfig.label_smoothing === 'number' && lossConfig.label_smoothing !== 0)
      problems.add('compile', `label_smoothing=${lossConfig.label_smoothing}: KernelLab trains on hard labels; remove label smoothing`);
    if (lossConfig.ignore_class !== undefined && lossConfig.ignore_class !== null)
      problems.add('compile', 'ignore_class: KernelLab counts every class; remove it');
    if (fromLogits && !logits)
      problems.add('compile', 'the loss reads logits (from_logits=True) but the model ends in softmax; remove the softmax or from_logits');
    if (!fromLogits && logits)
      problems.add(
        'compile',
        "the model ends in a linear Dense but the loss reads probabilities; add activation='softmax' to the last Dense or from_logits=True",
      );
  }
  const optimizer = compile.optimizer;
  const className =
    typeof optimizer === 'string'
      ? optimizer
      : isObject(optimizer) && typeof optimizer.class_name === 'string'
        ? optimizer.class_name
        : null;
  const config = isObject(optimizer) && isObject(optimizer.config) ? optimizer.config : {};
  const where = `compile optimizer ${className ?? JSON.stringify(optimizer)}`;
  const num = (key: string): number | undefined => (typeof config[key] === 'number' ? float32Decimal(config[key] as number) : undefined);
  const off = (key: string, allowed: unknown[], advice: string) => {
    if (config[key] !== undefined && !allowed.includes(config[key] as never))
      problems.add(where, `${key}=${JSON.stringify(config[key])}: ${advice}`);
  };
  off('weight_decay', [null, 0], 'KernelLab has no decoupled weight decay (AdamW); use an L2 kernel_regularizer on the layers');
  off('clipnorm', [null], 'KernelLab does not clip gradients; remove clipnorm');
  off('global_clipnorm', [null], 'KernelLab does not clip gradients; remove global_clipnorm');
  off('clipvalue', [null], 'KernelLab does not clip gradients; remove clipvalue');
  off('use_ema', [false], 'KernelLab keeps no moving average of the weights; remove use_ema');
  off('amsgrad', [false], "KernelLab's Adam is without AMSGrad; remove amsgrad");
  off('gradient_accumulation_steps', [null], 'KernelLab applies every batch; remove gradient_accumulation_steps');
  switch ((className ?? '').toLowerCase()) {
    case 'adam':
      Object.assign(settings, { optimizer: 'adam', beta1: num('beta_1'), beta2: num('beta_2'), epsilon: num('epsilon') });
      break;
    case 'rmsprop':
      Object.assign(settings, {
        optimizer: 'rmsprop',
        rho: num('rho'),
        momentum: num('momentum'),
        epsilon: num('epsilon'),
        centered: typeof config.centered === 'boolean' ? config.centered : undefined,
      });
      break;
    case 'sgd': {
      const momentum = num('momentum') ?? 0;
      Object.assign(
        settings,
        momentum > 0 ? { optimizer: 'momentum', momentum, nesterov: config.nesterov === true } : { optimizer: 'sgd' },
      );
      break;
    }
    default:
      problems.add(where, 'KernelLab trains with SGD (with or without momentum), Adam or RMSprop; compile with one of those');
  }
  // The learning rate: a number, or one of Keras' schedules.
  const lr = config.learning_rate ?? config.lr;
  if (typeof lr === 'number') settings.learningRate = float32Decimal(lr);
  else if (isObject(lr)) {
    const schedule = String(lr.class_name);
    const c = isObject(lr.config) ? lr.config : {};
    const n = (k: string) => (typeof c[k] === 'number' ? float32Decimal(c[k] as number) : undefined);
    settings.learningRate = n('initial_learning_rate');
    let lrSchedule: LrScheduleInput | undefined;
    if (schedule === 'ExponentialDecay')
      lrSchedule = { type: 'exponential', decaySteps: n('decay_steps')!, decayRate: n('decay_rate')!, staircase: c.staircase === true };
    else if (schedule === 'CosineDecay') {
      if (c.warmup_target !== undefined && c.warmup_target !== null)
        problems.add('compile learning_rate CosineDecay', 'warmup_target/warmup_steps: KernelLab has no warm-up; remove them');
      lrSchedule = { type: 'cosine', decaySteps: n('decay_steps')!, alpha: n('alpha') ?? 0 };
    } else
      problems.add(
        `compile learning_rate ${schedule}`,
        'KernelLab has exponential and cosine decay per step, a step decay per epoch and ReduceLROnPlateau; use one of those',
      );
    if (lrSchedule) settings.lrSchedule = lrSchedule;
  }
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const parsed = CompiledSettings.safeParse(defined);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.add(`compile ${issue.path.join('.')}`, issue.message);
    return {};
  }
  const described = Object.entries(parsed.data)
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  notes.add(`Compiled with ${className}: ${described}.`);
  return parsed.data;
}

/** Reads a Keras model's JSON; throws a KernelLabError listing every layer or option that cannot be trained. */
export function importKeras(text: string, options: { layersOnly?: boolean } = {}): KerasImportResult {
  const deep = jsonDepthExceededAt(text);
  if (deep !== -1)
    throw new KernelLabError('invalid_input', `the Keras JSON nests too deeply at character ${deep}; it is not a model config`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new KernelLabError('invalid_input', `the Keras file is not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed) || typeof parsed.class_name !== 'string')
    throw new KernelLabError(
      'invalid_input',
      'this JSON is not a Keras model: it has no class_name; give the JSON of model.to_json() or the config.json of a .keras file',
    );
  const problems = new Problems();
  const notes = new Set<string>();
  const { layers, modelClass, name } = layerList(parsed, problems);
  const { inputShape, mapped, output } = mapLayers(layers, problems, notes);
  // An uncompiled Keras 3 model writes compile_config {}.
  const compile = isObject(parsed.compile_config) && parsed.compile_config.optimizer !== undefined ? parsed.compile_config : null;
  let hyperparameters: CompiledSettings = {};
  if (compile && !options.layersOnly) hyperparameters = compileSettings(compile, problems, notes, output?.logits ?? false);
  else if (!compile)
    notes.add('No compile settings in the file (Keras 2 writes none, nor an uncompiled model): the optimizer is yours to choose.');
  if (output?.logits && (!compile || options.layersOnly))
    notes.add(`${output.from} outputs logits: KernelLab trains softmax with cross-entropy over them, as from_logits=True does.`);
  if (problems.list.length > 0)
    throw new KernelLabError(
      'invalid_input',
      `KernelLab cannot train this Keras model as it is: ${problems.list.join('; ')}`,
      problems.list,
    );
  const specInput: ModelSpecInput = {
    name: name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100) || 'keras_model',
    inputShape: inputShape!,
    numClasses: output!.units,
    layers: mapped.map((m) => m.layer),
    output: output!.fields,
  };
  const spec = ModelSpec.safeParse(specInput);
  if (!spec.success)
    throw new KernelLabError(
      'invalid_input',
      `the Keras model maps to an invalid spec: ${spec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  // Shapes as Keras would compute them; an impossible layer is refused with its numbers.
  inferShapes(spec.data);
  const version =
    typeof parsed.keras_version === 'string'
      ? `Keras ${parsed.keras_version}`
      : Object.hasOwn(parsed, 'registered_name')
        ? 'Keras 3'
        : 'Keras';
  return { spec: spec.data, hyperparameters, notes: [...notes], source: `${version} ${modelClass} '${name}'` };
}
