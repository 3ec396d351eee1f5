/**
 * Training's part of the contract: what a network is (the model spec: input shape, layers,
 * classes), how it trains (hyperparameters), the built-in presets, and the per-layer summary
 * (shapes, parameters, FLOPs) computed before training.
 */
import { z } from 'zod';
import { RunBackend } from './app.ts';
import { CoreText } from './coreText.ts';
import { method } from './define.ts';

/**
 * A model spec is plain JSON: the input shape, a list of layers and the number of classes. The
 * builder appends the softmax output (dense sized to the classes), so a spec never hard-codes it.
 */
const PositiveInt = z.number().int().positive();

/** Keras' activations that tfjs computes the same way (`swish` is Keras 3's `silu`). */
export const Activation = z.enum(['relu', 'swish', 'sigmoid', 'tanh', 'elu', 'selu', 'softplus', 'softsign', 'relu6', 'linear']);
export type Activation = z.infer<typeof Activation>;
export const Padding = z.enum(['same', 'valid']);
export type Padding = z.infer<typeof Padding>;

/**
 * Keras' weight initialisers, by Keras' names and with Keras' defaults and formulas (fans as
 * Keras computes them; the *_normal variance-scaling ones draw from a normal truncated at two
 * standard deviations, scaled so the drawn values have the intended deviation). Every draw is
 * seeded from the run seed and the layer, never with seed 0 (tfjs' "unseeded").
 */
export const VarianceScalingName = z.enum(['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_uniform', 'lecun_normal']);
export type VarianceScalingName = z.infer<typeof VarianceScalingName>;
const InitializerObject = z.discriminatedUnion('type', [
  z.object({ type: z.literal('glorot_uniform') }).strict(),
  z.object({ type: z.literal('glorot_normal') }).strict(),
  z.object({ type: z.literal('he_uniform') }).strict(),
  z.object({ type: z.literal('he_normal') }).strict(),
  z.object({ type: z.literal('lecun_uniform') }).strict(),
  z.object({ type: z.literal('lecun_normal') }).strict(),
  z
    .object({
      type: z.literal('variance_scaling'),
      scale: z.number().positive().default(1),
      mode: z.enum(['fan_in', 'fan_out', 'fan_avg']).default('fan_in'),
      distribution: z.enum(['truncated_normal', 'untruncated_normal', 'uniform']).default('truncated_normal'),
    })
    .strict(),
  z.object({ type: z.literal('random_normal'), mean: z.number().default(0), stddev: z.number().positive().default(0.05) }).strict(),
  /** Redrawn beyond two standard deviations (tf.truncated_normal): the drawn values' deviation is about 0.88 · stddev. */
  z.object({ type: z.literal('truncated_normal'), mean: z.number().default(0), stddev: z.number().positive().default(0.05) }).strict(),
  z
    .object({ type: z.literal('random_uniform'), minval: z.number().default(-0.05), maxval: z.number().default(0.05) })
    .strict()
    .refine((u) => u.minval < u.maxval, { message: 'minval must be below maxval', path: ['maxval'] }),
  z.object({ type: z.literal('zeros') }).strict(),
  z.object({ type: z.literal('ones') }).strict(),
  z.object({ type: z.literal('constant'), value: z.number().default(0) }).strict(),
]);
export const InitializerName = z.enum([
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'lecun_uniform',
  'lecun_normal',
  'variance_scaling',
  'random_normal',
  'truncated_normal',
  'random_uniform',
  'zeros',
  'ones',
  'constant',
]);
export type InitializerName = z.infer<typeof InitializerName>;
/** An initialiser object, or its name alone for its defaults (`he_normal`, `zeros`). */
export const Initializer = z.union([InitializerName.transform((type) => InitializerObject.parse({ type })), InitializerObject]);
export type Initializer = z.output<typeof Initializer>;
export type InitializerInput = z.input<typeof Initializer>;

/** Keras' L1L2: l1 · Σ|w| + l2 · Σw² added to the loss (training and evaluation, as Keras reports it). */
export const Regularizer = z.object({ l1: z.number().min(0).default(0), l2: z.number().min(0).default(0) }).strict();
export type Regularizer = z.output<typeof Regularizer>;

/** What a layer with weights (conv2d, dense, the output) draws its weights from and adds to the loss. */
const weightFields = {
  kernelInitializer: Initializer.default({ type: 'glorot_uniform' }),
  biasInitializer: Initializer.default({ type: 'zeros' }),
  useBias: z.boolean().default(true),
  kernelRegularizer: Regularizer.optional(),
  biasRegularizer: Regularizer.optional(),
};

