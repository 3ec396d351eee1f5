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
import type { ModelSpec } from '../contract/training.ts';
import { buildModel } from '../models/buildModel.ts';
import { loadCheckpointWeights } from '../training/checkpointIO.ts';

export interface ExportedModel {
  /** model.json: the topology (stock classes) and the weights manifest pointing at weights.bin. */
  modelJson: string;
  weights: Uint8Array;
}

/** The weights of checkpoint folder `dir` (of a run of `spec`) as a portable TF.js Layers model. */
export async function exportCheckpoint(dir: string, spec: ModelSpec): Promise<ExportedModel> {
  // The seed is unused: a portable model has no seeded initialisers or dropout, and the
  // checkpoint's weights replace the initial ones.
  const model = buildModel(spec, 1, { portable: true });
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
