/**
 * A KernelLab model spec as the Keras 3 JSON that `keras.models.model_from_json` loads into the
 * same architecture (the same layers, shapes and parameter count), compiled — with the run's
 * hyperparameters — with the same optimizer, constants and per-step schedule. The fit settings a
 * model file cannot hold (batch size, epochs, validation split, callbacks) come back as the
 * `model.fit(...)` line to write.
 *
 * Only options every Keras 3 release accepts are written (a newer key such as Dense's
 * quantization_config makes an older Keras refuse the file). Initialisers carry no seed: Keras
 * draws its own weights from the same distributions.
 */
import { coreText, type CoreText } from '../../contract/coreText.ts';
import { coded } from '../../errors.ts';
import {
  optimizerSettings,
  type Hyperparameters,
  type Initializer,
  type LayerSpec,
  type ModelSpec,
  type Regularizer,
} from '../../contract/training.ts';

type Json = Record<string, unknown>;

const kerasObject = (module: string, className: string, config: Json): Json => ({
  module,
  class_name: className,
  config,
  registered_name: null,
});

const initializerClass: Record<Initializer['type'], string> = {
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

function initializer(init: Initializer): Json {
  const { type, ...numbers } = init;
  const seeded = !['zeros', 'ones', 'constant'].includes(type);
  return kerasObject('keras.initializers', initializerClass[type], { ...(seeded ? { seed: null } : {}), ...numbers });
}

const regularizer = (r: Regularizer | undefined): Json | null =>
  r && (r.l1 > 0 || r.l2 > 0) ? kerasObject('keras.regularizers', 'L1L2', { l1: r.l1, l2: r.l2 }) : null;

/** Keras 3 writes swish as silu. */
const kerasActivation = (a: string) => (a === 'swish' ? 'silu' : a);

type Weights = ModelSpec['output'];

function weightConfig(fields: Weights): Json {
  return {
    use_bias: fields.useBias,
    kernel_initializer: initializer(fields.kernelInitializer),
    bias_initializer: initializer(fields.biasInitializer),
    kernel_regularizer: regularizer(fields.kernelRegularizer),
    bias_regularizer: fields.useBias ? regularizer(fields.biasRegularizer) : null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
  };
}

function layerJson(layer: LayerSpec, index: number, name: string): Json {
  const base = { name, trainable: true, dtype: 'float32' };
  switch (layer.type) {
    case 'conv2d':
      return kerasObject('keras.layers', 'Conv2D', {
        ...base,
        filters: layer.filters,
        kernel_size: [layer.kernelSize, layer.kernelSize],
        strides: [layer.strides, layer.strides],
        padding: layer.padding,
        data_format: 'channels_last',
        dilation_rate: [1, 1],
        groups: 1,
        activation: kerasActivation(layer.activation),
        ...weightConfig(layer),
      });
    case 'maxPool2d':
    case 'avgPool2d': {
      const strides = layer.strides ?? layer.poolSize;
      return kerasObject('keras.layers', layer.type === 'maxPool2d' ? 'MaxPooling2D' : 'AveragePooling2D', {
        ...base,
        pool_size: [layer.poolSize, layer.poolSize],
        strides: [strides, strides],
        padding: layer.padding,
        data_format: 'channels_last',
      });
    }
    case 'batchNorm':
      return kerasObject('keras.layers', 'BatchNormalization', {
        ...base,
        axis: -1,
        momentum: layer.momentum,
        epsilon: layer.epsilon,
        center: true,
        scale: true,
      });
    case 'dropout':
      return kerasObject('keras.layers', 'Dropout', { ...base, rate: layer.rate, noise_shape: null, seed: null });
    case 'flatten':
      return kerasObject('keras.layers', 'Flatten', { ...base, data_format: 'channels_last' });
    case 'dense':
      return kerasObject('keras.layers', 'Dense', {
        ...base,
        units: layer.units,
        activation: kerasActivation(layer.activation),
        ...weightConfig(layer),
      });
    case 'activation':
      return kerasObject('keras.layers', 'Activation', { ...base, activation: kerasActivation(layer.activation) });
    case 'lrn':
      throw coded(
        'invalid_input',
        `layers[${index}] (lrn): Keras has no local response normalisation layer (tf.nn.local_response_normalization can only be called from a Lambda, which a model JSON cannot hold); remove it or replace it with batchNorm to export`,
        'keras_export_lrn',
        { index },
      );
    default: {
      const unknown: never = layer;
      throw new Error(`unknown layer ${JSON.stringify(unknown)}`);
    }
  }
}

const kerasLayerName: Record<LayerSpec['type'], string> = {
  conv2d: 'conv2d',
  maxPool2d: 'max_pooling2d',
  avgPool2d: 'average_pooling2d',
  batchNorm: 'batch_normalization',
  dropout: 'dropout',
  lrn: 'lrn',
  flatten: 'flatten',
  dense: 'dense',
  activation: 'activation',
};

function learningRate(hp: Hyperparameters, notes: ExportNotes): number | Json {
  const schedule = hp.lrSchedule;
  if (!schedule) return hp.learningRate;
  switch (schedule.type) {
    case 'exponential':
      return kerasObject('keras.optimizers.schedules', 'ExponentialDecay', {
        initial_learning_rate: hp.learningRate,
        decay_steps: schedule.decaySteps,
        decay_rate: schedule.decayRate,
        staircase: schedule.staircase,
      });
    case 'cosine':
      return kerasObject('keras.optimizers.schedules', 'CosineDecay', {
        initial_learning_rate: hp.learningRate,
        decay_steps: schedule.decaySteps,
        alpha: schedule.alpha,
      });
    case 'step': {
      const callback = `fit(..., callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch: ${hp.learningRate} * ${schedule.factor} ** (epoch // ${schedule.everyEpochs}))])`;
      notes.add(`The step schedule is a callback in Keras: ${callback}.`, coreText('keras_export_step_callback', { callback }));
      return hp.learningRate;
    }
    case 'plateau': {
      const callback = `fit(..., callbacks=[keras.callbacks.ReduceLROnPlateau(monitor='${schedule.monitor}', factor=${schedule.factor}, patience=${schedule.patience}, min_delta=${schedule.minDelta}, mode='${schedule.mode}', cooldown=${schedule.cooldown}, min_lr=${schedule.minLr})])`;
      notes.add(`ReduceLROnPlateau is a callback in Keras: ${callback}.`, coreText('keras_export_plateau_callback', { callback }));
      return hp.learningRate;
    }
  }
}

function compileConfig(hp: Hyperparameters, notes: ExportNotes): Json {
  const settings = optimizerSettings(hp);
  const lr = learningRate(hp, notes);
  const common = { learning_rate: lr, weight_decay: null, clipnorm: null, global_clipnorm: null, clipvalue: null, use_ema: false };
  let optimizer: Json;
  switch (settings.optimizer) {
    case 'sgd':
      optimizer = kerasObject('keras.optimizers', 'SGD', { name: 'sgd', ...common, momentum: 0, nesterov: false });
      break;
    case 'momentum':
      optimizer = kerasObject('keras.optimizers', 'SGD', {
        name: 'sgd',
        ...common,
        momentum: settings.momentum,
        nesterov: settings.nesterov,
      });
      break;
    case 'adam':
      optimizer = kerasObject('keras.optimizers', 'Adam', {
        name: 'adam',
        ...common,
        beta_1: settings.beta1,
        beta_2: settings.beta2,
        epsilon: settings.epsilon,
        amsgrad: false,
      });
      break;
    case 'rmsprop':
      optimizer = kerasObject('keras.optimizers', 'RMSprop', {
        name: 'rmsprop',
        ...common,
        rho: settings.rho,
        momentum: settings.momentum,
        epsilon: settings.epsilon,
        centered: settings.centered,
      });
      break;
  }
  return { optimizer, loss: 'sparse_categorical_crossentropy', loss_weights: null, metrics: ['accuracy'], weighted_metrics: null };
}

/** The `model.fit(...)` arguments a model file cannot hold, with its code. */
function fitLine(hp: Hyperparameters): { note: string; code: CoreText } {
  const args = [`batch_size=${hp.batchSize}`, `epochs=${hp.epochs}`];
  if (hp.validateOn === 'split' && hp.validationSplit > 0) args.push(`validation_split=${hp.validationSplit}`);
  args.push(`shuffle=${hp.shuffle ? 'True' : 'False'}`);
  const es = hp.earlyStopping;
  if (es) {
    const baseline = es.baseline === null ? 'None' : String(es.baseline);
    args.push(
      `callbacks=[keras.callbacks.EarlyStopping(monitor='${es.monitor}', patience=${es.patience}, min_delta=${es.minDelta}, mode='${es.mode}', baseline=${baseline}, restore_best_weights=${es.restoreBestWeights ? 'True' : 'False'}, start_from_epoch=${es.startFromEpoch})]`,
    );
  }
  const fit = `Fit as KernelLab trains it: model.fit(x, y, ${args.join(', ')}) with pixels scaled to [0, 1].`;
  const call = { args: args.join(', ') };
  if (hp.validateOn === 'split' && hp.validationSplit > 0 && hp.validationSplitMode === 'stratified')
    return {
      note: `${fit} KernelLab's stratified validation split holds out a seeded fraction of every class; Keras' validation_split takes the last images.`,
      code: coreText('keras_export_fit_stratified', call),
    };
  return { note: fit, code: coreText('keras_export_fit', call) };
}

/** The export's notes in order, each with its code (contract/kerasText.ts), so kernellab export keras says them in the user's language. */
class ExportNotes {
  readonly notes: string[] = [];
  readonly codes: CoreText[] = [];
  add(note: string, code: CoreText): void {
    this.notes.push(note);
    this.codes.push(code);
  }
  first(note: string, code: CoreText): void {
    this.notes.unshift(note);
    this.codes.unshift(code);
  }
}

/** The Keras 3 model JSON of a spec, compiled with the hyperparameters' optimizer when they are given. */
export function exportKeras(spec: ModelSpec, hyperparameters?: Hyperparameters): { json: string; notes: string[]; noteCodes: CoreText[] } {
  const notes = new ExportNotes();
  const counts = new Map<string, number>();
  const uniqueName = (base: string) => {
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  };
  const layers: Json[] = [
    kerasObject('keras.layers', 'InputLayer', {
      batch_shape: [null, ...spec.inputShape],
      dtype: 'float32',
      sparse: false,
      name: 'input_layer',
    }),
    ...spec.layers.map((layer, index) => layerJson(layer, index, uniqueName(kerasLayerName[layer.type]))),
    kerasObject('keras.layers', 'Dense', {
      name: uniqueName('dense'),
      trainable: true,
      dtype: 'float32',
      units: spec.numClasses,
      activation: 'softmax',
      ...weightConfig(spec.output),
    }),
  ];
  const model: Json = {
    ...kerasObject('keras', 'Sequential', {
      name: spec.name.replace(/[^A-Za-z0-9_]/g, '_') || 'model',
      trainable: true,
      dtype: 'float32',
      layers,
    }),
    build_config: { input_shape: [null, ...spec.inputShape] },
  };
  if (hyperparameters) {
    model.compile_config = compileConfig(hyperparameters, notes);
    const fit = fitLine(hyperparameters);
    notes.first(fit.note, fit.code);
  }
  return { json: JSON.stringify(model, null, 1), notes: notes.notes, noteCodes: notes.codes };
}
