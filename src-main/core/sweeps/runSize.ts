/**
 * A run sized before anything is allocated (issue 12, defect 11: a 10⁹-unit dense layer was
 * accepted and failed in the worker as "Array buffer allocation failed"; validationSplit 0.999999
 * left no training image and the run failed with raw zod JSON): its parameters and memory from
 * the shape inference, and its training images from the dataset's published class counts, so
 * that a run which cannot train here is refused when it is queued, in words, with the numbers.
 */
import { totalmem } from 'node:os';
import type { SubsetSpec } from '../contract/runs.ts';
import type { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { registry, type DatasetName } from '../datasets/registry.ts';
import type { ModelSummary } from '../models/shapeInference.ts';
import { subsetPerClass } from './pointRun.ts';

/** Floats are float32 in every backend. */
const bytesPerFloat = 4;

export interface RunSize {
  params: number;
  /** Weights, their gradients and the optimizer's state per weight. */
  weightBytes: number;
  /** One batch's activations kept for the backward pass and their gradients, the input batch included. */
  activationBytes: number;
  totalBytes: number;
  /** Training images left after the subset and the validation split (the dataset's first variant). */
  trainImages: number;
  /** Images in the training split before the validation split. */
  availableImages: number;
}

/** Values the optimizer keeps per weight (Adam: two moments; RMSprop: the mean square, and more). */
function optimizerSlots(hp: Hyperparameters): number {
  switch (hp.optimizer) {
    case 'sgd':
      return 0;
    case 'momentum':
      return 1;
    case 'adam':
      return 2;
    case 'rmsprop':
      return 1 + (hp.centered ? 1 : 0) + ((hp.momentum ?? 0) > 0 ? 1 : 0);
    default:
      throw new Error(`unknown optimizer ${String(hp.optimizer satisfies never)}`);
  }
}

/** Training images per class after the subset, then after the validation split, as trainingData.ts takes them. */
function trainingImages(hp: Hyperparameters, dataset: DatasetName, subset: SubsetSpec | null): { available: number; train: number } {
  const counts = registry[dataset].variants[0]!.splits.train.classCounts;
  const perClass = subsetPerClass(subset, dataset).trainPerClass;
  const classes = counts.map((n) => (perClass === undefined ? n : Math.min(n, perClass)));
  const available = classes.reduce((a, b) => a + b, 0);
  if (hp.validateOn === 'test' || hp.validationSplit === 0) return { available, train: available };
  // stratifiedSplit holds out round(n · f) of each class; tailSplit keeps the first ⌊N · (1 − f)⌋.
  const train =
    hp.validationSplitMode === 'tail'
      ? Math.floor(available * (1 - hp.validationSplit))
      : classes.reduce((sum, n) => sum + n - Math.round(n * hp.validationSplit), 0);
  return { available, train };
}

export function sizeRun(
  model: ModelSpec,
  summary: ModelSummary,
  hp: Hyperparameters,
  dataset: DatasetName,
  subset: SubsetSpec | null,
): RunSize {
  const weightBytes = summary.totalParams * bytesPerFloat + summary.trainableParams * bytesPerFloat * (1 + optimizerSlots(hp));
  const input = model.inputShape.reduce((a, b) => a * b, 1);
  const outputs = summary.rows.reduce((sum, row) => sum + row.outputShape.reduce((a, b) => a * b, 1), 0);
  // Each layer's output is kept for the backward pass, which makes a gradient of the same size.
  const activationBytes = hp.batchSize * (input + 2 * outputs) * bytesPerFloat;
  const images = trainingImages(hp, dataset, subset);
  return {
    params: summary.totalParams,
    weightBytes,
    activationBytes,
    totalBytes: weightBytes + activationBytes,
    trainImages: images.train,
    availableImages: images.available,
  };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;
const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** Why this run cannot train on a machine with `memoryBytes` of memory, in a sentence with the numbers; null when it can. */
export function runSizeProblem(size: RunSize, hp: Hyperparameters, memoryBytes: number = totalmem()): string | null {
  if (size.trainImages < 1)
    return (
      `hyperparameters.validationSplit: ${hp.validationSplit} holds out every training image ` +
      `(${count(size.availableImages)} in the training split, 0 left to train on); use a smaller validationSplit or validateOn 'test'`
    );
  if (size.totalBytes > memoryBytes)
    return (
      `the run needs about ${gib(size.totalBytes)} of memory (${count(size.params)} parameters: ${gib(size.weightBytes)} of weights, ` +
      `gradients and optimizer state; ${gib(size.activationBytes)} of activations for a batch of ${hp.batchSize}), ` +
      `more than this machine's ${gib(memoryBytes)}; use fewer units or filters, or a smaller batch`
    );
  return null;
}
