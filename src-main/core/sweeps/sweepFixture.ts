/**
 * Test support for sweeps: a data folder with the real MNIST files installed, and a sweep spec
 * small enough to train in seconds on two shared cores (a 4-filter conv net, 300 images).
 */
import { join } from 'node:path';
import { installFromFiles, mnistDataFiles } from '../datasets/index.ts';
import { ensureDataDir } from '../home.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import type { SweepSpecInput } from '../contract/sweeps.ts';

export async function dataDirWithMnist(prefix = 'kernellab-sweep-'): Promise<{ dir: string; cleanup: () => void }> {
  const temp = makeTempDir(prefix);
  const layout = ensureDataDir(join(temp.dir, 'home'));
  await installFromFiles(layout.datasets, 'mnist', mnistDataFiles());
  return { dir: layout.root, cleanup: temp.cleanup };
}

export const tinyModel = {
  name: 'tiny',
  inputShape: [28, 28, 1] as [number, number, number],
  numClasses: 10,
  layers: [
    { type: 'conv2d' as const, filters: 4, kernelSize: 3, strides: 2 },
    { type: 'maxPool2d' as const, poolSize: 2 },
    { type: 'flatten' as const },
    { type: 'dense' as const, units: 16 },
  ],
};

export function tinySweep(extra: Partial<SweepSpecInput> = {}): SweepSpecInput {
  return {
    base: {
      model: tinyModel,
      dataset: 'mnist',
      subset: { train: 300, test: 100 },
      hyperparameters: { epochs: 1, batchSize: 32, learningRate: 0.01, validationSplit: 0.2, seed: 3, backend: 'wasm' },
    },
    axes: { kernelSize: [3, 5], epochs: [1, 2] },
    ...extra,
  };
}
