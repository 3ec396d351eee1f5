import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { deriveSeed } from '../random.ts';

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
