import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../random.ts';
import { batchNormTraining } from './batchNormTraining.ts';

type Kwargs = Record<string, unknown>;
type LayerArgs = ConstructorParameters<typeof tfl.layers.Layer>[0];

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0]! : inputs;
}

/**
 * Local response normalisation (AlexNet). tfjs-layers has no such layer; this one wraps
 * tf.localResponseNormalization and registers itself so model.json round-trips.
 */
export class LocalResponseNormalization extends tfl.layers.Layer {
  static className = 'KernelLabLRN';
  readonly depthRadius: number;
  readonly bias: number;
  readonly alpha: number;
  readonly beta: number;

  constructor(args: LayerArgs & { depthRadius: number; bias: number; alpha: number; beta: number }) {
    super(args);
    this.depthRadius = args.depthRadius;
    this.bias = args.bias;
    this.alpha = args.alpha;
    this.beta = args.beta;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.localResponseNormalization(single(inputs) as tf.Tensor4D, this.depthRadius, this.bias, this.alpha, this.beta));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), depthRadius: this.depthRadius, bias: this.bias, alpha: this.alpha, beta: this.beta };
  }
}
tf.serialization.registerClass(LocalResponseNormalization);

/**
 * Which training step is running, shared by every SeededDropout layer. The training loop sets it
 * before each step so masks depend on (run seed, layer, step) only: reproducible, resumable, and
 * fresh every step (tfjs' own dropout with a fixed seed repeats one mask forever).
 */
export const dropoutClock = { step: 0 };

export class SeededDropout extends tfl.layers.Layer {
  static className = 'KernelLabDropout';
  readonly rate: number;
  readonly seed: number;

  constructor(args: LayerArgs & { rate: number; seed: number }) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    const x = single(inputs);
    if (kwargs['training'] !== true) return tf.clone(x);
    return tf.tidy(() => tf.dropout(x, this.rate, undefined, deriveSeed(this.seed, `step ${dropoutClock.step}`)));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);

type LayerVariable = ReturnType<BatchNorm['weightOf']>;

/**
 * Keras' BatchNormalization over the last axis — same weights in the same order (gamma, beta,
 * moving_mean, moving_variance), initialisers, momentum and epsilon as tfjs-layers' layer, so
 * checkpoints are interchangeable — whose training pass is batchNormTraining: a few fused kernels
 * where the backend has them (wasm), tfjs-layers' own ops elsewhere.
 */
export class BatchNorm extends tfl.layers.Layer {
  static className = 'KernelLabBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  #gamma: LayerVariable | null = null;
  #beta: LayerVariable | null = null;
  #movingMean: LayerVariable | null = null;
  #movingVariance: LayerVariable | null = null;

  constructor(args: LayerArgs & { momentum: number; epsilon: number }) {
    super(args);
    this.momentum = args.momentum;
    this.epsilon = args.epsilon;
    this.supportsMasking = true;
  }

  /** addWeight is protected; its return type names tfjs-layers' LayerVariable, which it does not export. */
  weightOf(name: string, shape: number[], initializer: ReturnType<typeof tfl.initializers.ones>, trainable: boolean) {
    return this.addWeight(name, shape, 'float32', initializer, undefined, trainable);
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const channels = shape[shape.length - 1];
    if (channels == null) throw new Error(`batchNorm: the last axis of ${JSON.stringify(shape)} has no size`);
    this.#gamma = this.weightOf('gamma', [channels], tfl.initializers.ones(), true);
    this.#beta = this.weightOf('beta', [channels], tfl.initializers.zeros(), true);
    this.#movingMean = this.weightOf('moving_mean', [channels], tfl.initializers.zeros(), false);
    this.#movingVariance = this.weightOf('moving_variance', [channels], tfl.initializers.ones(), false);
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = single(inputs);
      const gamma = this.#gamma!.read() as tf.Tensor1D;
      const beta = this.#beta!.read() as tf.Tensor1D;
      if (kwargs['training'] !== true)
        return tf.batchNorm(
          x,
          this.#movingMean!.read() as tf.Tensor1D,
          this.#movingVariance!.read() as tf.Tensor1D,
          beta,
          gamma,
          this.epsilon,
        );
      const { y, mean, variance } = batchNormTraining(x, gamma, beta, this.epsilon);
      // tfjs-layers' moving average, to the operation: v ← v − (v − batch) · (1 − momentum).
      const decay = 1 - this.momentum;
      for (const [moving, batch] of [
        [this.#movingMean!, mean],
        [this.#movingVariance!, variance],
      ] as const) {
        tf.tidy(() => {
          const current = moving.read();
          moving.write(tf.sub(current, tf.mul(tf.sub(current, batch), decay)));
        });
      }
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(BatchNorm);
