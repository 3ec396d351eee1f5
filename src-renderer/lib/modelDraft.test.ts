import { afterEach, describe, expect, it } from 'vitest';
import { m } from '../../i18n/paraglide/messages.js';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import {
  initializerParams,
  kerasCall,
  kerasClass,
  layerDraft,
  layerFields,
  layerSpec,
  newInitializer,
  newLayer,
  outputDraft,
  outputFields,
  outputSpec,
  refusedLayer,
  type LayerType,
} from './modelDraft.ts';

describe('model drafts', () => {
  it('turns a draft layer into spec JSON, leaving out an empty optional stride', () => {
    expect(layerSpec(newLayer('maxPool2d'))).toEqual({ type: 'maxPool2d', poolSize: 2, padding: 'valid' });
    expect(layerSpec({ ...newLayer('conv2d'), kernelSize: '5' as unknown as number })).toMatchObject({ kernelSize: 5 });
  });

  it('keeps an emptied required field as null so the core names it', () => {
    expect(layerSpec({ ...newLayer('dense'), units: '' as unknown as number })).toMatchObject({ units: null });
  });

  it('finds the layer the core refused', () => {
    expect(refusedLayer('layers[2] (conv2d): height = floor((12 + 0 − 13) / 1) + 1 = 0')).toBe(2);
    expect(refusedLayer('numClasses: too small')).toBeNull();
  });

  it("sends an initialiser's own numbers only, and a regulariser only when one factor is set", () => {
    const conv = {
      ...newLayer('conv2d'),
      kernelInitializer: { ...newInitializer('truncated_normal'), stddev: 0.1, value: 3 },
      kernelRegularizer: { l1: '' as const, l2: 0.001 },
      biasRegularizer: { l1: 0, l2: '' as const },
    };
    expect(layerSpec(conv)).toMatchObject({
      kernelInitializer: { type: 'truncated_normal', mean: 0, stddev: 0.1 },
      biasInitializer: { type: 'zeros' },
      useBias: true,
      kernelRegularizer: { l1: 0, l2: 0.001 },
    });
    expect(layerSpec(conv)).not.toHaveProperty('biasRegularizer');
    expect(outputSpec({ ...outputDraft(undefined), useBias: false })).toEqual({
      kernelInitializer: { type: 'glorot_uniform' },
      biasInitializer: { type: 'zeros' },
      useBias: false,
    });
  });

  it('opens a spec layer (a preset, an imported Keras model) as a draft and gives the same spec back', () => {
    const layer = {
      type: 'dense' as const,
      units: 1024,
      activation: 'relu' as const,
      kernelInitializer: { type: 'truncated_normal' as const, stddev: 0.1 },
      biasInitializer: 'ones' as const,
      kernelRegularizer: { l2: 0.01 },
    };
    expect(layerSpec(layerDraft(layer))).toEqual({
      type: 'dense',
      units: 1024,
      activation: 'relu',
      kernelInitializer: { type: 'truncated_normal', mean: 0, stddev: 0.1 },
      biasInitializer: { type: 'ones' },
      useBias: true,
      kernelRegularizer: { l1: 0, l2: 0.01 },
    });
    expect(layerSpec(layerDraft({ type: 'maxPool2d', poolSize: 3 }))).toEqual({ type: 'maxPool2d', poolSize: 3, padding: 'valid' });
  });
});

describe("the builder's field labels", () => {
  afterEach(() => setLocale('en', { reload: false }));

  const everyField = () => [
    ...(Object.keys(layerFields) as LayerType[]).flatMap((type) =>
      layerFields[type].map((f) => ({ at: `${type}.${f.name}`, label: f.label(), keras: f.keras, owner: kerasClass[type] })),
    ),
    ...outputFields.map((f) => ({ at: `output.${f.name}`, label: f.label(), keras: f.keras, owner: kerasClass.output })),
  ];
  const everyParam = () =>
    Object.entries(initializerParams).flatMap(([type, params]) => params.map((p) => ({ at: `${type}.${p.name}`, label: p.label() })));

  it('reads in English as before', () => {
    const labels = Object.fromEntries(everyField().map((f) => [f.at, f.label]));
    expect(labels).toMatchObject({
      'conv2d.filters': 'filters',
      'conv2d.kernelSize': 'kernel',
      'conv2d.strides': 'stride',
      'conv2d.padding': 'padding',
      'conv2d.activation': 'activation',
      'conv2d.kernelInitializer': 'kernel init',
      'conv2d.biasInitializer': 'bias init',
      'conv2d.useBias': 'bias',
      'conv2d.kernelRegularizer': 'kernel L1/L2',
      'conv2d.biasRegularizer': 'bias L1/L2',
      'maxPool2d.poolSize': 'pool',
      'batchNorm.momentum': 'momentum',
      'batchNorm.epsilon': 'epsilon',
      'dropout.rate': 'rate',
      'lrn.depthRadius': 'radius',
      'lrn.bias': 'bias',
      'lrn.alpha': 'alpha',
      'lrn.beta': 'beta',
      'dense.units': 'units',
      'output.useBias': 'bias',
    });
    expect(Object.fromEntries(everyParam().map((p) => [p.at, p.label]))).toMatchObject({
      'variance_scaling.scale': 'scale',
      'variance_scaling.mode': 'mode',
      'variance_scaling.distribution': 'distribution',
      'random_normal.mean': 'mean',
      'random_normal.stddev': 'stddev',
      'random_uniform.minval': 'min',
      'random_uniform.maxval': 'max',
      'constant.value': 'value',
    });
    expect(m.builder_keras_title({ call: kerasCall(kerasClass.conv2d, 'kernel_size') })).toBe('In a Keras script: Conv2D(kernel_size=…)');
  });

  it('reads in Korean with no English left, and names the Keras argument in both languages', () => {
    setLocale('ko', { reload: false });
    const fields = everyField();
    expect(fields.length).toBeGreaterThan(20);
    for (const field of [...fields, ...everyParam()]) {
      expect(field.label, field.at).toMatch(/[\uac00-\ud7a3]/);
      // L1 and L2 are the regularisers' own names.
      expect(field.label.replace(/L1\/L2/, ''), field.at).not.toMatch(/[A-Za-z]/);
    }
    expect(Object.fromEntries(fields.map((f) => [f.at, f.label]))).toMatchObject({
      'conv2d.filters': '필터 수',
      'conv2d.kernelSize': '커널 크기',
      'dropout.rate': '드롭아웃 비율',
      'dense.units': '유닛 수',
    });
    for (const field of fields) expect(field.keras, field.at).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(m.builder_keras_title({ call: kerasCall(kerasClass.maxPool2d, 'pool_size') })).toBe(
      'Keras 스크립트에서: MaxPooling2D(pool_size=…)',
    );
  });
});
