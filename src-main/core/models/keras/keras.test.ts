import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreTextOf, errorBodyText } from '../../../../i18n/coreText.ts';
import { coreText } from '../../contract/coreText.ts';
import { KernelLabError } from '../../errors.ts';
import { ModelSpec } from '../../contract/training.ts';
import { presets } from '../presets.ts';
import { inferShapes } from '../shapeInference.ts';
import { exportKeras } from './kerasExport.ts';
import { readKerasBytes } from './kerasFile.ts';
import { float32Decimal, importKeras } from './kerasImport.ts';

// Every fixture is what Keras itself wrote (fixtures/make_fixtures.py, Keras 3.15 and tf_keras 2.21).
const fixtures = join(import.meta.dirname, 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const refusals = JSON.parse(fixture('refusals.keras3.json')) as Record<string, unknown>;

function refusal(text: string): KernelLabError {
  try {
    importKeras(text);
  } catch (error) {
    expect(error).toBeInstanceOf(KernelLabError);
    expect((error as KernelLabError).code).toBe('invalid_input');
    return error as KernelLabError;
  }
  throw new Error('the import was not refused');
}
const refused = (name: string) => refusal(JSON.stringify(refusals[name]));

/** English words of the refusals that a Korean sentence must not keep (Keras' own identifiers aside). */
const englishWords = /KernelLab (trains|has|does|cannot|applies|keeps|feeds)|\b(remove|layer|is not|has no|use one)\b|^model:/;

/** Every problem is coded: its English from the catalogue is the core's sentence, its Korean has no English left. */
function saidInBothLanguages(error: KernelLabError): void {
  const body = error.toBody();
  expect(body.issueCodes).toHaveLength(body.issues!.length);
  expect(body.issueCodes!.every((c) => c.text !== null)).toBe(true);
  expect(errorBodyText(body, 'en')).toBe(error.message);
  const ko = errorBodyText(body, 'ko');
  expect(ko).toMatch(/^KernelLab은 이 Keras 모델을 그대로 학습할 수 없습니다: /);
  for (const line of ko.slice(ko.indexOf(': ') + 2).split('; ')) expect(line).not.toMatch(englishWords);
}

describe('Keras import: every layer type and option', () => {
  const every = importKeras(fixture('every_layer.keras3.json'));

  it("maps a Keras 3 Sequential layer by layer, with Keras' parameter count (13,482)", () => {
    expect(every.source).toBe("Keras 3 Sequential 'every_layer'");
    expect(every.spec.inputShape).toEqual([32, 32, 3]);
    expect(every.spec.numClasses).toBe(10);
    expect(every.spec.layers.map((l) => l.type)).toEqual([
      'conv2d',
      'batchNorm',
      'activation',
      'maxPool2d',
      'conv2d',
      'avgPool2d',
      'dropout',
      'flatten',
      'dense',
      'dense',
    ]);
    expect(inferShapes(every.spec).totalParams).toBe(13482);
  });

  it('Conv2D: filters, kernel, strides, padding, activation (silu is swish), initialisers, bias, regularisers', () => {
    expect(every.spec.layers[0]).toEqual({
      type: 'conv2d',
      filters: 8,
      kernelSize: 5,
      strides: 2,
      padding: 'same',
      activation: 'swish',
      kernelInitializer: { type: 'truncated_normal', mean: 0, stddev: 0.1 },
      biasInitializer: { type: 'constant', value: 0.1 },
      useBias: true,
      kernelRegularizer: { l1: 0, l2: 1e-4 },
      biasRegularizer: { l1: 1e-5, l2: 1e-6 },
    });
    expect(every.spec.layers[4]).toMatchObject({
      filters: 16,
      kernelSize: 3,
      strides: 1,
      padding: 'valid',
      activation: 'linear',
      useBias: false,
      kernelInitializer: { type: 'he_uniform' },
    });
  });

  it("BatchNormalization's momentum and epsilon, Activation, pooling sizes and strides, Dropout's rate", () => {
    expect(every.spec.layers[1]).toEqual({ type: 'batchNorm', momentum: 0.9, epsilon: 1e-5 });
    expect(every.spec.layers[2]).toEqual({ type: 'activation', activation: 'relu' });
    expect(every.spec.layers[3]).toEqual({ type: 'maxPool2d', poolSize: 3, strides: 2, padding: 'same' });
    // strides equal to the pool size are the default: left out.
    expect(every.spec.layers[5]).toEqual({ type: 'avgPool2d', poolSize: 2, padding: 'valid' });
    expect(every.spec.layers[6]).toEqual({ type: 'dropout', rate: 0.3 });
  });

  it('Dense: units, activation and every initialiser class with its numbers; the last Dense is the output', () => {
    expect(every.spec.layers[8]).toMatchObject({
      units: 64,
      activation: 'tanh',
      kernelInitializer: { type: 'he_normal' },
      biasInitializer: { type: 'ones' },
      kernelRegularizer: { l1: 1e-5, l2: 0 },
    });
    expect(every.spec.layers[9]).toMatchObject({
      units: 32,
      activation: 'elu',
      kernelInitializer: { type: 'random_uniform', minval: -0.1, maxval: 0.2 },
      biasInitializer: { type: 'random_normal', mean: 0.5, stddev: 0.2 },
    });
    expect(every.spec.output).toEqual({
      kernelInitializer: { type: 'variance_scaling', scale: 2, mode: 'fan_out', distribution: 'uniform' },
      biasInitializer: { type: 'zeros' },
      useBias: true,
      kernelRegularizer: { l1: 0, l2: 0.01 },
    });
  });

  it('reads the compile settings as hyperparameters, float32 values as the decimals Keras was given (1e-4, not 9.9999997e-05)', () => {
    expect(every.hyperparameters).toEqual({ optimizer: 'adam', learningRate: 1e-4, beta1: 0.85, beta2: 0.99, epsilon: 1e-8 });
    expect(float32Decimal(9.999999747378752e-5)).toBe(1e-4);
    expect(float32Decimal(0.10000000149011612)).toBe(0.1);
    expect(importKeras(fixture('every_layer.keras3.json'), { layersOnly: true }).hyperparameters).toEqual({});
  });

  it('a Functional chain ending in Dense + Activation(softmax); SGD with Nesterov momentum and ExponentialDecay', () => {
    const chain = importKeras(fixture('functional_chain.keras3.json'));
    expect(chain.source).toBe("Keras 3 Functional 'functional_chain'");
    expect(chain.spec.layers.map((l) => l.type)).toEqual(['conv2d', 'maxPool2d', 'flatten']);
    expect(chain.spec.layers[0]).toMatchObject({ kernelInitializer: { type: 'lecun_normal' } });
    expect(chain.hyperparameters).toEqual({
      optimizer: 'momentum',
      learningRate: 0.1,
      momentum: 0.9,
      nesterov: true,
      lrSchedule: { type: 'exponential', decaySteps: 1000, decayRate: 0.96, staircase: true },
    });
  });

  it('a model that outputs logits, compiled from_logits; RMSprop with every constant and CosineDecay', () => {
    const logits = importKeras(fixture('logits_rmsprop.keras3.json'));
    expect(logits.spec.layers).toEqual([{ type: 'flatten' }, expect.objectContaining({ type: 'dense', units: 16, activation: 'selu' })]);
    expect(logits.hyperparameters).toEqual({
      optimizer: 'rmsprop',
      learningRate: 0.01,
      rho: 0.8,
      momentum: 0.5,
      epsilon: 1e-6,
      centered: true,
      lrSchedule: { type: 'cosine', decaySteps: 500, alpha: 0.1 },
    });
  });

  it('a flat input reshaped to an image, and a Rescaling(1/255) KernelLab already does, with notes saying so', () => {
    const flat = importKeras(fixture('flat_input.keras3.json'));
    expect(flat.spec.inputShape).toEqual([28, 28, 1]);
    expect(flat.spec.layers.map((l) => l.type)).toEqual(['conv2d', 'flatten']);
    expect(flat.notes.join(' ')).toMatch(/Reshape to \(28, 28, 1\) taken as the input shape/);
    expect(flat.notes.join(' ')).toMatch(/Rescaling\(1\/255\) dropped/);
    expect(flat.notes.join(' ')).toMatch(/No compile settings/);
  });

  it('Keras 2 (tf.keras) Sequential and Functional JSON, which has no compile settings', () => {
    const sequential = importKeras(fixture('keras2_sequential.json'));
    expect(sequential.source).toBe("Keras 2.21.0 Sequential 'keras2_sequential'");
    expect(sequential.spec.layers.map((l) => l.type)).toEqual(['conv2d', 'maxPool2d', 'flatten', 'dense', 'dropout']);
    expect(sequential.spec.layers[0]).toMatchObject({
      filters: 6,
      kernelSize: 5,
      kernelInitializer: { type: 'truncated_normal', stddev: 0.1 },
    });
    expect(sequential.spec.layers[3]).toMatchObject({ units: 84, activation: 'swish', kernelRegularizer: { l1: 0, l2: 0.001 } });
    expect(sequential.hyperparameters).toEqual({});
    const functional = importKeras(fixture('keras2_functional.json'));
    expect(functional.spec.layers.map((l) => l.type)).toEqual(['conv2d', 'flatten']);
  });

  it('a global pool becomes a whole-image pool and a flatten: the same output and parameters', () => {
    const gap = refusals.global_pool as { compile_config: unknown };
    const result = importKeras(JSON.stringify({ ...gap, compile_config: {} }));
    expect(result.spec.layers).toEqual([
      expect.objectContaining({ type: 'conv2d' }),
      { type: 'avgPool2d', poolSize: 26, padding: 'valid' },
      { type: 'flatten' },
    ]);
    // Conv2D(4, 3): 40, Dense(10) on 4 channels: 50.
    expect(inferShapes(result.spec).totalParams).toBe(90);
  });
});

describe('Keras import refuses what KernelLab cannot train, naming the layer or option and what to do', () => {
  const cases: [string, RegExp][] = [
    ['conv_transpose', /layer 'conv2d_transpose' \(Conv2DTranspose\): KernelLab trains no transposed convolution/],
    ['dilated', /\(Conv2D\): dilation_rate=\[2,2\]: KernelLab trains undilated convolutions; remove dilation_rate/],
    ['rectangular_kernel', /kernel_size \[3,5\] is not square; KernelLab trains square kernels \(use kernel_size=\(3, 3\) or \(5, 5\)\)/],
    ['leaky_relu', /layer 'leaky_re_lu' \(LeakyReLU\): KernelLab has no leaky relu; use Activation\('relu'\)/],
    ['activity_regularizer', /\(Dense\): activity_regularizer=.*KernelLab regularises weights, not activations/],
    ['kernel_constraint', /\(Dense\): kernel_constraint=.*MaxNorm.*KernelLab applies no weight constraints/],
    ['batchnorm_no_scale', /\(BatchNormalization\): scale=false: KernelLab always learns gamma/],
    [
      'sigmoid_output',
      /the output has activation 'sigmoid'.*has 1 unit; KernelLab trains classifiers with a softmax over 2 or more classes/,
    ],
    ['gelu', /activation "gelu" is not one KernelLab trains \(relu, swish/],
    ['orthogonal', /kernel_initializer Orthogonal is not an initialiser KernelLab draws/],
    ['noise_shape', /\(Dropout\): noise_shape=\[1,784\]: KernelLab drops single units/],
    ['branches', /layer 'add' \(Add\): reads 2 inputs .*KernelLab trains a chain of layers/],
    ['nadam', /compile optimizer Nadam: KernelLab trains with SGD \(with or without momentum\), Adam or RMSprop/],
    ['amsgrad', /compile optimizer Adam: amsgrad=true: KernelLab's Adam is without AMSGrad/],
    ['adamw', /weight_decay=0.004: KernelLab has no decoupled weight decay \(AdamW\); use an L2 kernel_regularizer/],
    ['clipnorm', /clipnorm=1: KernelLab does not clip gradients/],
    ['piecewise', /compile learning_rate PiecewiseConstantDecay: KernelLab has exponential and cosine decay/],
    ['label_smoothing', /label_smoothing=0.1: KernelLab trains on hard labels/],
  ];
  for (const [name, message] of cases) {
    it(name, () => {
      const error = refused(name);
      expect(error.message).toMatch(/^KernelLab cannot train this Keras model as it is: /);
      expect(error.message).toMatch(message);
      expect(error.issues!.length).toBeGreaterThan(0);
      saidInBothLanguages(error);
    });
  }

  it('says every problem of a model full of them in Korean, each coded, and in English word for word', () => {
    const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
    const model = {
      class_name: 'Sequential',
      config: {
        name: 'bad',
        layers: [
          layer('InputLayer', { name: 'in' }),
          layer('Reshape', { name: 'flat', target_shape: [28, 28] }),
          layer('Rescaling', { name: 'scale', scale: 2 }),
          layer('Conv2D', {
            name: 'c1',
            filters: 'x',
            kernel_size: [3, 5],
            strides: 0,
            padding: 'full',
            data_format: 'channels_first',
            groups: 2,
            activation: 'softmax',
            trainable: false,
            kernel_initializer: { class_name: 'VarianceScaling', config: { mode: 'fan_x' } },
            bias_initializer: { class_name: 'Constant', config: { value: [1] } },
            kernel_regularizer: { class_name: 'L3' },
            kernel_constraint: { class_name: 'MaxNorm' },
          }),
          layer('MaxPooling2D', { name: 'p1', pool_size: [2, 3] }),
          layer('GlobalAveragePooling2D', { name: 'g1', keepdims: true }),
          layer('BatchNormalization', {
            name: 'bn',
            axis: 1,
            center: false,
            beta_initializer: 'glorot',
            renorm: true,
            gamma_regularizer: 'l2',
          }),
          layer('Dropout', { name: 'd1', rate: 1.5, noise_shape: [1, 2] }),
          layer('ReLU', { name: 'r1', max_value: 3, negative_slope: 0.1, threshold: 1 }),
          layer('ELU', { name: 'e1', alpha: 0.5 }),
          layer('Activation', { name: 'a1', activation: 'softmax' }),
          layer('Dense', {
            name: 'h1',
            units: 3,
            activation: 'gelu',
            activity_regularizer: 'l1',
            kernel_initializer: { class_name: 'RandomNormal', config: { stddev: 'big' } },
            bias_initializer: { class_name: 'VarianceScaling', config: { distribution: 'odd' } },
          }),
          layer('Lambda', { name: 'l1' }),
          layer('RandomFlip', { name: 'aug' }),
          layer('Capsule', { name: 'caps' }),
          layer('Dense', { name: 'out', units: 1, activation: 'sigmoid', kernel_initializer: 'Orthogonal' }),
          layer('Flatten', { name: 'late' }),
        ],
      },
      compile_config: {
        loss: 'mse',
        optimizer: {
          class_name: 'Adam',
          config: {
            clipvalue: 1,
            use_ema: true,
            gradient_accumulation_steps: 2,
            learning_rate: { class_name: 'CosineDecay', config: { initial_learning_rate: 0.1, decay_steps: 10, warmup_target: 0.2 } },
          },
        },
      },
    };
    const error = refusal(JSON.stringify(model));
    expect(error.issues!.length).toBeGreaterThan(35);
    saidInBothLanguages(error);
    const ko = errorBodyText(error.toBody(), 'ko');
    expect(ko).toContain("층 'c1'(Conv2D): kernel_size [3,5]은(는) 정사각형이 아닙니다");
    expect(ko).toContain("층 'caps'(Capsule): KernelLab은 Capsule을(를) 학습할 수 없습니다");
    expect(ko).toContain('compile optimizer Adam: clipvalue=1: KernelLab은 그래디언트를 자르지 않습니다. clipvalue을(를) 지우세요');
    const others = [
      '{"class_name": "Subclassed", "config": {"layers": []}}',
      '{"class_name": "Functional", "config": {"layers": [], "input_layers": [], "output_layers": []}}',
      '{"class_name": "Sequential", "config": {}}',
      JSON.stringify({ class_name: 'Sequential', config: { layers: Array.from({ length: 1001 }, () => ({})) } }),
      JSON.stringify({
        class_name: 'Sequential',
        config: { layers: [layer('InputLayer', { batch_shape: [null, 4, 4, 4, 4] }), layer('Dense', { units: 2 })] },
      }),
    ];
    for (const text of others) saidInBothLanguages(refusal(text));
  });

  it('says its notes in Korean, in English word for word', () => {
    const every = importKeras(fixture('every_layer.keras3.json'));
    const flat = structuredClone(refusals.global_pool) as { compile_config: unknown };
    const results = [every, importKeras(JSON.stringify({ ...flat, compile_config: {} }))];
    for (const result of results) {
      expect(result.noteCodes).toHaveLength(result.notes.length);
      result.notes.forEach((note, i) => {
        expect(coreTextOf(result.noteCodes![i], '', 'en')).toBe(note);
        expect(coreTextOf(result.noteCodes![i], '', 'ko')).not.toMatch(englishWords);
      });
    }
    expect(results.flatMap((r) => r.noteCodes!.map((c) => c.code))).toEqual(
      expect.arrayContaining(['keras_note_compiled', 'keras_note_no_compile', 'keras_note_global_average_pool']),
    );
  });

  it('lists every problem of a model at once', () => {
    const model = structuredClone(refusals.dilated) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    const conv = model.config.layers.find((l) => l.class_name === 'Conv2D')!;
    conv.config.kernel_size = [3, 5];
    conv.config.activation = 'gelu';
    const error = refusal(JSON.stringify(model));
    expect(error.issues).toHaveLength(3);
  });

  it('refuses what is not a Keras model, with what to give instead', () => {
    expect(refusal('{"layers": []}').message).toMatch(/not a Keras model: it has no class_name; give the JSON of model.to_json\(\)/);
    expect(refusal('not json').message).toMatch(/not JSON/);
    expect(refusal('['.repeat(200)).message).toMatch(/nests too deeply/);
    expect(refusal('{"class_name": "Sequential", "config": {"layers": []}}').message).toMatch(/has no Dense output layer/);
  });

  it('says its refusals in Korean from their codes, the English sentence unchanged', async () => {
    const header = refused('dilated');
    expect(header.text).toEqual(coreText('keras_cannot_train', {}));
    expect(coreTextOf(header.text, header.message, 'ko')).toBe('KernelLab은 이 Keras 모델을 그대로 학습할 수 없습니다');
    const noClass = refusal('{"layers": []}');
    expect(coreTextOf(noClass.text, noClass.message, 'ko')).toMatch(/^이 JSON은 Keras 모델이 아닙니다\. class_name이 없습니다/);
    expect(coreTextOf(noClass.text, noClass.message, 'en')).toBe(noClass.message);
    const h5 = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]);
    const error = (await readKerasBytes('mnist.h5', h5).catch((e: unknown) => e)) as KernelLabError;
    expect(error.message).toMatch(/^mnist\.h5 is an HDF5 \(\.h5\) model; KernelLab reads model\.to_json\(\)/);
    expect(coreTextOf(error.text, error.message, 'ko')).toMatch(/^mnist\.h5은\(는\) HDF5\(\.h5\) 모델입니다/);
    const zip = (await readKerasBytes('model.keras', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])).catch(
      (e: unknown) => e,
    )) as KernelLabError;
    expect(zip.text?.code).toBe('keras_not_zip');
    expect(coreTextOf(zip.text, zip.message, 'ko')).toMatch(/^model\.keras은\(는\) 읽을 수 있는 \.keras\(zip\) 파일이 아닙니다: /);
  });

  it("says a file that is not JSON in Korean by where JSON.parse stopped, without V8's English", () => {
    const cases: [string, string, string][] = [
      ['{"class_name": ', 'the Keras file is not JSON: the text ends early', 'Keras 파일이 JSON이 아닙니다: 텍스트가 일찍 끝납니다'],
      ['{"class_name": "Sequential",', 'the Keras file is not JSON at character 28', 'Keras 파일이 JSON이 아닙니다 (문자 28)'],
      ['{"class_name": x}', "the Keras file is not JSON: unexpected 'x'", "Keras 파일이 JSON이 아닙니다: 예상하지 못한 'x'"],
      ['{"class_name": "Sequential"} tail', 'the Keras file is not JSON at character 29', 'Keras 파일이 JSON이 아닙니다 (문자 29)'],
      ['not json', "the Keras file is not JSON: unexpected 'o'", "Keras 파일이 JSON이 아닙니다: 예상하지 못한 'o'"],
    ];
    for (const [text, english, korean] of cases) {
      const error = refusal(text);
      // The English sentence keeps V8's words as before; the code says where it stopped.
      expect(error.message).toMatch(/^the Keras file is not JSON: (Unexpected|Expected)/);
      expect(coreTextOf(error.text, error.message, 'en')).toBe(english);
      expect(coreTextOf(error.text, error.message, 'ko')).toBe(korean);
    }
  });
});

