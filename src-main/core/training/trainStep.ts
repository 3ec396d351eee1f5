import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { crossEntropy } from './batches.ts';

/** The parts of one step, in order; the kernel profile (bench/kernelProfile.ts) attributes time to them. */
export type StepPhase = 'forward' | 'backward' | 'optimizer' | 'stats';

export interface StepModel {
  model: tfl.LayersModel;
  optimizer: tf.Optimizer;
  /** The model's trainable weights, in the order the optimizer saw them first. */
  vars: tf.Variable[];
}

export interface StepBatch {
  x: tf.Tensor;
  /** One-hot labels. */
  y: tf.Tensor;
  /** Class indices (int32). */
  labels: tf.Tensor;
}

const noPhase = (_phase: StepPhase): void => {};

/**
 * The regularisers' penalty (Σ l1·|w| + l2·w² over the layers that have one), or null without
 * any. Keras adds it to the loss it trains on and reports, in training and evaluation alike.
 */
export function regularizationPenalty(model: tfl.LayersModel): tf.Scalar | null {
  const penalties = model.calculateLosses();
  if (penalties.length === 0) return null;
  // tfjs' l1l2 answers a [1] tensor, not a scalar.
  return tf.tidy(() => tf.addN(penalties.map((p) => tf.reshape(p, []))) as tf.Scalar);
}

/**
 * One training step: forward with training behaviour (dropout masks, BatchNorm batch statistics),
 * Keras' cross-entropy plus the regularisers' penalty, gradients, the optimizer update. Returns a tensor of three numbers the
 * caller reads and disposes: [loss, correct predictions, weights guard]. The guard is 0 · Σw, which
 * is NaN as soon as one weight is: the clipped loss stays finite when the weights are not (and
 * wasm's relu/clamp turn NaN into numbers), so divergence is checked on both.
 */
export function trainStep(step: StepModel, batch: StepBatch, onPhase: (phase: StepPhase) => void = noPhase): tf.Tensor1D {
  const { model, optimizer, vars } = step;
  let stats: tf.Tensor | undefined;
  onPhase('forward');
  const { value, grads } = tf.variableGrads(() => {
    const probs = model.apply(batch.x, { training: true }) as tf.Tensor;
    const penalty = regularizationPenalty(model);
    const loss = penalty ? tf.add<tf.Scalar>(crossEntropy(probs, batch.y), penalty) : crossEntropy(probs, batch.y);
    stats = tf.keep(tf.stack([loss, tf.sum(tf.cast(tf.equal(tf.argMax(probs, -1), batch.labels), 'float32'))]));
    onPhase('backward');
    return loss;
  }, vars);
  onPhase('optimizer');
  optimizer.applyGradients(grads);
  onPhase('stats');
  const checked = tf.tidy(() => tf.concat([stats!, tf.reshape(tf.mul(tf.addN(vars.map((v) => tf.sum(v))), 0), [1])])) as tf.Tensor1D;
  tf.dispose([value, stats!, ...Object.values(grads)]);
  return checked;
}

/** One step's numbers, read back from the backend. */
export interface StepNumbers {
  batch: number;
  /** Images in the batch. */
  size: number;
  loss: number;
  correct: number;
  /** Loss and every weight finite after the step. */
  finite: boolean;
}

/**
 * The numbers of the steps taken since the last read, left on the backend until someone needs
 * them (a batchEnd message, the end of an epoch): reading a tensor waits for the backend to finish
 * every step queued before it, which on a GPU is a stall per step. Read all at once, in order,
 * they still tell the exact batch where training diverged.
 */
export class PendingSteps {
  #steps: { stats: tf.Tensor1D; batch: number; size: number }[] = [];

  add(stats: tf.Tensor1D, batch: number, size: number): void {
    this.#steps.push({ stats, batch, size });
  }

  /**
   * Reads every pending step with one read of the backend, oldest first. Asynchronous: a GPU
   * backend in a browser Worker cannot read synchronously (gpuhost/browserBackend.ts).
   */
  async read(): Promise<StepNumbers[]> {
    if (this.#steps.length === 0) return [];
    const steps = this.#steps;
    this.#steps = [];
    const all = tf.tidy(() => tf.concat(steps.map((s) => s.stats)));
    const values = await all.data();
    tf.dispose([all, ...steps.map((s) => s.stats)]);
    return steps.map((s, i) => {
      const [loss, correct, guard] = [values[3 * i]!, values[3 * i + 1]!, values[3 * i + 2]!];
      return { batch: s.batch, size: s.size, loss, correct, finite: Number.isFinite(loss) && Number.isFinite(guard) };
    });
  }

  dispose(): void {
    tf.dispose(this.#steps.map((s) => s.stats));
    this.#steps = [];
  }
}
