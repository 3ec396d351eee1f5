import * as tf from '@tensorflow/tfjs-core';
import type { RawSplit } from '../datasets/index.ts';

const EPSILON = 1e-7;

/** Keras' categorical cross-entropy on probabilities: clip, log, mean over the batch. */
export function crossEntropy(probs: tf.Tensor, oneHot: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(tf.clipByValue(probs, EPSILON, 1 - EPSILON))), -1))) as tf.Scalar);
}

/** Pixel value → the float a network sees: training, evaluation and the predictor read this one table. */
export const toUnit = new Float32Array(256).map((_, v) => v / 255);

/** One batch as tensors: pixels scaled to [0, 1], labels one-hot. */
export function batchTensors(split: RawSplit, order: ArrayLike<number> | null, start: number, end: number, numClasses: number) {
  const size = split.height * split.width * split.channels;
  const n = end - start;
  const pixels = new Float32Array(n * size);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const j = order ? order[start + i]! : start + i;
    const src = split.images.subarray(j * size, (j + 1) * size);
    const base = i * size;
    for (let p = 0; p < size; p++) pixels[base + p] = toUnit[src[p]!]!;
    labels[i] = split.labels[j]!;
  }
  const x = tf.tensor4d(pixels, [n, split.height, split.width, split.channels]);
  const labelTensor = tf.tensor1d(labels, 'int32');
  const y = tf.oneHot(labelTensor, numClasses);
  return { x, y, labels: labelTensor };
}
