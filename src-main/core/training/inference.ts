/**
 * The predictor's side of inference, inside a worker process that stays up (worker.ts hands it
 * every 'infer' message): models built from their spec and loaded from a checkpoint are kept in a
 * small least-recently-used cache, so the second question about the same runs costs a forward
 * pass, not a process start, a tfjs load and a weights read.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '../models/buildModel.ts';
import { toUnit } from './batches.ts';
import { loadCheckpointWeights } from './checkpointIO.ts';
import type { InferModel, InferRequest, Inferred, InferredMap, InferResult } from './inferenceProtocol.ts';

/** Models kept loaded: ten runs side by side stay warm, and a few more for going back and forth. */
export const cachedModels = 16;

/** Layers whose activations a feature-map view shows. */
const mapLayers = new Set(['conv2d', 'maxPool2d', 'avgPool2d']);

interface Loaded {
  model: tfl.LayersModel;
  /** The same layers with every conv and pooling output as an extra output; built on first use. */
  probe: tfl.LayersModel | null;
  probeLayers: { index: number; type: string }[];
}

const cache = new Map<string, Loaded>();

function evict(key: string): void {
  const loaded = cache.get(key);
  cache.delete(key);
  // The probe shares the model's layers and weights: disposing the model frees both.
  loaded?.model.dispose();
}

function load(entry: InferModel): Loaded {
  const hit = cache.get(entry.key);
  if (hit) {
    // Most recently used last: a Map keeps insertion order.
    cache.delete(entry.key);
    cache.set(entry.key, hit);
    return hit;
  }
  const model = buildModel(entry.spec, 1);
  try {
    loadCheckpointWeights(entry.checkpointDir, model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const loaded: Loaded = { model, probe: null, probeLayers: [] };
  cache.set(entry.key, loaded);
  while (cache.size > cachedModels) evict(cache.keys().next().value!);
  return loaded;
}

function probeOf(loaded: Loaded, entry: InferModel): tfl.LayersModel {
  if (!loaded.probe) {
    loaded.probeLayers = entry.spec.layers.flatMap((layer, index) => (mapLayers.has(layer.type) ? [{ index, type: layer.type }] : []));
    const outputs = loaded.probeLayers.map(({ index }) => loaded.model.layers[index]!.output as tfl.SymbolicTensor);
    loaded.probe = tfl.model({ inputs: loaded.model.inputs, outputs: [...outputs, loaded.model.outputs[0]!] });
  }
  return loaded.probe;
}

function inputOf(entry: InferModel): tf.Tensor4D {
  const [height, width, channels] = entry.spec.inputShape;
  if (entry.image.length !== height * width * channels) {
    throw new Error(`the image has ${entry.image.length} pixel values; the model takes ${height}×${width}×${channels}`);
  }
  // The same table training scales with (batches.ts), so the network sees what it learned on.
  const pixels = new Float32Array(entry.image.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = toUnit[entry.image[i]!]!;
  return tf.tensor4d(pixels, [1, height, width, channels]);
}

function inferOne(entry: InferModel, featureMaps: boolean): InferResult {
  const loaded = load(entry);
  if (!featureMaps) {
    const probabilities = tf.tidy(() => (loaded.model.predict(inputOf(entry)) as tf.Tensor).dataSync() as Float32Array);
    return { ok: true, probabilities: Float32Array.from(probabilities), maps: [] };
  }
  const probe = probeOf(loaded, entry);
  return tf.tidy(() => {
    const outputs = probe.predict(inputOf(entry)) as tf.Tensor[];
    const maps: InferredMap[] = loaded.probeLayers.map(({ index, type }, i) => {
      const [, h, w, c] = outputs[i]!.shape as [number, number, number, number];
      return { index, type, shape: [h, w, c], data: Float32Array.from(outputs[i]!.dataSync() as Float32Array) };
    });
    return { ok: true, probabilities: Float32Array.from(outputs.at(-1)!.dataSync() as Float32Array), maps };
  });
}

/** Answers one request; a model that fails (a damaged checkpoint, a wrong image size) fails alone. */
export function infer(request: InferRequest, backend: string): Inferred {
  const results = request.models.map((entry): InferResult => {
    try {
      return inferOne(entry, request.featureMaps);
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  });
  return { type: 'inferred', id: request.id, results, backend };
}

/** Models loaded now (tests check the cache's bound). */
export function loadedModels(): number {
  return cache.size;
}
