import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The training workloads KernelLab and its peers (bench/reference/peer.py) both run, so their
 * rows compare like with like: same network, data, number of images, epochs, batch 64, and the
 * full test split for accuracy.
 */
export interface TrainingWorkload {
  /** KernelLab preset id; peer.py mirrors the same layers. */
  model: 'lenet5-relu' | 'mnist-two-conv' | 'lenet5-swish';
  dataset: 'mnist' | 'cifar10';
  trainImages: number;
  epochs: number;
}

export const sharedData = fileURLToPath(new URL('../../shared/data/', import.meta.url));
export const cifarFiles = ['train_subset_10k.bin.gz', 'test_batch_reordered.bin.gz'].map((f) => `${sharedData}cifar-10/${f}`);
export const hasSharedCifar = (): boolean => cifarFiles.every((f) => existsSync(f));

export function trainingWorkloads(quick: boolean): TrainingWorkload[] {
  return [
    { model: 'lenet5-relu', dataset: 'mnist', trainImages: quick ? 6400 : 60000, epochs: quick ? 1 : 2 },
    { model: 'mnist-two-conv', dataset: 'mnist', trainImages: quick ? 1600 : 12800, epochs: 1 },
    { model: 'lenet5-swish', dataset: 'cifar10', trainImages: quick ? 3200 : 10000, epochs: quick ? 1 : 2 },
  ];
}

export const workloadLabel = (w: TrainingWorkload): string => `${w.model} ${w.dataset} (batch 64, ${w.trainImages}×${w.epochs})`;
