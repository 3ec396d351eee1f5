/**
 * Keras layers as KernelLab layers (kerasImport.ts): one mapper per Keras class, each refusing in
 * words what KernelLab cannot train; the input shape and the classifier's output found on the way.
 */
import { coreText } from '../../contract/coreText.ts';
import { ModelSpec, type Activation, type LayerSpecInput } from '../../contract/training.ts';
import { inferShapes } from '../shapeInference.ts';
import {
  fileText,
  float32Decimal,
  isObject,
  LayerReader,
  type LayerCode,
  type Notes,
  type Problems,
  shown,
  weightFields,
  type Json,
} from './kerasReader.ts';

/** A layer as KernelLab will train it, or a pending piece of the input (shape, scaling). */
export interface Mapped {
  layer: LayerSpecInput;
  /** The Keras layer's name and class, for messages. */
  from: string;
}

/** The code of a layer refused whole, whose message is its advice alone. */
type AdviceCode = Extract<LayerCode, `keras_layer_no_${string}`>;

/** What to do instead of a layer class KernelLab has no counterpart for, in English and coded. */
export const adviceFor: Record<string, [string, AdviceCode]> = {
  Conv2DTranspose: [
    'KernelLab trains no transposed convolution (it is for decoders, not classifiers); remove it',
    'keras_layer_no_transposed_conv',
  ],
  SeparableConv2D: ['KernelLab trains no separable convolution; use Conv2D', 'keras_layer_no_separable_conv'],
  DepthwiseConv2D: ['KernelLab trains no depthwise convolution; use Conv2D', 'keras_layer_no_depthwise_conv'],
  LeakyReLU: ["KernelLab has no leaky relu; use Activation('relu') or 'elu'", 'keras_layer_no_leaky_relu'],
  PReLU: ["KernelLab has no learned-slope relu; use Activation('relu') or 'elu'", 'keras_layer_no_prelu'],
  SpatialDropout2D: ['KernelLab drops single units, not whole channels; use Dropout', 'keras_layer_no_spatial_dropout'],
  GaussianDropout: ['KernelLab drops units with a Bernoulli mask; use Dropout', 'keras_layer_no_gaussian_dropout'],
  GaussianNoise: ['KernelLab trains without input noise; remove it', 'keras_layer_no_gaussian_noise'],
  LayerNormalization: ['KernelLab normalises over the batch; use BatchNormalization', 'keras_layer_no_layer_norm'],
  GroupNormalization: ['KernelLab normalises over the batch; use BatchNormalization', 'keras_layer_no_layer_norm'],
  ZeroPadding2D: ["KernelLab pads within a layer; use padding='same' on the next Conv2D or pooling", 'keras_layer_no_zero_padding'],
  Cropping2D: ['KernelLab crops nothing; remove it', 'keras_layer_no_cropping'],
  UpSampling2D: ['KernelLab trains classifiers, which do not upsample; remove it', 'keras_layer_no_upsampling'],
  Lambda: ['a Lambda runs Python code KernelLab cannot read; write it as the layers it computes', 'keras_layer_no_lambda'],
  Add: ['KernelLab trains a chain of layers; a model with branches (residual connections) cannot be expressed', 'keras_layer_no_add'],
  Concatenate: ['KernelLab trains a chain of layers; a model with branches cannot be expressed', 'keras_layer_no_merge'],
  Multiply: ['KernelLab trains a chain of layers; a model with branches cannot be expressed', 'keras_layer_no_merge'],
  Sequential: ["KernelLab trains one flat chain of layers; write the nested model's layers in place", 'keras_layer_no_nested_model'],
  Functional: ["KernelLab trains one flat chain of layers; write the nested model's layers in place", 'keras_layer_no_nested_model'],
};

export const augmentation = /^Random(Flip|Rotation|Zoom|Translation|Crop|Contrast|Brightness|Height|Width)/;

export const inputShapeOf = (config: Json): unknown => config.batch_shape ?? config.batch_input_shape ?? null;

