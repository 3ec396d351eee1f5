/**
 * The ASHA-versus-grid comparison of issue 18, shared by its CI test (search.slow.test.ts, small)
 * and its full run (bench/ashaVsGrid.ts): the same LeNet-5 sweep over kernel size × learning rate
 * (log range) × epochs 1…E on an MNIST subset, trained once as the full grid and once with ASHA,
 * both with epoch folding, through the real scheduler and workers. Reported: epochs each trained
 * and the best validation accuracy each found (over every run, derived ones included).
 */
import { createService } from '../core/service.ts';
import type { SweepSpecInput } from '../core/contract/sweeps.ts';
import { dataDirWithMnist } from '../core/sweeps/sweepFixture.ts';

export interface ComparisonOptions {
  train: number;
  test: number;
  kernels: number[];
  learningRate: { min: number; max: number; steps: number };
  maxEpochs: number;
  workers: number;
  asha: { minEpochs: number; reductionFactor: number };
}

export interface SweepOutcome {
  seconds: number;
  /** Epochs trained by workers (folded runs cost nothing). */
  epochs: number;
  bestValAccuracy: number;
  bestRun: string;
  runs: number;
  pruned: number;
}

export function comparisonSpec(options: ComparisonOptions, withAsha: boolean): SweepSpecInput {
  return {
    name: withAsha ? 'asha' : 'grid',
    base: {
      preset: 'lenet5-relu',
      dataset: 'mnist',
      subset: { train: options.train, test: options.test },
      hyperparameters: { backend: 'wasm', batchSize: 32, validationSplit: 0.2, seed: 11 },
    },
    axes: {
      kernelSize: options.kernels,
      learningRate: { ...options.learningRate, scale: 'log' },
      epochs: Array.from({ length: options.maxEpochs }, (_, i) => i + 1),
    },
    ...(withAsha ? { pruner: { type: 'asha' as const, ...options.asha } } : {}),
  };
}

export async function runComparisonSweep(options: ComparisonOptions, withAsha: boolean, timeoutMs: number): Promise<SweepOutcome> {
  const home = await dataDirWithMnist('kernellab-asha-');
  const service = createService({ dataDir: home.dir, shell: 'cli' });
  try {
    await service.call('sweeps.setConcurrency', { workers: options.workers });
    const started = performance.now();
    const { sweepId } = await service.call('sweeps.start', { spec: comparisonSpec(options, withAsha) });
    const until = Date.now() + timeoutMs;
    for (;;) {
      const progress = await service.call('sweeps.progress', { id: sweepId });
      if (progress.status === 'completed' || progress.status === 'failed') break;
      if (Date.now() > until) throw new Error(`sweep ${sweepId} did not finish in time: ${progress.text}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    const { rows } = await service.call('runs.list', { sweepId, limit: 1000 });
    const details = await Promise.all(rows.map((r) => service.call('runs.get', { id: r.id })));
    let epochs = 0;
    let best = -Infinity;
    let bestRun = '';
    for (const run of details) {
      const loss = run.summary.find((s) => s.key === 'loss');
      if (run.derivedFromRunId === null) epochs += loss?.count ?? 0;
      const acc = run.summary.find((s) => s.key === 'val_accuracy');
      const max = typeof acc?.max === 'number' ? acc.max : -Infinity;
      if (max > best) {
        best = max;
        bestRun = run.name;
      }
    }
    if (details.some((r) => r.status === 'failed')) throw new Error(`a run failed: ${details.find((r) => r.status === 'failed')!.error}`);
    return {
      seconds,
      epochs,
      bestValAccuracy: best,
      bestRun,
      runs: details.length,
      pruned: details.filter((r) => r.status === 'pruned').length,
    };
  } finally {
    await service.close();
    home.cleanup();
  }
}
