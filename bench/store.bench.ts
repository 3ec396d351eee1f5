/**
 * Experiment store: metric ingest rate through RunStore.logBatch (validation included), and the
 * UI's queries on a database of 10,000 runs × 20 params × 50 epochs × 4 metrics.
 * Standalone: `node bench/store.bench.ts` (KERNELLAB_BENCH_QUICK=1 for a smaller database).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunStore } from '../src-main/core/db/RunStore.ts';
import { generateSyntheticRuns, syntheticMetrics } from '../src-main/core/db/synthetic.ts';
import { SeededRandom } from '../src-main/core/random.ts';
import { formatTable, type BenchContext, type BenchResult } from './types.ts';

function timeIt(fn: () => unknown, iterations: number): { median: number; p95: number } {
  for (let i = 0; i < 3; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, p95: times[Math.min(times.length - 1, Math.floor(times.length * 0.95))]! };
}

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const quick = context.quick;
  const dir = mkdtempSync(join(tmpdir(), 'kernellab-bench-store-'));
  const results: BenchResult[] = [];
  try {
    // ── ingest ──
    {
      const store = RunStore.open(join(dir, 'ingest.db'));
      const runs = [1, 2, 3, 4].map((i) =>
        store.createRun({
          name: `ingest ${i}`,
          modelSpec: {},
          dataset: 'mnist',
          backend: 'cpu',
          seed: i,
          hyperparameters: {},
          status: 'running',
        }),
      );
      const total = quick ? 200_000 : 2_000_000;
      const batchSize = 500;
      const batches: Parameters<RunStore['logBatch']>[0][] = [];
      let step = 0;
      for (let b = 0; b < total / batchSize; b++) {
        const batch = [];
        for (let i = 0; i < batchSize; i++) {
          const s = step + Math.floor(i / 4);
          batch.push({
            runId: runs[b % 4]!.id,
            key: syntheticMetrics[i % 4]!,
            step: s,
            epoch: Math.floor(s / 100),
            wallMs: 1_700_000_000_000 + s,
            value: Math.sin(s),
          });
        }
        step += batchSize / 4;
        batches.push(batch);
      }
      // Warm-up (JIT, page cache) on a separate run, not counted.
      const warm = store.createRun({
        name: 'warm-up',
        modelSpec: {},
        dataset: 'mnist',
        backend: 'cpu',
        seed: 0,
        hyperparameters: {},
        status: 'running',
      });
      for (const batch of batches.slice(0, 40)) store.logBatch(batch.map((p) => ({ ...p, runId: warm.id })));
      const t = performance.now();
      for (const batch of batches) store.logBatch(batch);
      const seconds = (performance.now() - t) / 1000;
      results.push({
        name: 'store: metric ingest (logBatch, 500/batch)',
        value: Math.round(total / seconds),
        unit: 'points/s',
        target: '≥ 200,000',
        note: `${total.toLocaleString('en-US')} points after a 20,000-point warm-up; zod validation + latest_metrics upsert, one transaction per batch`,
      });
      store.close();
    }

    // ── queries on a big database ──
    const spec = { runs: quick ? 1000 : 10_000, runsPerSweep: 1000, params: 20, epochs: 50, seed: 7 };
    const path = join(dir, 'big.db');
    let store = RunStore.open(path);
    let t = performance.now();
    const { runIds, sweepIds, experimentId } = generateSyntheticRuns(path, spec);
    const genSeconds = (performance.now() - t) / 1000;
    const points = spec.runs * spec.epochs * syntheticMetrics.length;
    results.push({
      name: 'store: generate bench database',
      value: genSeconds,
      unit: 's',
      note: `${spec.runs} runs × ${spec.params} params × ${spec.epochs} epochs × 4 metrics = ${points.toLocaleString('en-US')} points, one transaction`,
    });
    store.close();
    t = performance.now();
    store = RunStore.open(path);
    results.push({
      name: 'store: open (checks + quick_check)',
      value: performance.now() - t,
      unit: 'ms',
      note: `${Math.round(statSync(path).size / 2 ** 20)} MiB database`,
    });

    const iterations = 20;
    const page = timeIt(
      () =>
        store.listRuns({
          paramColumns: ['kernelSize', 'epochs', 'optimizer.name', 'learningRate', 'p4', 'p5'],
          metricColumns: [
            { key: 'val_accuracy', field: 'best' },
            { key: 'val_loss', field: 'best' },
            { key: 'accuracy', field: 'last' },
            { key: 'loss', field: 'last' },
          ],
          sort: { by: 'metric:val_accuracy.best', dir: 'desc' },
          offset: 200,
          limit: 100,
        }),
      iterations,
    );
    results.push({
      name: 'store: runs list page',
      value: page.median,
      unit: 'ms',
      target: '< 50',
      note: `median of ${iterations}; p95 ${page.p95.toFixed(1)} ms; 100 rows, 6 params, 4 summaries, sorted by val_accuracy.best`,
    });

    const filtered = timeIt(
      () =>
        store.listRuns({
          params: [{ key: 'kernelSize', op: 'in', value: [3, 5] }],
          metrics: [{ key: 'val_accuracy', field: 'best', min: 0.8 }],
          paramColumns: ['kernelSize', 'epochs', 'optimizer.name', 'learningRate', 'p4', 'p5'],
          metricColumns: [{ key: 'val_accuracy', field: 'best' }],
          sort: { by: 'param:learningRate', dir: 'asc' },
          limit: 100,
        }),
      iterations,
    );
    results.push({
      name: 'store: runs list page, filtered',
      value: filtered.median,
      unit: 'ms',
      target: '< 50',
      note: `median; p95 ${filtered.p95.toFixed(1)} ms; param IN + metric range filter`,
    });

    const random = new SeededRandom(11);
    const pick = Array.from(random.permutation(runIds.length).subarray(0, 50), (i) => runIds[i]!);
    const compare = timeIt(() => store.compareRuns({ ids: pick, keys: [...syntheticMetrics] }), iterations);
    results.push({
      name: 'store: compare 50 runs',
      value: compare.median,
      unit: 'ms',
      target: '< 50',
      note: `median; p95 ${compare.p95.toFixed(1)} ms; 20 params, summaries, 4 full series each`,
    });

    const pivotAll = timeIt(
      () => store.pivot({ experimentId, rowParam: 'kernelSize', colParam: 'epochs', metric: 'val_accuracy' }),
      iterations,
    );
    results.push({
      name: 'store: sweep pivot (all runs)',
      value: pivotAll.median,
      unit: 'ms',
      target: '< 50',
      note: `median; p95 ${pivotAll.p95.toFixed(1)} ms; kernelSize × epochs over ${spec.runs} runs`,
    });
    const pivotSweep = timeIt(
      () => store.pivot({ sweepId: sweepIds[0]!, rowParam: 'kernelSize', colParam: 'epochs', metric: 'val_accuracy' }),
      iterations,
    );
    results.push({
      name: 'store: sweep pivot (one sweep)',
      value: pivotSweep.median,
      unit: 'ms',
      target: '< 50',
      note: `median; p95 ${pivotSweep.p95.toFixed(1)} ms; ${spec.runsPerSweep} runs`,
    });
    store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

if (import.meta.main) {
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
