import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { RawSplit } from '../datasets/index.ts';
import { batchTensors, crossEntropy } from './batches.ts';
import { regularizationPenalty } from './trainStep.ts';

export interface EvaluationResult {
  loss: number;
  accuracy: number;
  confusion?: number[][];
  perClass?: { label: string; precision: number; recall: number; f1: number; support: number }[];
  /** Indices into the evaluated split. */
  mostWrong?: { index: number; label: number; predicted: number; confidence: number }[];
}

/**
 * Loss and accuracy of a model on a split (inference mode: no dropout, BatchNorm's moving
 * statistics); with details, the confusion matrix, the per-class report and the most
 * confidently wrong examples.
 */
export async function evaluateModel(
  model: tfl.LayersModel,
  split: RawSplit,
  numClasses: number,
  options: { wantDetails: boolean; batchSize?: number; mistakes?: number },
): Promise<EvaluationResult> {
  const batchSize = options.batchSize ?? 500;
  let lossSum = 0;
  let correct = 0;
  const predicted = new Int32Array(split.count);
  const confidence = new Float32Array(split.count);
  for (let start = 0; start < split.count; start += batchSize) {
    const end = Math.min(start + batchSize, split.count);
    const { x, y, labels } = batchTensors(split, null, start, end, numClasses);
    const out = tf.tidy(() => {
      const probs = model.apply(x, { training: false }) as tf.Tensor2D;
      const loss = tf.mul(crossEntropy(probs, y), end - start);
      const argMax = tf.argMax(probs, -1);
      const maxProb = tf.max(probs, -1);
      const hits = tf.sum(tf.cast(tf.equal(argMax, labels), 'float32'));
      return { stats: tf.stack([loss, hits]), argMax, maxProb };
    });
    // Asynchronous reads: Chromium's WebGPU cannot read synchronously in a Worker (gpuhost/browserBackend.ts).
    const [l, h] = await out.stats.data();
    lossSum += l!;
    correct += h!;
    if (options.wantDetails) {
      predicted.set((await out.argMax.data()) as Int32Array, start);
      confidence.set((await out.maxProb.data()) as Float32Array, start);
    }
    tf.dispose([x, y, labels, out.stats, out.argMax, out.maxProb]);
  }
  // The weights do not change while evaluating: the penalty is added once, as Keras' mean of per-batch losses would.
  const penalty = regularizationPenalty(model);
  const penaltyValue = penalty ? (await penalty.data())[0]! : 0;
  penalty?.dispose();
  const result: EvaluationResult = { loss: lossSum / split.count + penaltyValue, accuracy: correct / split.count };
  if (!options.wantDetails) return result;

  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < split.count; i++) confusion[split.labels[i]!]![predicted[i]!]!++;
  result.confusion = confusion;
  result.perClass = confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predictedAsC = confusion.reduce((a, r) => a + r[c]!, 0);
    const precision = predictedAsC === 0 ? 0 : tp / predictedAsC;
    const recall = support === 0 ? 0 : tp / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { label: split.classNames[c] ?? String(c), precision, recall, f1, support };
  });
  const wrong: number[] = [];
  for (let i = 0; i < split.count; i++) if (predicted[i] !== split.labels[i]) wrong.push(i);
  wrong.sort((a, b) => confidence[b]! - confidence[a]! || a - b);
  result.mostWrong = wrong.slice(0, options.mistakes ?? 24).map((i) => ({
    index: i,
    label: split.labels[i]!,
    predicted: predicted[i]!,
    confidence: confidence[i]!,
  }));
  return result;
}
