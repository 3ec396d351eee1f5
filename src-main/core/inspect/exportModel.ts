/**
 * A run's trained weights as a TF.js Layers model (model.json + weights.bin) that
 * `tf.loadLayersModel` loads anywhere and `tensorflowjs_converter --input_format=tfjs_layers_model
 * --output_format=keras` turns into a Keras model.
 *
 * A checkpoint's own model.json names KernelLab's training layers (KernelLabDropout with its
 * per-step seeded masks, KernelLabBatchNorm with its fused training pass, seeded initialisers):
 * only KernelLab can load it. The export rebuilds the same architecture from stock tfjs-layers
 * classes — which have Keras counterparts — and loads the checkpoint's weights into it (the same
 * weights in the same order: BatchNormalization keeps gamma, beta, moving mean, moving variance).
 * Both agree in inference, which is all an exported model does. Local response normalisation
 * (AlexNet-28's lrn) has no Keras layer and no stock tfjs layer: such a model is refused with
 * that reason, as the Keras spec export refuses it.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelSpec } from '../contract/training.ts';
import { KernelLabError } from '../errors.ts';
import { loadCheckpointWeights } from '../training/checkpointIO.ts';

/** The spec's model from stock tfjs-layers classes only, with untrained weights (load a checkpoint into it). */
export function buildPortableModel(spec: ModelSpec): tfl.Sequential {
  const model = tfl.sequential({ name: spec.name.replace(/[^A-Za-z0-9_]/g, '_') || 'model' });
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
            useBias: layer.useBias,
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
        model.add(tfl.layers.batchNormalization({ ...first, axis: -1, momentum: layer.momentum, epsilon: layer.epsilon }));
        break;
      case 'dropout':
        model.add(tfl.layers.dropout({ ...first, rate: layer.rate }));
        break;
      case 'lrn':
        throw new KernelLabError(
          'invalid_input',
          `layers[${index}] (lrn): local response normalisation has no Keras layer and no stock tfjs layer, so this model cannot be exported as a portable TF.js Layers model; its checkpoint loads only in KernelLab (replace lrn with batchNorm to export)`,
        );
      case 'flatten':
        model.add(tfl.layers.flatten(first));
        break;
      case 'dense':
        model.add(tfl.layers.dense({ ...first, units: layer.units, activation: layer.activation, useBias: layer.useBias }));
        break;
      case 'activation':
        model.add(tfl.layers.activation({ ...first, activation: layer.activation }));
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
      useBias: spec.output.useBias,
    }),
  );
  return model;
}

export interface ExportedModel {
  /** model.json: the topology (stock classes) and the weights manifest pointing at weights.bin. */
  modelJson: string;
  weights: Uint8Array;
}

/** The weights of checkpoint folder `dir` (of a run of `spec`) as a portable TF.js Layers model. */
export async function exportCheckpoint(dir: string, spec: ModelSpec): Promise<ExportedModel> {
  const model = buildPortableModel(spec);
  try {
    loadCheckpointWeights(dir, model);
    let exported: ExportedModel | null = null;
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const data = artifacts.weightData ?? new ArrayBuffer(0);
        const weights = new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
        const modelJson = {
          format: 'layers-model',
          generatedBy: artifacts.generatedBy,
          convertedBy: 'KernelLab',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        };
        exported = { modelJson: JSON.stringify(modelJson), weights };
        return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
      }),
    );
    return exported!;
  } finally {
    model.dispose();
  }
}
