import { describe, expect, it } from 'vitest';
import { layerSpec, newLayer, refusedLayer } from './modelDraft.ts';

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
});
