/**
 * Training's part of the contract: what a network is (the model spec: input shape, layers,
 * classes), how it trains (hyperparameters), the built-in presets, and the per-layer summary
 * (shapes, parameters, FLOPs) computed before training.
 */
import { z } from 'zod';
import { BackendName } from './app.ts';
import { method } from './define.ts';

/**
 * A model spec is plain JSON: the input shape, a list of layers and the number of classes. The
 * builder appends the softmax output (dense sized to the classes), so a spec never hard-codes it.
 */
const PositiveInt = z.number().int().positive();

export const Activation = z.enum(['relu', 'swish', 'sigmoid', 'tanh', 'elu', 'linear']);
export type Activation = z.infer<typeof Activation>;
export const Padding = z.enum(['same', 'valid']);
export type Padding = z.infer<typeof Padding>;

const Conv2dLayer = z
  .object({
    type: z.literal('conv2d'),
    filters: PositiveInt,
    kernelSize: PositiveInt,
    strides: PositiveInt.default(1),
    padding: Padding.default('valid'),
    activation: Activation.default('relu'),
  })
  .strict();

const poolFields = {
  poolSize: PositiveInt.default(2),
  /** Defaults to poolSize, as in Keras. */
  strides: PositiveInt.optional(),
  padding: Padding.default('valid'),
};
const MaxPool2dLayer = z.object({ type: z.literal('maxPool2d'), ...poolFields }).strict();
const AvgPool2dLayer = z.object({ type: z.literal('avgPool2d'), ...poolFields }).strict();

const BatchNormLayer = z
  .object({ type: z.literal('batchNorm'), momentum: z.number().gt(0).lt(1).default(0.99), epsilon: z.number().positive().default(1e-3) })
  .strict();

const DropoutLayer = z.object({ type: z.literal('dropout'), rate: z.number().gt(0).lt(1) }).strict();

/** Local response normalisation as in AlexNet; defaults are tf.localResponseNormalization's. */
const LrnLayer = z
  .object({
    type: z.literal('lrn'),
    depthRadius: z.number().int().nonnegative().default(5),
    bias: z.number().default(1),
    alpha: z.number().default(1),
    beta: z.number().default(0.5),
  })
  .strict();

const FlattenLayer = z.object({ type: z.literal('flatten') }).strict();

const DenseLayer = z.object({ type: z.literal('dense'), units: PositiveInt, activation: Activation.default('relu') }).strict();

export const LayerSpec = z.discriminatedUnion('type', [
  Conv2dLayer,
  MaxPool2dLayer,
  AvgPool2dLayer,
  BatchNormLayer,
  DropoutLayer,
  LrnLayer,
  FlattenLayer,
  DenseLayer,
]);
export type LayerSpec = z.output<typeof LayerSpec>;
export type LayerSpecInput = z.input<typeof LayerSpec>;

export const ModelSpec = z
  .object({
    name: z.string().min(1).default('model'),
    /** [height, width, channels] of one image (NHWC without N). */
    inputShape: z.tuple([PositiveInt, PositiveInt, PositiveInt]),
    numClasses: z.number().int().min(2),
    layers: z.array(LayerSpec),
  })
  .strict();
export type ModelSpec = z.output<typeof ModelSpec>;
export type ModelSpecInput = z.input<typeof ModelSpec>;

export const OptimizerName = z.enum(['sgd', 'momentum', 'adam', 'rmsprop']);
export type OptimizerName = z.infer<typeof OptimizerName>;

export const MonitoredMetric = z.enum(['val_loss', 'val_accuracy', 'loss', 'accuracy']);
export type MonitoredMetric = z.infer<typeof MonitoredMetric>;

/** Keras' EarlyStopping: stop after `patience` epochs without an improvement larger than minDelta. */
export const EarlyStopping = z
  .object({
    monitor: MonitoredMetric.default('val_loss'),
    patience: z.number().int().nonnegative().default(3),
    minDelta: z.number().nonnegative().default(0),
    restoreBestWeights: z.boolean().default(false),
  })
  .strict();
export type EarlyStopping = z.output<typeof EarlyStopping>;

export const Hyperparameters = z
  .object({
    epochs: PositiveInt,
    batchSize: PositiveInt.default(32),
    optimizer: OptimizerName.default('adam'),
    learningRate: z.number().positive(),
    /** Used by the momentum optimizer only. */
    momentum: z.number().min(0).lt(1).default(0.9),
    /** Fraction of the training split held out for validation; ignored when validateOn is 'test'. */
    validationSplit: z.number().min(0).lt(1).default(0.1),
    validateOn: z.enum(['split', 'test']).default('split'),
    earlyStopping: EarlyStopping.optional(),
    /** Monitored metric for the "best" checkpoint when early stopping is off. */
    checkpointMonitor: MonitoredMetric.default('val_loss'),
    seed: z.number().int().nonnegative().default(42),
    backend: BackendName.optional(),
  })
  .strict();
export type Hyperparameters = z.output<typeof Hyperparameters>;
export type HyperparametersInput = z.input<typeof Hyperparameters>;

/** The built-in networks (their layers and hyperparameters live in core/models/presets.ts). */
export const PresetId = z.enum(['lenet5-swish', 'lenet5-relu', 'mnist-two-conv', 'fashion-bn-dropout', 'alexnet-28']);
export type PresetId = z.infer<typeof PresetId>;

/**
 * Where one unit of a layer's output looks in the input image (models/receptiveField.ts): `size`
 * input pixels wide, units `jump` pixels apart, the first unit's field centred on input
 * coordinate `start` (pixel i spans [i, i + 1)). Null from flatten on: a flat unit sees everything.
 */
export const ReceptiveField = z.object({ size: z.number().int(), jump: z.number().int(), start: z.number() });
export type ReceptiveField = z.infer<typeof ReceptiveField>;

export const LayerRow = z.object({
  index: z.number().int(),
  type: z.string(),
  outputShape: z.array(z.number().int()),
  params: z.number().int(),
  trainableParams: z.number().int(),
  flops: z.number(),
  receptiveField: ReceptiveField.nullable(),
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
      'Per-layer output shape, parameters, FLOPs and receptive field of a model spec, without training; refuses impossible specs with the layer and formula.',
  }),
};

export const trainingEvents = {};