const Conv2dLayer = z
  .object({
    type: z.literal('conv2d'),
    filters: PositiveInt,
    kernelSize: PositiveInt,
    strides: PositiveInt.default(1),
    padding: Padding.default('valid'),
    activation: Activation.default('relu'),
    ...weightFields,
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

const DenseLayer = z
  .object({ type: z.literal('dense'), units: PositiveInt, activation: Activation.default('relu'), ...weightFields })
  .strict();

/** Keras' Activation layer: an activation of its own (after a batchNorm, say). */
const ActivationLayer = z.object({ type: z.literal('activation'), activation: Activation }).strict();

export const LayerSpec = z.discriminatedUnion('type', [
  Conv2dLayer,
  MaxPool2dLayer,
  AvgPool2dLayer,
  BatchNormLayer,
  DropoutLayer,
  LrnLayer,
  FlattenLayer,
  DenseLayer,
  ActivationLayer,
]);
export type LayerSpec = z.output<typeof LayerSpec>;
export type LayerSpecInput = z.input<typeof LayerSpec>;

export const ModelSpec = z
  .object({
    name: z.string().min(1).default('model'),
    /** [height, width, channels] of one image (NHWC without N). */
    inputShape: z.tuple([PositiveInt, PositiveInt, PositiveInt]),
    numClasses: z.number().int().min(2),
    /** Bounded: 10,000 layers were accepted and the worker died building them ("Maximum call stack size exceeded"). */
    layers: z.array(LayerSpec).max(1000, 'at most 1,000 layers'),
    /** The softmax output the builder appends (a dense layer of numClasses units): its weights' initialisers and regularisers. */
    output: z
      .object(weightFields)
      .strict()
      .default({ kernelInitializer: { type: 'glorot_uniform' }, biasInitializer: { type: 'zeros' }, useBias: true }),
  })
  .strict();
export type ModelSpec = z.output<typeof ModelSpec>;
export type ModelSpecInput = z.input<typeof ModelSpec>;

export const OptimizerName = z.enum(['sgd', 'momentum', 'adam', 'rmsprop']);
export type OptimizerName = z.infer<typeof OptimizerName>;

export const MonitoredMetric = z.enum(['val_loss', 'val_accuracy', 'loss', 'accuracy']);
export type MonitoredMetric = z.infer<typeof MonitoredMetric>;

/** Keras' monitor mode: 'auto' takes min for a loss, max for an accuracy. */
export const MonitorMode = z.enum(['auto', 'min', 'max']);
export type MonitorMode = z.infer<typeof MonitorMode>;

/** Whether a larger value of the monitored metric is better, as Keras decides it. */
export function monitorIncreases(monitor: MonitoredMetric, mode: MonitorMode): boolean {
  return mode === 'auto' ? monitor === 'accuracy' || monitor === 'val_accuracy' : mode === 'max';
}

/**
 * Keras' EarlyStopping, every option with Keras' default: stop when `patience` epochs passed
 * without an improvement larger than minDelta (never after the first epoch); epochs up to
 * startFromEpoch are not watched; with a baseline, an improvement that does not beat it does not
 * reset the wait; restoreBestWeights puts the best epoch's weights back at the end of training.
 */
export const EarlyStopping = z
  .object({
    monitor: MonitoredMetric.default('val_loss'),
    patience: z.number().int().nonnegative().default(0),
    minDelta: z.number().nonnegative().default(0),
    mode: MonitorMode.default('auto'),
    baseline: z.number().nullable().default(null),
    restoreBestWeights: z.boolean().default(false),
    startFromEpoch: z.number().int().nonnegative().default(0),
  })
  .strict();
export type EarlyStopping = z.output<typeof EarlyStopping>;
export type EarlyStoppingInput = z.input<typeof EarlyStopping>;

/**
 * How the learning rate moves during training. `step` multiplies it by `factor` every `everyEpochs`
 * epochs (a LearningRateScheduler step decay); `exponential` and `cosine` are Keras'
 * ExponentialDecay and CosineDecay, evaluated at every optimizer step as Keras does; `plateau` is
 * Keras' ReduceLROnPlateau callback, evaluated after every epoch.
 */
export const LrSchedule = z.discriminatedUnion('type', [
  z.object({ type: z.literal('step'), everyEpochs: PositiveInt, factor: z.number().gt(0).lt(1).default(0.1) }).strict(),
  z
    .object({
      type: z.literal('exponential'),
      decaySteps: PositiveInt,
      decayRate: z.number().positive(),
      staircase: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal('cosine'), decaySteps: PositiveInt, alpha: z.number().min(0).max(1).default(0) }).strict(),
  z
    .object({
      type: z.literal('plateau'),
      monitor: MonitoredMetric.default('val_loss'),
      factor: z.number().gt(0).lt(1).default(0.1),
      patience: z.number().int().nonnegative().default(10),
      minDelta: z.number().nonnegative().default(1e-4),
      mode: MonitorMode.default('auto'),
      cooldown: z.number().int().nonnegative().default(0),
      minLr: z.number().nonnegative().default(0),
    })
    .strict(),
]);
export type LrSchedule = z.output<typeof LrSchedule>;
export type LrScheduleInput = z.input<typeof LrSchedule>;

/**
 * Where the validation images come from: `stratified` holds out a seeded random fraction of each
 * class; `tail` holds out the last fraction of the training images as they are stored, before any
 * shuffling — Keras' `validation_split`.
 */
export const ValidationSplitMode = z.enum(['stratified', 'tail']);
export type ValidationSplitMode = z.infer<typeof ValidationSplitMode>;

export const Hyperparameters = z
  .object({
    epochs: PositiveInt,
    batchSize: PositiveInt.default(32),
    optimizer: OptimizerName.default('adam'),
    learningRate: z.number().positive(),
    /**
     * SGD's momentum for the momentum optimizer (default 0.9), RMSprop's for rmsprop (default 0,
     * Keras'). Unset, it takes the optimizer's default: see optimizerSettings.
     */
    momentum: z.number().min(0).lt(1).optional(),
    /** Nesterov momentum (momentum optimizer). */
    nesterov: z.boolean().default(false),
    /** Adam's decay rates and Adam's and RMSprop's epsilon; Keras' defaults (TF-1's Adam used epsilon 1e-8). */
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    epsilon: z.number().positive().default(1e-7),
    /** RMSprop's decay rate of the mean square, and whether it also subtracts the mean gradient. */
    rho: z.number().min(0).lt(1).default(0.9),
    centered: z.boolean().default(false),
    lrSchedule: LrSchedule.optional(),
    /** Fraction of the training split held out for validation; ignored when validateOn is 'test'. */
    validationSplit: z.number().min(0).lt(1).default(0.1),
    validationSplitMode: ValidationSplitMode.default('stratified'),
    validateOn: z.enum(['split', 'test']).default('split'),
    /** A fresh seeded order of the training images every epoch (Keras' fit shuffles by default); off: stored order. */
    shuffle: z.boolean().default(true),
    earlyStopping: EarlyStopping.optional(),
    /** Monitored metric for the "best" checkpoint when early stopping is off. */
    checkpointMonitor: MonitoredMetric.default('val_loss'),
    seed: z.number().int().nonnegative().default(42),
    /**
     * Pins the backend. webgpu and webgl train only in a browser GPU host (a page's "Train on this
     * browser's GPU"); worker processes never claim such a run, it waits in the queue for one.
     */
    backend: RunBackend.optional(),
  })
  .strict();
export type Hyperparameters = z.output<typeof Hyperparameters>;
export type HyperparametersInput = z.input<typeof Hyperparameters>;

/** The constants an optimizer takes, each with the value it trains with. */
export type OptimizerSettings =
  | { optimizer: 'sgd' }
  | { optimizer: 'momentum'; momentum: number; nesterov: boolean }
  | { optimizer: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { optimizer: 'rmsprop'; rho: number; momentum: number; epsilon: number; centered: boolean };

/** Every hyperparameter that is an optimizer constant; the ones the chosen optimizer does not take change nothing. */
export const optimizerConstantNames = ['momentum', 'nesterov', 'beta1', 'beta2', 'epsilon', 'rho', 'centered'] as const;

/**
 * The one place that says which constants an optimizer uses and their values (an unset momentum
 * is 0.9 for the momentum optimizer, Keras' 0 for RMSprop): the trainer builds the optimizer from
 * it, a run's params show exactly these.
 */
export function optimizerSettings(hp: Pick<Hyperparameters, 'optimizer' | (typeof optimizerConstantNames)[number]>): OptimizerSettings {
  switch (hp.optimizer) {
    case 'sgd':
      return { optimizer: 'sgd' };
    case 'momentum':
      return { optimizer: 'momentum', momentum: hp.momentum ?? 0.9, nesterov: hp.nesterov };
    case 'adam':
      return { optimizer: 'adam', beta1: hp.beta1, beta2: hp.beta2, epsilon: hp.epsilon };
    case 'rmsprop':
      return { optimizer: 'rmsprop', rho: hp.rho, momentum: hp.momentum ?? 0, epsilon: hp.epsilon, centered: hp.centered };
  }
}

/** The built-in networks (their layers and hyperparameters live in core/models/presets.ts). */
export const PresetId = z.enum([
  'lenet5-swish',
  'lenet5-relu',
  'mnist-two-conv',
  'fashion-bn-dropout',
  'alexnet-28',
  'fashion-keras-tutorial',
  'mnist-tf1-deep',
  'lenet5-cifar10-keras',
]);
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

/**
 * The optimizer settings a Keras model was compiled with, as hyperparameters: only the ones its
 * compile_config sets (a Keras file without one, like Keras 2's to_json, sets none).
 */
export const CompiledSettings = z
  .object({
    optimizer: OptimizerName.optional(),
    learningRate: z.number().positive().optional(),
    momentum: z.number().min(0).lt(1).optional(),
    nesterov: z.boolean().optional(),
    beta1: z.number().min(0).lt(1).optional(),
    beta2: z.number().min(0).lt(1).optional(),
    epsilon: z.number().positive().optional(),
    rho: z.number().min(0).lt(1).optional(),
    centered: z.boolean().optional(),
    lrSchedule: LrSchedule.optional(),
  })
  .strict();
export type CompiledSettings = z.output<typeof CompiledSettings>;

/** A Keras model file's text: model.to_json() or the config.json inside a .keras file (a few MB at most). */
export const KerasJsonText = z
  .string()
  .min(2, 'the Keras JSON is empty')
  .max(8 << 20, 'the Keras JSON is larger than 8 MB; a model config is a few hundred kB at most');

/** The largest .keras file the app sends (weights included; only its config.json is read). */
export const maxKerasFileBytes = 48 << 20;

/** A .keras file's bytes as the app sends them (base64), with the file's name for the sentences. */
export const KerasFile = z
  .object({
    name: z.string().min(1, 'the file name is empty').max(255, 'the file name is longer than 255 characters'),
    base64: z
      .string()
      .min(1, 'the file is empty')
      .max(
        Math.ceil(maxKerasFileBytes / 3) * 4,
        `the file is larger than ${maxKerasFileBytes >> 20} MB; import it with kernellab import keras FILE, which reads only its config.json`,
      )
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64 (A–Z a–z 0–9 + / and = padding)'),
  })
  .strict();
export type KerasFile = z.infer<typeof KerasFile>;

export const KerasImportResult = z.object({
  spec: ModelSpec,
  hyperparameters: CompiledSettings,
  /** What the import decided that the user should know: a dropped Rescaling, logits, seeds not carried, the compile settings read. */
  notes: z.array(z.string()),
  /** The notes coded, one per note in the same order (contract/coreText.ts), for the user's language. */
  noteCodes: z.array(CoreText).optional(),
  /** "Keras 3.15.1 Sequential 'lenet5'". */
  source: z.string(),
});
export type KerasImportResult = z.infer<typeof KerasImportResult>;

export const trainingMethods = {
  'training.presets': method({
    input: z.object({}).strict().default({}),
    output: z.array(PresetInfo),
    summary: 'The built-in networks (LeNet-5, the two-conv MNIST net, the Fashion-MNIST net, AlexNet-28) with their hyperparameters.',
  }),
  'training.importKeras': method({
    input: z
      .object({
        json: KerasJsonText.optional(),
        /** A .keras file (or a JSON file) as bytes: the service reads its config.json. */
        kerasFile: KerasFile.optional(),
        /** Import the layers alone, without the optimizer and loss of its compile_config. */
        layersOnly: z.boolean().default(false),
      })
      .strict()
      .refine((input) => (input.json === undefined) !== (input.kerasFile === undefined), {
        message: "give json (the model's JSON text) or kerasFile (a .keras file's bytes), one of them",
        path: ['json'],
      }),
    output: KerasImportResult,
    summary:
      "A Keras model's JSON (model.to_json(), or a .keras file's config.json), or a .keras file's bytes, as a KernelLab model spec and the optimizer settings it was compiled with; a layer or option KernelLab cannot train is refused by name, with what to do.",
  }),
  'training.exportKeras': method({
    input: z.object({ spec: ModelSpec, hyperparameters: Hyperparameters.optional() }).strict(),
    // noteCodes: each note coded (contract/kerasText.ts), for the user's language.
    output: z.object({ json: z.string(), notes: z.array(z.string()), noteCodes: z.array(CoreText).optional() }),
    summary:
      'A model spec (and its hyperparameters) as the Keras 3 JSON that keras.models.model_from_json loads into the same architecture, compiled with the same optimizer.',
  }),
  'training.summary': method({
    input: z.object({ spec: ModelSpec }).strict(),
    output: ModelSummary,
    summary:
      'Per-layer output shape, parameters, FLOPs and receptive field of a model spec, without training; refuses impossible specs with the layer and formula.',
  }),
};

export const trainingEvents = {};
