import { describe, expect, it } from 'vitest';
import { layerDraft, layerSpec, newInitializer, newLayer, outputDraft, outputSpec, refusedLayer } from './modelDraft.ts';

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