export interface LayersResult {
  inputShape: [number, number, number] | null;
  mapped: Mapped[];
  /** The last Dense, when it is the classifier's output (or followed by a softmax). */
  output: {
    from: string;
    named: LayerReader['named'];
    units: number;
    fields: ReturnType<typeof weightFields>;
    logits: boolean;
  } | null;
}

/** What mapping the layers so far has found: the input's shape, the layers mapped, the output. */
interface MapState {
  inputShape: number[] | null;
  readonly mapped: Mapped[];
  /** Until a layer with weights, the input may still be reshaped or rescaled. */
  atInput: boolean;
  output: LayersResult['output'];
  readonly notes: Notes;
  /** The last Dense: the classifier's output. */
  readonly outputIndex: number;
  /** The output is followed by Activation('softmax') / Softmax. */
  readonly softmaxAfter: boolean;
}

/** Maps one Keras layer (refusing what KernelLab cannot train, in words); `index` is its place in the model. */
type LayerMapper = (r: LayerReader, s: MapState, index: number) => void;

function add(s: MapState, r: LayerReader, layer: LayerSpecInput): void {
  s.mapped.push({ layer, from: r.where });
  s.atInput = false;
}

export function mapLayers(layers: Json[], problems: Problems, notes: Notes): LayersResult {
  const readers = layers.map((layer) => new LayerReader(String(layer.class_name), isObject(layer.config) ? layer.config : {}, problems));
  // The output: the last Dense, optionally followed by Activation('softmax') / Softmax.
  const isSoftmax = (r: LayerReader) => (r.className === 'Activation' && r.config.activation === 'softmax') || r.className === 'Softmax';
  const outputIndex = readers.findLastIndex((r) => r.className === 'Dense');
  const tail = outputIndex === -1 ? [] : readers.slice(outputIndex + 1);
  const softmaxAfter = tail.length === 1 && isSoftmax(tail[0]!);
  if (outputIndex === -1)
    problems.add(
      'model',
      "has no Dense output layer; KernelLab's classifier ends in Dense(classes, activation='softmax')",
      coreText('keras_model_no_dense_output', {}),
    );
  else if (tail.length > 0 && !softmaxAfter)
    tail[0]!.refuse(
      "comes after the last Dense; KernelLab's classifier ends in Dense(classes, activation='softmax')",
      'keras_layer_after_output',
      {},
    );
  const state: MapState = { inputShape: null, mapped: [], atInput: true, output: null, notes, outputIndex, softmaxAfter };
  readers.forEach((r, index) => {
    const layerShape = inputShapeOf(r.config);
    if (layerShape !== null && index === 0 && r.className !== 'InputLayer')
      state.inputShape = Array.isArray(layerShape) ? layerShape.slice(1) : null;
    if (r.className !== 'InputLayer') r.notTrainable();
    (layerMappers.get(r.className) ?? mapUnknown)(r, state, index);
  });
  return { inputShape: imageShape(state.inputShape, problems, notes), mapped: state.mapped, output: state.output };
}

/** The input shape as an image (height, width, channels); a 2-D input is one channel. Null, with a problem, otherwise. */
function imageShape(raw: number[] | null, problems: Problems, notes: Notes): [number, number, number] | null {
  let shape: [number, number, number] | null = null;
  if (raw === null)
    problems.add(
      'model',
      'has no input shape (no InputLayer, no input_shape on its first layer); build the model on an input before saving',
      coreText('keras_model_no_input_shape', {}),
    );
  else if (raw.length === 2 && raw.every((n) => Number.isInteger(n) && n > 0)) {
    shape = [raw[0]!, raw[1]!, 1];
    notes.add(
      `Input (${raw.join(', ')}) taken as (${raw.join(', ')}, 1): one channel.`,
      coreText('keras_note_one_channel', { shape: raw.join(', ') }),
    );
  } else if (raw.length !== 3 || !raw.every((n) => Number.isInteger(n) && n > 0)) {
    const dims = raw.map((n) => (n === null ? 'None' : n)).join(', ');
    problems.add(
      'model',
      `input shape (${dims}) is not an image (height, width, channels); KernelLab trains on images`,
      fileText('keras_model_input_not_image', { shape: dims }),
    );
  } else shape = raw as [number, number, number];
  return shape;
}

