/**
 * The model builder's tooltips name the Keras class and argument each field is
 * (src-renderer/lib/modelDraft.ts), so a user can find it in a Keras script. The page cannot import
 * the export (types only), so it keeps its own table; this checks that table against what the
 * export writes for the builder's own layers.
 */
import { describe, expect, it } from 'vitest';
import {
  initializerParams,
  kerasClass,
  kerasInitializerClass,
  layerFields,
  layerSpec,
  newInitializer,
  newLayer,
  outputFields,
  type LayerType,
} from '../../../../src-renderer/lib/modelDraft.ts';
import { ModelSpec, type InitializerName } from '../../contract/training.ts';
import { exportKeras } from './kerasExport.ts';

type KerasObject = { class_name: string; config: Record<string, unknown> };

describe("the builder's Keras names", () => {
  it('are the classes and arguments the Keras export writes', () => {
    // Every layer type but lrn, which Keras has no layer for (the export refuses it).
    const types = (Object.keys(layerFields) as LayerType[]).filter((t) => t !== 'lrn' && t !== 'flatten' && t !== 'dense');
    const withNumbers = (Object.keys(initializerParams) as InitializerName[]).filter((t) => initializerParams[t].length > 0);
    const layers = [
      ...withNumbers.map((t) => layerSpec({ ...newLayer('conv2d'), kernelSize: 1, kernelInitializer: newInitializer(t) })),
      ...types.map((t) => layerSpec(newLayer(t))),
      layerSpec(newLayer('flatten')),
      layerSpec(newLayer('dense')),
    ];
    const spec = ModelSpec.parse({ name: 'builder', inputShape: [28, 28, 1], numClasses: 10, layers });
    const model = JSON.parse(exportKeras(spec).json) as { config: { layers: KerasObject[] } };
    const written = model.config.layers.slice(1);
    expect(written).toHaveLength(spec.layers.length + 1);

    spec.layers.forEach((layer, i) => {
      const keras = written[i]!;
      expect(keras.class_name, `layer ${i}`).toBe(kerasClass[layer.type]);
      for (const field of layerFields[layer.type]) expect(Object.keys(keras.config), `${layer.type}.${field.name}`).toContain(field.keras);
    });
    const output = written.at(-1)!;
    expect(output.class_name).toBe(kerasClass.output);
    for (const field of outputFields) expect(Object.keys(output.config), `output.${field.name}`).toContain(field.keras);

    withNumbers.forEach((type, i) => {
      const initializer = written[i]!.config.kernel_initializer as KerasObject;
      expect(initializer.class_name).toBe(kerasInitializerClass[type]);
      for (const param of initializerParams[type]) expect(Object.keys(initializer.config), `${type}.${param.name}`).toContain(param.name);
    });
  });
});
