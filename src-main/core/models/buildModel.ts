import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../random.ts';
import { BatchNorm, LocalResponseNormalization, SeededDropout } from './customLayers.ts';
import type { ModelSpec } from '../contract/training.ts';
import { inferShapes } from './shapeInference.ts';

/**
 * Builds the tfjs model for a spec. Every initializer gets a seed derived from the run seed and
 * the layer index (tfjs treats seed 0 as "unseeded", deriveSeed never returns 0), so the same
 * spec and seed give the same initial weights on every backend.
 */
export function buildModel(spec: ModelSpec, seed: number): tfl.Sequential {
  // Refuse an impossible spec with the layer, formula and numbers before tfjs throws its own message.
  inferShapes(spec);
  const model = tfl.sequential({ name: spec.name.replace(/[^A-Za-z0-9_]/g, '_') || 'model' });
  const kernel = (index: number) => tfl.initializers.glorotUniform({ seed: deriveSeed(seed, `layer ${index} kernel`) });
  spec.layers.forEach((layer, index) => {
    const first = index === 0 ? { inputShape: spec.inputShape } : {};
    switch (layer.type) {
      case 'conv2d':
        model.add(
          tfl.layers.conv2d({
            ...first,
            filters: layer.filters,
            kernelSize: layer.kernelSize,
            strides: layer.strides,
            padding: layer.padding,
            activation: layer.activation,
            kernelInitializer: kernel(index),
          }),
        );
        break;
      case 'maxPool2d':
      case 'avgPool2d': {
        const args = { ...first, poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, padding: layer.padding };
        model.add(layer.type === 'maxPool2d' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args));
        break;
      }
      case 'batchNorm':
        model.add(new BatchNorm({ ...first, momentum: layer.momentum, epsilon: layer.epsilon }));
        break;
      case 'dropout':
        model.add(new SeededDropout({ ...first, rate: layer.rate, seed: deriveSeed(seed, `layer ${index} dropout`) }));
        break;
      case 'lrn':
        model.add(
          new LocalResponseNormalization({
            ...first,
            depthRadius: layer.depthRadius,
            bias: layer.bias,
            alpha: layer.alpha,
            beta: layer.beta,
          }),
        );
        break;
      case 'flatten':
        model.add(tfl.layers.flatten(first));
        break;
      case 'dense':
        model.add(tfl.layers.dense({ ...first, units: layer.units, activation: layer.activation, kernelInitializer: kernel(index) }));
        break;
      default: {
        const unknown: never = layer;
        throw new Error(`unknown layer ${JSON.stringify(unknown)}`);
      }
    }
  });
  model.add(
    tfl.layers.dense({
      ...(spec.layers.length === 0 ? { inputShape: spec.inputShape } : {}),
      units: spec.numClasses,
      activation: 'softmax',
      kernelInitializer: kernel(spec.layers.length),
    }),
  );
  return model;
}
