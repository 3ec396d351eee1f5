import { KernelLabError } from '../errors.ts';
import { deriveSeed, SeededRandom } from '../random.ts';
import type { RawSplit } from './load.ts';

/** Per-channel mean and standard deviation of pixel values scaled to [0, 1]. */
export interface ChannelStats {
  mean: number[];
  std: number[];
}

export type Scaling = 'minmax' | 'standardize';

/** Mean and std per channel of NHWC uint8 images, on the [0, 1] scale. Compute it on the training split only. */
export function channelStats(images: Uint8Array, channels: number): ChannelStats {
  const sum = new Float64Array(channels);
  const sumSq = new Float64Array(channels);
  // Integer histograms keep this exact and fast: 256 buckets per channel.
  const hist = new Float64Array(channels * 256);
  for (let i = 0, c = 0; i < images.length; i++) {
    hist[c * 256 + images[i]!]!++;
    if (++c === channels) c = 0;
  }
  const n = images.length / channels;
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) {
      const count = hist[c * 256 + v]!;
      sum[c]! += count * v;
      sumSq[c]! += count * v * v;
    }
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = sum[c]! / n;
    mean.push(m / 255);
    std.push(Math.sqrt(Math.max(0, sumSq[c]! / n - m * m)) / 255);
  }
  return { mean, std };
}

/**
 * uint8 NHWC → float32. `minmax` maps 0..255 to [0, 1]. `standardize` subtracts the per-channel
 * mean and divides by the std: pass the training split's stats when scaling test data (they are
 * computed from `images` when absent, so call it on the training split first and reuse the
 * returned stats).
 */
export function toFloat(
  images: Uint8Array,
  scaling: Scaling,
  options: { channels: number; stats?: ChannelStats },
): { data: Float32Array; stats: ChannelStats | null } {
  const { channels } = options;
  const data = new Float32Array(images.length);
  if (scaling === 'minmax') {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = v / 255;
    for (let i = 0; i < images.length; i++) data[i] = lut[images[i]!]!;
    return { data, stats: null };
  }
  const stats = options.stats ?? channelStats(images, channels);
  if (stats.mean.length !== channels || stats.std.length !== channels) {
    throw new KernelLabError('invalid_input', `standardization stats have ${stats.mean.length} channels; the images have ${channels}`);
  }
  // One lookup table per channel: 256 values each.
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    const sd = stats.std[c]!;
    const s = sd > 0 ? sd : 1;
    const mean = stats.mean[c]!;
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - mean) / s;
  }
  for (let i = 0, c = 0; i < images.length; i++) {
    data[i] = lut[c * 256 + images[i]!]!;
    if (++c === channels) c = 0;
  }
  return { data, stats };
}

/** Labels as one-hot rows: count × numClasses float32. */
export function oneHot(labels: Uint8Array, numClasses = 10): Float32Array {
  const out = new Float32Array(labels.length * numClasses);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label >= numClasses) throw new KernelLabError('invalid_input', `label ${label} at ${i} is outside 0..${numClasses - 1}`);
    out[i * numClasses + label] = 1;
  }
  return out;
}

function byClass(labels: Uint8Array): number[][] {
  const classes: number[][] = [];
  for (let i = 0; i < labels.length; i++) (classes[labels[i]!] ??= []).push(i);
  return classes;
}

const sorted = (indices: number[]): Uint32Array => Uint32Array.from(indices).sort();

/**
 * A stratified, seeded validation split: from each class, round(n·fraction) examples (chosen by
 * the seed) go to validation. Both index lists come back in ascending order.
 */
export function stratifiedSplit(labels: Uint8Array, fraction: number, seed: number): { train: Uint32Array; validation: Uint32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new KernelLabError('invalid_input', `validation fraction ${fraction} must be in [0, 1)`);
  const rng = new SeededRandom(deriveSeed(seed, 'validation-split'));
  const train: number[] = [];
  const validation: number[] = [];
  for (const members of byClass(labels)) {
    if (!members) continue;
    rng.shuffle(members);
    const k = Math.round(members.length * fraction);
    validation.push(...members.slice(0, k));
    train.push(...members.slice(k));
  }
  return { train: sorted(train), validation: sorted(validation) };
}

/**
 * Keras' `validation_split`: the last fraction of the examples as they are stored (before any
 * shuffling) is held out, the first ⌊count · (1 − fraction)⌋ train — Keras' own arithmetic, so
 * the same fraction holds out the same number of images.
 */
export function tailSplit(count: number, fraction: number): { train: Uint32Array; validation: Uint32Array } {
  if (!(fraction >= 0 && fraction < 1)) throw new KernelLabError('invalid_input', `validation fraction ${fraction} must be in [0, 1)`);
  const splitAt = Math.floor(count * (1 - fraction));
  const range = (from: number, to: number) => Uint32Array.from({ length: to - from }, (_, i) => from + i);
  return { train: range(0, splitAt), validation: range(splitAt, count) };
}

/** A deterministic subset: `nPerClass` examples of each class (all of a class that has fewer), chosen by the seed; ascending indices. */
export function subsetPerClass(labels: Uint8Array, nPerClass: number, seed: number): Uint32Array {
  if (!Number.isInteger(nPerClass) || nPerClass < 1)
    throw new KernelLabError('invalid_input', `examples per class ${nPerClass} must be a positive integer`);
  const rng = new SeededRandom(deriveSeed(seed, 'subset-per-class'));
  const out: number[] = [];
  for (const members of byClass(labels)) {
    if (!members) continue;
    rng.shuffle(members);
    out.push(...members.slice(0, nPerClass));
  }
  return sorted(out);
}

/** The order of examples in one epoch: a permutation of 0..count-1 fixed by (seed, epoch). */
export function epochOrder(count: number, seed: number, epoch: number): Uint32Array {
  return new SeededRandom(deriveSeed(seed, `epoch:${epoch}`)).permutation(count);
}

/** The examples at `indices`, as a new split (copies). */
export function gather(split: RawSplit, indices: ArrayLike<number>): RawSplit {
  const size = split.height * split.width * split.channels;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    images.set(split.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = split.labels[j]!;
  }
  return { ...split, images, labels, count: indices.length };
}
