/**
 * Weight initialisers as Keras computes them, built from tfjs-layers' plain random initialisers.
 *
 * tfjs-layers has the same named initialisers, but its *_normal variance-scaling ones (he_normal,
 * glorot_normal, lecun_normal) draw from a normal truncated at two standard deviations without
 * Keras' correction, so their weights come out about 12% smaller than Keras' (stddev · 0.88).
 * Here every variance-scaling initialiser is Keras' formula: scale / max(1, fan), and for a
 * truncated normal the standard deviation divided by 0.87962566103423978 — the deviation of a
 * unit normal truncated at ±2 — so the drawn values have the intended deviation.
 *
 * The uniform ones call tfjs' randomUniform with the limit computed in tfjs' own order of
 * operations, so glorot_uniform — every KernelLab model's default before initialisers could be
 * chosen — draws exactly the weights it drew before (initializers.test.ts).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import type { Initializer, VarianceScalingName } from '../contract/training.ts';

type TflInitializer = ReturnType<typeof tfl.initializers.zeros>;

/** Keras' fans of a weight of this shape: a dense kernel [in, out], a conv kernel [kh, kw, in, out], a bias [n]. */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptiveField = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptiveField, fanOut: shape[shape.length - 1]! * receptiveField };
}

/** The standard deviation of a unit normal truncated at ±2 standard deviations (Keras' constant). */
export const truncatedUnitStddev = 0.87962566103423978;

const named: Record<VarianceScalingName, { scale: number; mode: 'fan_in' | 'fan_avg'; distribution: 'truncated_normal' | 'uniform' }> = {
  glorot_uniform: { scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  glorot_normal: { scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
  he_uniform: { scale: 2, mode: 'fan_in', distribution: 'uniform' },
  he_normal: { scale: 2, mode: 'fan_in', distribution: 'truncated_normal' },
  lecun_uniform: { scale: 1, mode: 'fan_in', distribution: 'uniform' },
  lecun_normal: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
};

function varianceScaling(
  shape: readonly number[],
  scaleArg: number,
  mode: 'fan_in' | 'fan_out' | 'fan_avg',
  distribution: 'truncated_normal' | 'untruncated_normal' | 'uniform',
  seed: number,
): TflInitializer {
  const { fanIn, fanOut } = computeFans(shape);
  let scale = scaleArg;
  if (mode === 'fan_in') scale /= Math.max(1, fanIn);
  else if (mode === 'fan_out') scale /= Math.max(1, fanOut);
  else scale /= Math.max(1, (fanIn + fanOut) / 2);
  switch (distribution) {
    case 'truncated_normal':
      return tfl.initializers.truncatedNormal({ mean: 0, stddev: Math.sqrt(scale) / truncatedUnitStddev, seed });
    case 'untruncated_normal':
      return tfl.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(scale), seed });
    case 'uniform': {
      const limit = Math.sqrt(3 * scale);
      return tfl.initializers.randomUniform({ minval: -limit, maxval: limit, seed });
    }
  }
}

/**
 * The tfjs initialiser for a weight of `shape` (fans depend on it). `seed` must not be 0: tfjs
 * reads 0 as "unseeded" (random.ts deriveSeed never returns it).
 */
export function makeInitializer(init: Initializer, shape: readonly number[], seed: number): TflInitializer {
  if (seed === 0) throw new Error('initialiser seed 0 means unseeded in tfjs; derive seeds with deriveSeed');
  switch (init.type) {
    case 'glorot_uniform':
    case 'glorot_normal':
    case 'he_uniform':
    case 'he_normal':
    case 'lecun_uniform':
    case 'lecun_normal': {
      const { scale, mode, distribution } = named[init.type];
      return varianceScaling(shape, scale, mode, distribution, seed);
    }
    case 'variance_scaling':
      return varianceScaling(shape, init.scale, init.mode, init.distribution, seed);
    case 'random_normal':
      return tfl.initializers.randomNormal({ mean: init.mean, stddev: init.stddev, seed });
    case 'truncated_normal':
      return tfl.initializers.truncatedNormal({ mean: init.mean, stddev: init.stddev, seed });
    case 'random_uniform':
      return tfl.initializers.randomUniform({ minval: init.minval, maxval: init.maxval, seed });
    case 'zeros':
      return tfl.initializers.zeros();
    case 'ones':
      return tfl.initializers.ones();
    case 'constant':
      return tfl.initializers.constant({ value: init.value });
    default: {
      const unknown: never = init;
      throw new Error(`unknown initialiser ${JSON.stringify(unknown)}`);
    }
  }
}