function mapInputLayer(r: LayerReader, s: MapState): void {
  const shape = inputShapeOf(r.config);
  if (!Array.isArray(shape)) r.refuse('has no batch_shape', 'keras_layer_no_batch_shape', {});
  else s.inputShape = shape.slice(1) as number[];
}

function mapReshape(r: LayerReader, s: MapState): void {
  const target = r.config.target_shape;
  if (s.atInput && Array.isArray(target) && target.length === 3) {
    s.inputShape = target as number[];
    s.notes.add(
      `Reshape to (${target.join(', ')}) taken as the input shape: KernelLab feeds images of that shape.`,
      fileText('keras_note_reshape_input', { shape: target.join(', ') }),
    );
  } else
    r.refuse(
      'KernelLab reshapes only the input into an image (height, width, channels) before the first layer; remove it',
      'keras_layer_reshape',
      {},
    );
}

function mapRescaling(r: LayerReader, s: MapState): void {
  const scale = r.config.scale;
  const offset = r.config.offset ?? 0;
  if (s.atInput && typeof scale === 'number' && Math.abs(scale * 255 - 1) < 1e-6 && offset === 0)
    s.notes.add('Rescaling(1/255) dropped: KernelLab already feeds pixels / 255.', coreText('keras_note_rescaling_dropped', {}));
  else
    r.refuse(
      `scale=${JSON.stringify(scale)}, offset=${JSON.stringify(offset)}: KernelLab feeds pixels / 255 (in [0, 1]) and can drop only a Rescaling(1/255) at the input; remove it`,
      'keras_layer_rescaling',
      { scale: shown(scale), offset: shown(offset) },
    );
}

function mapConv2D(r: LayerReader, s: MapState): void {
  r.channelsLast();
  r.only('dilation_rate', [1, [1, 1]], 'KernelLab trains undilated convolutions; remove dilation_rate', 'keras_layer_option_dilation');
  r.only('groups', [1], 'KernelLab trains ungrouped convolutions; remove groups', 'keras_layer_option_groups');
  const kernelSize = r.square('kernel_size', 'kernels');
  const strides = r.square('strides', 'strides', 1);
  const padding = r.padding();
  const activation = r.activation();
  if (activation === 'softmax')
    r.refuse("activation='softmax' inside the network: KernelLab applies softmax at the output only", 'keras_layer_softmax_activation', {});
  const fields = weightFields(r, s.notes);
  const filters = r.number('filters');
  if (kernelSize === undefined || strides === undefined || padding === undefined || activation === undefined || activation === 'softmax')
    return;
  add(s, r, { type: 'conv2d', filters, kernelSize, strides, padding, activation, ...fields });
}

function mapPooling(r: LayerReader, s: MapState): void {
  r.channelsLast();
  const poolSize = r.square('pool_size', 'pools', 2);
  const strides = r.square('strides', 'strides', poolSize);
  const padding = r.padding();
  if (poolSize === undefined || padding === undefined) return;
  add(s, r, {
    type: r.className === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d',
    poolSize,
    ...(strides !== undefined && strides !== poolSize ? { strides } : {}),
    padding,
  });
}

