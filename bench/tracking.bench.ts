/**
 * Tracking overhead on a real run: LeNet-5 (relu) trains on an MNIST subset through the real
 * service (scheduler → worker → RunStore), and every store call main makes for the run is timed.
 * The share of the run's wall time spent recording is what a user could notice; it should be
 * far below 1%. (The main process's memory during a sweep is measured by startup.bench.ts, in a
 * real `kernellab serve` process; this one hosts the service in the bench process itself.)
 */
import { join } from 'node:path';
import type { KernelLabEvent } from '../src-main/core/contract/index.ts';
import { installFromFiles, mnistDataFiles } from '../src-main/core/datasets/index.ts';
import { ensureDataDir } from '../src-main/core/home.ts';
import { createService } from '../src-main/core/service.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import type { BenchContext, BenchResult } from './types.ts';

const timedMethods = ['logBatch', 'transition', 'addCheckpoint', 'addEvaluation', 'renewLease', 'claimNextRunnable', 'createRun'] as const;

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const temp = makeTempDir('kernellab-bench-tracking-');
  const layout = ensureDataDir(join(temp.dir, 'home'));
  await installFromFiles(layout.datasets, 'mnist', mnistDataFiles());
  const service = createService({ dataDir: layout.root, shell: 'server' });
  try {
    // Wrap the store's write methods with timers: bench code only, the app is untouched.
    const store = service.context.store as unknown as Record<string, (...args: unknown[]) => unknown>;
    let storeMs = 0;
    let calls = 0;
    for (const name of timedMethods) {
      const original = store[name];
      if (typeof original !== 'function') continue;
      store[name] = (...args: unknown[]) => {
        const t = performance.now();
        try {
          return original.apply(service.context.store, args);
        } finally {
          storeMs += performance.now() - t;
          calls++;
        }
      };
    }
    let points = 0;
    let finished: ((status: string) => void) | undefined;
    const done = new Promise<string>((resolve) => (finished = resolve));
    service.events.subscribe((event: KernelLabEvent) => {
      if (event.name === 'metrics.appended') points += (event.payload as { points: unknown[] }).points.length;
      if (event.name === 'run.updated') {
        const status = (event.payload as { status: string }).status;
        if (!['queued', 'running'].includes(status)) finished?.(status);
      }
    });
    const train = context.quick ? 3000 : 12000;
    const started = performance.now();
    await service.call('runs.start', {
      run: {
        preset: 'lenet5-relu',
        dataset: 'mnist',
        subset: { train, test: 2000 },
        hyperparameters: { epochs: 2, batchSize: 64, backend: 'wasm', seed: 1 },
      },
    });
    const status = await done;
    const wallMs = performance.now() - started;
    if (status !== 'completed') throw new Error(`the tracked run ended ${status}`);
    return [
      { name: `tracking: LeNet-5 run on ${train} MNIST images × 2 epochs, wall time`, value: wallMs / 1000, unit: 's' },
      {
        name: 'tracking: time main spent in store writes for that run',
        value: storeMs,
        unit: 'ms',
        note: `${calls} calls, ${points} metric points`,
      },
      { name: 'tracking: overhead share of the run', value: (100 * storeMs) / wallMs, unit: '%', target: '< 1' },
    ];
  } finally {
    await service.close();
    temp.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
