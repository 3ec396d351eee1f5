import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { createService } from '../service.ts';
import { downloadDataset } from './download.ts';
import { installFromFiles, loadSplit, type RawSplit } from './index.ts';
import type { DatasetName } from './registry.ts';
import { startDataServer, type DataServer } from './testing/dataServer.ts';
import { sharedDataDir } from './testing/fixtures.ts';

/*
 * All three datasets, from the real files in ../shared/data, through the app's own paths:
 * imported from disk, and downloaded from a local HTTP server that serves that folder as a mirror.
 */
const shared = sharedDataDir();
if (!shared) console.log('datasets/shared.test.ts: skipped: ../shared/data (real Fashion-MNIST, MNIST, CIFAR-10 subset) is absent');

function classCounts(split: RawSplit): number[] {
  const counts = new Array(split.classNames.length).fill(0);
  for (const label of split.labels) counts[label]++;
  return counts;
}

/** Pixel (row, col, channel) of image n. */
const px = (s: RawSplit, n: number, row: number, col: number, ch = 0) => s.images[((n * s.height + row) * s.width + col) * s.channels + ch];

async function checkDataset(dir: string, name: DatasetName): Promise<void> {
  const train = await loadSplit(dir, name, 'train');
  const test = await loadSplit(dir, name, 'test');
  if (name === 'mnist') {
    expect(train).toMatchObject({ count: 60000, height: 28, width: 28, channels: 1 });
    expect(classCounts(train)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(classCounts(test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    expect([13, 14, 15, 16, 17].map((c) => px(train, 0, 14, c))).toEqual([81, 240, 253, 253, 119]);
  } else if (name === 'fashion-mnist') {
    expect(train).toMatchObject({ count: 60000, height: 28, width: 28, channels: 1 });
    expect(train.classNames[9]).toBe('Ankle boot');
    expect(classCounts(train)).toEqual(new Array(10).fill(6000));
    expect(classCounts(test)).toEqual(new Array(10).fill(1000));
    expect(Array.from(train.labels.subarray(0, 5))).toEqual([9, 0, 0, 3, 0]);
    // First non-zero pixels of the first training image (an ankle boot): flat indices 96, 99, 100.
    expect([px(train, 0, 3, 12), px(train, 0, 3, 15), px(train, 0, 3, 16)]).toEqual([1, 13, 73]);
    expect(train.images.subarray(0, 784).reduce((a, b) => a + b, 0)).toBe(76247);
  } else {
    expect(train).toMatchObject({ count: 10000, height: 32, width: 32, channels: 3 });
    expect(test.count).toBe(10000);
    expect(train.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
    expect(classCounts(train)).toEqual(new Array(10).fill(1000));
    expect(classCounts(test)).toEqual(new Array(10).fill(1000));
    // Record 0 of the reordered test file is ship/guard_boat_s_000453.png: RGB of its first and last pixels.
    expect(test.labels[0]).toBe(8);
    expect([0, 1, 2].map((c) => px(test, 0, 0, 0, c))).toEqual([84, 148, 213]);
    expect([0, 1, 2].map((c) => px(test, 0, 31, 31, c))).toEqual([58, 94, 153]);
    expect(train.labels[9999]).toBe(6);
    expect([0, 1, 2].map((c) => px(train, 9999, 0, 0, c))).toEqual([42, 42, 42]);
  }
}

const folders: Record<DatasetName, string> = { mnist: 'mnist', 'fashion-mnist': 'fashion-mnist', cifar10: 'cifar-10' };

describe.skipIf(!shared)('the three datasets from ../shared/data', () => {
  let server: DataServer;
  let tmp: { dir: string; cleanup: () => void };
  beforeAll(async () => {
    const files = new Map<string, Buffer>();
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
    for (const path of walk(shared!)) if (path.endsWith('.gz')) files.set(relative(shared!, path), readFileSync(path));
    server = await startDataServer(files);
  });
  afterAll(() => server.close());
  beforeEach(() => (tmp = makeTempDir('kernellab-shared-')));
  afterEach(() => tmp.cleanup());

  for (const name of ['mnist', 'fashion-mnist', 'cifar10'] as const) {
    it(`${name}: imported from disk`, async () => {
      const manifest = await installFromFiles(tmp.dir, name, [join(shared!, folders[name])]);
      expect(manifest.variant).toBe(name === 'cifar10' ? 'subset-10k' : 'canonical');
      await checkDataset(tmp.dir, name);
    });

    it(`${name}: downloaded from a local mirror`, async () => {
      const manifest = await downloadDataset(tmp.dir, name, { mirror: `${server.url}/ok`, retries: 0 });
      expect(manifest.source).toBe(`download: mirror ${server.url}/ok/${folders[name]}/`);
      await checkDataset(tmp.dir, name);
    });
  }

  it('one import of the whole folder recognises and imports all three', async () => {
    const service = createService({ dataDir: tmp.dir, shell: 'cli' });
    try {
      const first = await service.call('datasets.import', { paths: [shared!] });
      expect(first.name).toBe('mnist');
      const list = await service.call('datasets.list', {});
      expect(list.datasets.map((d) => [d.name, d.status, d.variant])).toEqual([
        ['mnist', 'ready', 'canonical'],
        ['fashion-mnist', 'ready', 'canonical'],
        ['cifar10', 'ready', 'subset-10k'],
      ]);
      await checkDataset(join(tmp.dir, 'datasets'), 'fashion-mnist');
    } finally {
      await service.close();
    }
  });

  it('fashion-mnist: the canonical .gz files keep their published SHA-256', async () => {
    const manifest = await installFromFiles(tmp.dir, 'fashion-mnist', [join(shared!, 'fashion-mnist')]);
    expect(manifest.files.map((f) => f.sha256)).toContain('3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84');
  });
});