function mapGlobalPooling(r: LayerReader, s: MapState): void {
  // A pool over the whole (square) image, then flatten: the same numbers, the same parameters.
  r.channelsLast();
  r.only('keepdims', [false], 'KernelLab flattens after a global pool', 'keras_layer_option_keepdims');
  const spatial = spatialBefore(s.inputShape, s.mapped);
  if (spatial === null) r.refuse('needs an image input (height, width, channels) before it', 'keras_layer_global_pool_no_image', {});
  else if (spatial[0] !== spatial[1])
    r.refuse(
      `pools a ${spatial[0]}×${spatial[1]} image; KernelLab's pools are square, so only a square image can be pooled whole`,
      'keras_layer_global_pool_not_square',
      { height: String(spatial[0]), width: String(spatial[1]) },
    );
  else {
    const type = r.className === 'GlobalMaxPooling2D' ? 'maxPool2d' : 'avgPool2d';
    s.notes.add(
      `${r.where} is a ${spatial[0]}×${spatial[0]} ${type === 'maxPool2d' ? 'max' : 'average'} pool and a flatten: the same output and parameters.`,
      coreText(type === 'maxPool2d' ? 'keras_note_global_max_pool' : 'keras_note_global_average_pool', {
        ...r.named,
        size: String(spatial[0]),
      }),
    );
    add(s, r, { type, poolSize: spatial[0], padding: 'valid' });
    add(s, r, { type: 'flatten' });
  }
}

