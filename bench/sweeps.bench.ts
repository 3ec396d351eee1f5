/**
 * Sweep wall time: LeNet-5 (relu) on a 6,000-image MNIST training subset on wasm, kernel sizes
 * 3, 5, 7 × epochs 2, 4, 6, 8 (12 runs), measured three ways through the real scheduler and
 * workers: sequential without folding, folded (3 trained runs of 8 epochs, 9 derived), and folded
 * with 2 workers. Target: folded + parallel at most 25% of sequential-unfolded.
 *
 * Overrides for a quick run: KERNELLAB_BENCH_SWEEP_SUBSET (training images, default 6000),
 * KERNELLAB_BENCH_SWEEP_TEST (test images, default 1000), KERNELLAB_BENCH_SWEEP_EPOCHS
 * (default 2,4,6,8), KERNELLAB_BENCH_SWEEP_KERNELS (default 3,5,7); KERNELLAB_BENCH_QUICK=1
 * uses 1,000 images and epochs 1,2.
 */
import { loadavg } from 'node:os';
import { createService } from '../src-main/core/service.ts';
import type { SweepProgress, SweepSpecInput } from '../src-main/core/contract/sweeps.ts';
import { dataDirWithMnist } from '../src-main/core/sweeps/sweepFixture.ts';
import type { BenchContext, BenchResult } from './types.ts';

const list = (text: string) => text.split(',').map((s) => Number(s.trim()));

async function timeSweep(spec: SweepSpecInput, workers: number): Promise<{ seconds: number; progress: SweepProgress }> {
  const home = await dataDirWithMnist('kernellab-bench-sweeps-');
  const service = createService({ dataDir: home.dir, shell: 'cli' });
  try {
    await service.call('sweeps.setConcurrency', { workers });
    const started = performance.now();
    const { sweepId } = await service.call('sweeps.start', { spec });
    for (;;) {
      const progress = await service.call('sweeps.progress', { id: sweepId });
      if (progress.status !== 'running' && progress.status !== 'pending') {
        if (progress.completed !== progress.planned) throw new Error(`sweep ended ${progress.status}: ${progress.text}`);
        return { seconds: (performance.now() - started) / 1000, progress };
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await service.close();
    home.cleanup();
  }
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const env = process.env;
  const subset = Number(env.KERNELLAB_BENCH_SWEEP_SUBSET ?? (context.quick ? 1000 : 6000));
  const test = Number(env.KERNELLAB_BENCH_SWEEP_TEST ?? (context.quick ? 500 : 1000));
  const epochs = list(env.KERNELLAB_BENCH_SWEEP_EPOCHS ?? (context.quick ? '1,2' : '2,4,6,8'));
  const kernels = list(env.KERNELLAB_BENCH_SWEEP_KERNELS ?? '3,5,7');
  const spec = (fold: boolean): SweepSpecInput => ({
    name: 'bench',
    base: {
      preset: 'lenet5-relu',
      dataset: 'mnist',
      subset: { train: subset, test },
      hyperparameters: { backend: 'wasm', batchSize: 64, learningRate: 1e-3 },
    },
    axes: { kernelSize: kernels, epochs },
    fold,
  });
  const workload = `${kernels.length} kernel sizes × epochs ${epochs.join(',')}, LeNet-5 relu, ${subset} MNIST train / ${test} test images, wasm`;
  // Other work on the machine slows every figure and erases the second worker's gain: say how busy it was.
  const load = () => loadavg()[0]!.toFixed(1);
  const sequential = await timeSweep(spec(false), 1);
  const loadSequential = load();
  const folded = await timeSweep(spec(true), 1);
  const loadFolded = load();
  const parallel = await timeSweep(spec(true), 2);
  const loadParallel = load();
  const ratio = (parallel.seconds / sequential.seconds) * 100;
  return [
    {
      name: 'sweeps: sequential, unfolded (1 worker)',
      value: sequential.seconds,
      unit: 's',
      note: `${sequential.progress.planned} runs trained; ${workload}; load avg ${loadSequential} after`,
    },
    {
      name: 'sweeps: folded (1 worker)',
      value: folded.seconds,
      unit: 's',
      note: `${kernels.length} trained, ${folded.progress.derived} derived; load avg ${loadFolded} after`,
    },
    { name: 'sweeps: folded + 2 workers', value: parallel.seconds, unit: 's', note: `load avg ${loadParallel} after` },
    { name: 'sweeps: folded + 2 workers vs sequential-unfolded', value: ratio, unit: '%', target: '≤ 25' },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
