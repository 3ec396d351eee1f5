/**
 * The full ASHA-versus-grid comparison of issue 18 (its CI version is search.slow.test.ts):
 *   node bench/ashaVsGrid.ts
 * LeNet-5 on an MNIST subset, kernel 3/5/7 × learning rate 1e-4…1e-1 (log, 4 values) × epochs
 * 1…8, both folded, 2 workers. Prints epochs trained, best val_accuracy and wall time of each.
 * Overrides: KERNELLAB_ASHA_TRAIN (training images, default 3000), KERNELLAB_ASHA_TEST (1000),
 * KERNELLAB_ASHA_LR_STEPS (4), KERNELLAB_ASHA_WORKERS (2).
 */
import { loadavg } from 'node:os';
import { runComparisonSweep, type ComparisonOptions } from '../src-main/test/ashaComparison.ts';

const env = process.env;
const options: ComparisonOptions = {
  train: Number(env.KERNELLAB_ASHA_TRAIN ?? 3000),
  test: Number(env.KERNELLAB_ASHA_TEST ?? 1000),
  kernels: [3, 5, 7],
  learningRate: { min: 1e-4, max: 1e-1, steps: Number(env.KERNELLAB_ASHA_LR_STEPS ?? 4) },
  maxEpochs: 8,
  workers: Number(env.KERNELLAB_ASHA_WORKERS ?? 2),
  asha: { minEpochs: 1, reductionFactor: 3 },
};
const load = () => loadavg()[0]!.toFixed(1);
const before = load();
const grid = await runComparisonSweep(options, false, 6 * 3600_000);
const asha = await runComparisonSweep(options, true, 6 * 3600_000);
const lines = [
  `LeNet-5, MNIST ${options.train} train / ${options.test} test images, kernel ${options.kernels.join('/')} × ${options.learningRate.steps} learning rates ${options.learningRate.min}…${options.learningRate.max} (log) × epochs 1…${options.maxEpochs}, folded, ${options.workers} workers`,
  `grid: ${grid.epochs} epochs trained, best val_accuracy ${grid.bestValAccuracy.toFixed(4)} (${grid.bestRun}), ${grid.runs} runs, ${grid.seconds.toFixed(0)} s`,
  `asha (r = 1, η = 3): ${asha.epochs} epochs trained (${((asha.epochs / grid.epochs) * 100).toFixed(0)} % of the grid's), best val_accuracy ${asha.bestValAccuracy.toFixed(4)} (${asha.bestRun}), ${asha.pruned} runs pruned, ${asha.runs} runs, ${asha.seconds.toFixed(0)} s`,
  `best val_accuracy difference: ${((grid.bestValAccuracy - asha.bestValAccuracy) * 100).toFixed(2)} points; load ${before} before, ${load()} after`,
];
process.stdout.write(`${lines.join('\n')}\n`);
