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
import { memoryProblem, runMemory, type RunMemory } from '../models/runMemory.ts';
import type { ModelSummary } from '../models/shapeInference.ts';
import { coreText, type ProblemText } from '../contract/coreText.ts';
import { subsetPerClass } from './pointRun.ts';

export interface RunSize extends RunMemory {
  /** Training images left after the subset and the validation split (the dataset's first variant). */
  trainImages: number;
  /** Images in the training split before the validation split. */
  availableImages: number;
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
  const images = trainingImages(hp, dataset, subset);
  return { ...runMemory(model, summary, hp), trainImages: images.train, availableImages: images.available };
}

/**
 * This machine's memory, read at most once a second: os.totalmem() parses /proc/meminfo (~20 µs),
 * and sizing every point of a 100,000-point sweep twice spent seconds on it (issue 12).
 */
let memory = { bytes: 0, readAt: -Infinity };
function machineMemory(): number {
  const now = performance.now();
  if (now - memory.readAt > 1000) memory = { bytes: totalmem(), readAt: now };
  return memory.bytes;
}

const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/**
 * Why this run cannot train on a machine with `memoryBytes` of memory, in a sentence with the
 * numbers and its coded form; null when it can. (The worker checks again against its backend's
 * own limit: wasm's 4 GiB.)
 */
export function runSizeProblem(size: RunSize, hp: Hyperparameters, memoryBytes: number = machineMemory()): ProblemText | null {
  if (size.trainImages < 1)
    return {
      sentence:
        `hyperparameters.validationSplit: ${hp.validationSplit} holds out every training image ` +
        `(${count(size.availableImages)} in the training split, 0 left to train on); use a smaller validationSplit or validateOn 'test'`,
      path: '',
      text: coreText('training_no_image_left', { split: hp.validationSplit, count: size.availableImages }),
    };
  const memory = memoryProblem(size, hp, { bytes: memoryBytes, kind: 'machine' });
  return memory && { sentence: memory.sentence, path: '', text: memory.text };
}