describe('Keras export: the way back', () => {
  const exportable = presets.filter((p) => !p.spec.layers.some((l) => l.type === 'lrn'));

  for (const preset of exportable) {
    it(`${preset.id}: exported and imported again, the same spec and compile settings`, () => {
      const { json } = exportKeras(preset.spec, preset.hyperparameters);
      const back = importKeras(json);
      expect(back.spec).toEqual(preset.spec);
      expect(inferShapes(back.spec).totalParams).toBe(inferShapes(preset.spec).totalParams);
      const hp = preset.hyperparameters;
      expect(back.hyperparameters).toMatchObject({ optimizer: hp.optimizer, learningRate: hp.learningRate });
      if (hp.optimizer === 'adam') expect(back.hyperparameters).toMatchObject({ beta1: hp.beta1, beta2: hp.beta2, epsilon: hp.epsilon });
    });
  }

  it('every imported fixture exports and imports to the same spec', () => {
    for (const name of ['every_layer.keras3.json', 'functional_chain.keras3.json', 'keras2_sequential.json', 'flat_input.keras3.json']) {
      const first = importKeras(fixture(name));
      const again = importKeras(exportKeras(first.spec).json);
      expect(again.spec).toEqual(first.spec);
    }
  });

  it('carries schedules in the compile settings and says how to write the rest in model.fit', () => {
    const spec = presets.find((p) => p.id === 'fashion-keras-tutorial')!;
    const { json, notes } = exportKeras(spec.spec, { ...spec.hyperparameters, lrSchedule: { type: 'cosine', decaySteps: 900, alpha: 0 } });
    const compile = (JSON.parse(json) as { compile_config: { optimizer: { config: { learning_rate: unknown } } } }).compile_config;
    expect(compile.optimizer.config.learning_rate).toMatchObject({
      class_name: 'CosineDecay',
      config: { decay_steps: 900, initial_learning_rate: 1e-3 },
    });
    expect(notes[0]).toMatch(
      /model\.fit\(x, y, batch_size=128, epochs=30, validation_split=0\.2, shuffle=True, callbacks=\[keras\.callbacks\.EarlyStopping\(monitor='val_loss', patience=3/,
    );
    const plateau = exportKeras(spec.spec, {
      ...spec.hyperparameters,
      lrSchedule: { type: 'plateau', monitor: 'val_loss', factor: 0.5, patience: 2, minDelta: 1e-4, mode: 'auto', cooldown: 0, minLr: 0 },
    });
    expect(plateau.notes.join(' ')).toMatch(/ReduceLROnPlateau\(monitor='val_loss', factor=0.5, patience=2/);
  });

  it('says its notes in Korean from their codes, the English notes word for word, the Python code as it is', () => {
    const spec = presets.find((p) => p.id === 'fashion-keras-tutorial')!;
    const exports = [
      exportKeras(spec.spec, spec.hyperparameters),
      exportKeras(spec.spec, {
        ...spec.hyperparameters,
        validationSplitMode: 'stratified',
        lrSchedule: { type: 'step', factor: 0.5, everyEpochs: 10 },
      }),
      exportKeras(spec.spec, {
        ...spec.hyperparameters,
        lrSchedule: { type: 'plateau', monitor: 'val_loss', factor: 0.5, patience: 2, minDelta: 1e-4, mode: 'auto', cooldown: 0, minLr: 0 },
      }),
    ];
    expect(exports.flatMap((e) => e.noteCodes.map((c) => c.code))).toEqual([
      'keras_export_fit',
      'keras_export_fit_stratified',
      'keras_export_step_callback',
      'keras_export_fit',
      'keras_export_plateau_callback',
    ]);
    for (const { notes, noteCodes } of exports) {
      expect(noteCodes).toHaveLength(notes.length);
      notes.forEach((note, i) => {
        expect(coreTextOf(noteCodes[i], '', 'en')).toBe(note);
        // Without the Python code and the names in it, no English is left.
        const korean = coreTextOf(noteCodes[i], '', 'ko').replace(/(model\.)?fit\(.*\)/, '');
        expect(korean.replace(/KernelLab|Keras|validation_split|ReduceLROnPlateau|step/g, '')).not.toMatch(/[A-Za-z]/);
      });
    }
  });

  it('refuses a layer Keras has no counterpart for, by name', () => {
    const alexnet = presets.find((p) => p.id === 'alexnet-28')!;
    expect(() => exportKeras(alexnet.spec)).toThrow(/layers\[1\] \(lrn\): Keras has no local response normalisation layer/);
  });

  it('writes no output layer option a spec does not have (ModelSpec round trip of a bare spec)', () => {
    const bare = ModelSpec.parse({ inputShape: [8, 8, 1], numClasses: 3, layers: [{ type: 'flatten' }] });
    expect(importKeras(exportKeras(bare).json).spec).toEqual(bare);
  });
});