function mapBatchNorm(r: LayerReader, s: MapState): void {
  r.only('axis', [-1, 3, [-1], [3]], 'KernelLab normalises the last (channel) axis', 'keras_layer_option_axis');
  r.only('center', [true], 'KernelLab always learns beta (center=True)', 'keras_layer_option_center');
  r.only('scale', [true], 'KernelLab always learns gamma (scale=True)', 'keras_layer_option_scale');
  for (const [key, value] of [
    ['beta_initializer', 'Zeros'],
    ['gamma_initializer', 'Ones'],
    ['moving_mean_initializer', 'Zeros'],
    ['moving_variance_initializer', 'Ones'],
  ] as const) {
    const v = r.config[key];
    const name = isObject(v) ? v.class_name : v;
    if (v !== undefined && name !== value && name !== value.toLowerCase())
      r.refuse(
        `${key}=${JSON.stringify(name)}: KernelLab starts batch normalisation from Keras' defaults; remove it`,
        'keras_layer_batch_norm_initializer',
        { key, value: shown(name) },
      );
  }
  for (const key of ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'])
    r.only(key, [null], 'KernelLab does not regularise or constrain batch normalisation; remove it', 'keras_layer_option_batch_norm_extra');
  r.only('renorm', [false], 'KernelLab has no batch renormalisation; remove renorm', 'keras_layer_option_renorm');
  add(s, r, {
    type: 'batchNorm',
    momentum: float32Decimal(r.number('momentum', 0.99)),
    epsilon: float32Decimal(r.number('epsilon', 1e-3)),
  });
}

function mapDropout(r: LayerReader, s: MapState): void {
  r.only(
    'noise_shape',
    [null],
    'KernelLab drops single units; remove noise_shape (or use Dropout without it)',
    'keras_layer_option_noise_shape',
  );
  if (r.config.seed !== undefined && r.config.seed !== null)
    s.notes.add(
      'Dropout seeds are not carried over: KernelLab draws a fresh seeded mask every step from the run seed.',
      coreText('keras_note_dropout_seed', {}),
    );
  const rate = float32Decimal(r.number('rate'));
  if (rate === 0) s.notes.add(`${r.where} has rate 0 and drops nothing: left out.`, coreText('keras_note_dropout_zero', r.named));
  else if (rate > 0 && rate < 1) add(s, r, { type: 'dropout', rate });
  else r.refuse(`rate=${rate}: a dropout rate is between 0 and 1`, 'keras_layer_dropout_rate', { rate: String(rate) });
}

function mapFlatten(r: LayerReader, s: MapState): void {
  r.channelsLast();
  add(s, r, { type: 'flatten' });
}

function mapActivation(r: LayerReader, s: MapState, index: number): void {
  if (index > s.outputIndex && s.outputIndex !== -1) return; // the output's softmax, or refused above as after the output
  let activation: Activation | 'softmax' | undefined;
  if (r.className === 'Activation') activation = r.activation();
  else if (r.className === 'ReLU') {
    const maxValue = r.config.max_value ?? null;
    r.only('negative_slope', [0, 0.0], "KernelLab has no leaky relu; use Activation('relu') or 'elu'", 'keras_layer_option_negative_slope');
    r.only('threshold', [0, 0.0], 'KernelLab has no thresholded relu; use ReLU()', 'keras_layer_option_threshold');
    if (maxValue === null) activation = 'relu';
    else if (maxValue === 6) activation = 'relu6';
    else
      r.refuse(`max_value=${JSON.stringify(maxValue)}: KernelLab caps relu at 6 (relu6) or not at all`, 'keras_layer_relu_max_value', {
        value: shown(maxValue),
      });
  } else if (r.className === 'ELU') {
    r.only('alpha', [1, 1.0], 'KernelLab trains elu with alpha 1', 'keras_layer_option_elu_alpha');
    activation = 'elu';
  } else activation = 'softmax';
  if (activation === 'softmax')
    r.refuse('softmax inside the network: KernelLab applies softmax at the output only', 'keras_layer_softmax_inside', {});
  else if (activation !== undefined) add(s, r, { type: 'activation', activation });
}

function mapDense(r: LayerReader, s: MapState, index: number): void {
  const fields = weightFields(r, s.notes);
  const units = r.number('units');
  const activation = r.activation();
  if (index === s.outputIndex) {
    const logits = activation === 'linear' && !s.softmaxAfter;
    if (activation !== 'softmax' && activation !== 'linear' && activation !== undefined)
      r.refuse(
        `the output has activation '${activation}'; KernelLab's classifier ends in softmax over the classes (activation='softmax')`,
        'keras_layer_output_activation',
        { activation },
      );
    else if (activation === 'softmax' && s.softmaxAfter) r.refuse('is followed by a second softmax', 'keras_layer_second_softmax', {});
    if (!(units >= 2))
      r.refuse(
        `has ${units} unit; KernelLab trains classifiers with a softmax over 2 or more classes (one unit per class)`,
        'keras_layer_output_units',
        { units: String(units) },
      );
    s.output = { from: r.where, named: r.named, units, fields, logits };
    return;
  }
  if (activation === 'softmax') {
    r.refuse("activation='softmax' inside the network: KernelLab applies softmax at the output only", 'keras_layer_softmax_activation', {});
    return;
  }
  if (activation !== undefined) add(s, r, { type: 'dense', units, activation, ...fields });
}

function mapUnknown(r: LayerReader): void {
  // Own keys only: a layer named 'constructor' or 'toString' is unknown, not Object's.
  const advice: [string, AdviceCode] | undefined =
    (Object.hasOwn(adviceFor, r.className) ? adviceFor[r.className] : undefined) ??
    (augmentation.test(r.className) ? ['KernelLab trains without data augmentation; remove it', 'keras_layer_no_augmentation'] : undefined);
  if (advice) r.refuse(advice[0], advice[1], {});
  else
    r.refuse(
      `KernelLab cannot train a ${r.className}; it trains Conv2D, MaxPooling2D, AveragePooling2D, GlobalAverage/MaxPooling2D, Dense, Dropout, BatchNormalization, Flatten and Activation — remove it or replace it with one of those`,
      'keras_layer_unknown',
      {},
    );
}

const layerMappers = new Map<string, LayerMapper>([
  ['InputLayer', mapInputLayer],
  ['Reshape', mapReshape],
  ['Rescaling', mapRescaling],
  ['Conv2D', mapConv2D],
  ['MaxPooling2D', mapPooling],
  ['AveragePooling2D', mapPooling],
  ['GlobalAveragePooling2D', mapGlobalPooling],
  ['GlobalMaxPooling2D', mapGlobalPooling],
  ['BatchNormalization', mapBatchNorm],
  ['Dropout', mapDropout],
  ['Flatten', mapFlatten],
  ['Activation', mapActivation],
  ['ReLU', mapActivation],
  ['ELU', mapActivation],
  ['Softmax', mapActivation],
  ['Dense', mapDense],
]);

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
