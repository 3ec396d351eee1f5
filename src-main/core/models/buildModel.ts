import * as tfl from '@tensorflow/tfjs-layers';
import { coded } from '../errors.ts';
import { deriveSeed } from '../random.ts';
import { BatchNorm, LocalResponseNormalization, SeededDropout } from './customLayers.ts';
import type { LayerSpec, ModelSpec, Regularizer } from '../contract/training.ts';
import { makeInitializer } from './initializers.ts';
import { inferShapes, type LayerRow } from './shapeInference.ts';

type WeightFields = ModelSpec['output'];

const regularizer = (r: Regularizer | undefined) =>
  r && (r.l1 > 0 || r.l2 > 0) ? tfl.regularizers.l1l2({ l1: r.l1, l2: r.l2 }) : undefined;

/**
 * Builds the tfjs model for a spec. Every initializer gets a seed derived from the run seed and
 * the layer index (tfjs treats seed 0 as "unseeded", deriveSeed never returns 0), so the same
 * spec and seed give the same initial weights on every backend.
 */
export interface BuildOptions {
  /**
   * Stock tfjs-layers classes only, each with a Keras counterpart, and no initialisers or
   * regularisers: a model that `tf.loadLayersModel` loads anywhere once trained weights are loaded
   * into it (inspect/exportModel.ts). Local response normalisation has no such class: refused.
   */
  portable?: boolean;
}

export function buildModel(spec: ModelSpec, seed: number, { portable = false }: BuildOptions = {}): tfl.Sequential {
  // Refuse an impossible spec with the layer, formula and numbers before tfjs throws its own message.
  const { rows } = inferShapes(spec);
  const model = tfl.sequential({ name: spec.name.replace(/[^A-Za-z0-9_]/g, '_') || 'model' });
  const build: BuildContext = { spec, seed, portable, rows };
  spec.layers.forEach((layer, index) => model.add(tfLayer(build, layer, index)));
  const outputIndex = spec.layers.length;
  model.add(
    tfl.layers.dense({
      ...(outputIndex === 0 ? { inputShape: spec.inputShape } : {}),
      units: spec.numClasses,
      activation: 'softmax',
      ...weights(build, outputIndex, spec.output, [inputOf(build, outputIndex)[0]!, spec.numClasses], spec.numClasses),
    }),
  );
  return model;
}

interface BuildContext {
  spec: ModelSpec;
  seed: number;
  portable: boolean;
  /** The shape inference's rows: a layer's input is the previous row's output. */
  rows: LayerRow[];
}

type TfLayer = Parameters<tfl.Sequential['add']>[0];

/** The tfjs layer for one layer of the spec (the first one also declares the model's input shape). */
function tfLayer(build: BuildContext, layer: LayerSpec, index: number): TfLayer {
  const { spec, seed, portable } = build;
  const first = index === 0 ? { inputShape: spec.inputShape } : {};
  switch (layer.type) {
    case 'conv2d': {
      const channels = inputOf(build, index)[2]!;
      return tfl.layers.conv2d({
        ...first,
        filters: layer.filters,
        kernelSize: layer.kernelSize,
        strides: layer.strides,
        padding: layer.padding,
        activation: layer.activation,
        ...weights(build, index, layer, [layer.kernelSize, layer.kernelSize, channels, layer.filters], layer.filters),
      });
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const args = { ...first, poolSize: layer.poolSize, strides: layer.strides ?? layer.poolSize, padding: layer.padding };
      return layer.type === 'maxPool2d' ? tfl.layers.maxPooling2d(args) : tfl.layers.averagePooling2d(args);
    }
    case 'batchNorm': {
      const args = { ...first, momentum: layer.momentum, epsilon: layer.epsilon };
      return portable ? tfl.layers.batchNormalization({ ...args, axis: -1 }) : new BatchNorm(args);
    }
    case 'dropout':
      return portable
        ? tfl.layers.dropout({ ...first, rate: layer.rate })
        : new SeededDropout({ ...first, rate: layer.rate, seed: deriveSeed(seed, `layer ${index} dropout`) });
    case 'lrn':
      if (portable)
        throw coded(
          'invalid_input',
          `layers[${index}] (lrn): local response normalisation has no Keras layer and no stock tfjs layer, so this model cannot be exported as a portable TF.js Layers model; its checkpoint loads only in KernelLab (replace lrn with batchNorm to export)`,
          'model_export_lrn',
          { index },
        );
      return new LocalResponseNormalization({
        ...first,
        depthRadius: layer.depthRadius,
        bias: layer.bias,
        alpha: layer.alpha,
        beta: layer.beta,
      });
    case 'flatten':
      return tfl.layers.flatten(first);
    case 'dense':
      return tfl.layers.dense({
        ...first,
        units: layer.units,
        activation: layer.activation,
        ...weights(build, index, layer, [inputOf(build, index)[0]!, layer.units], layer.units),
      });
    case 'activation':
      return tfl.layers.activation({ ...first, activation: layer.activation });
    default: {
      const unknown: never = layer;
      throw new Error(`unknown layer ${JSON.stringify(unknown)}`);
    }
  }
}

function inputOf(build: BuildContext, index: number): readonly number[] {
  return index === 0 ? build.spec.inputShape : build.rows[index - 1]!.outputShape;
}

/** Initialisers and regularisers of a layer with weights: Keras' fans need the kernel's shape. */
function weights(build: BuildContext, index: number, fields: WeightFields, kernelShape: number[], units: number) {
  if (build.portable) return { useBias: fields.useBias };
  const { seed } = build;
  return {
    kernelInitializer: makeInitializer(fields.kernelInitializer, kernelShape, deriveSeed(seed, `layer ${index} kernel`)),
    biasInitializer: makeInitializer(fields.biasInitializer, [units], deriveSeed(seed, `layer ${index} bias`)),
    useBias: fields.useBias,
    kernelRegularizer: regularizer(fields.kernelRegularizer),
    biasRegularizer: fields.useBias ? regularizer(fields.biasRegularizer) : undefined,
  };
}
