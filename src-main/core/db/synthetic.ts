/**
 * A synthetic experiment database: N runs in sweeps, each with P params and E epochs of M metrics,
 * written in ONE transaction with prepared statements (no per-point validation), so the bench
 * can build 10,000 runs × 50 epochs × 4 metrics in seconds. Values are seeded, so two builds are
 * identical. For benchmarks and demos only; the app writes through RunStore.
 */
import { randomUUID } from 'node:crypto';
import { SeededRandom } from '../random.ts';
import type { SqliteDatabase } from './database.ts';
import { flattenParams } from './records.ts';

export interface SyntheticSpec {
  runs: number;
  runsPerSweep: number;
  /** At least 4: kernelSize, epochs, optimizer.name, learningRate; the rest are p4, p5, …. */
  params: number;
  epochs: number;
  seed: number;
}

export const syntheticMetrics = ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const;
export const kernelSizes = [1, 3, 5, 7, 9];
export const epochChoices = [5, 10, 20, 30, 50];

export function generateSyntheticRuns(
  db: SqliteDatabase,
  spec: SyntheticSpec,
): { runIds: number[]; sweepIds: number[]; experimentId: number } {
  const random = new SeededRandom(spec.seed);
  const now = Date.now();
  const insertRun = db.prepare(
    `INSERT INTO runs (uuid, name, experiment_id, sweep_id, status, model_spec, dataset, backend, seed, hyperparameters, created_at, started_at, ended_at, updated_at)
     VALUES (?, ?, ?, ?, 'completed', ?, 'mnist', 'cpu', ?, ?, ?, ?, ?, ?)`,
  );
  const insertParam = db.prepare('INSERT INTO params (run_id, key, value, kind) VALUES (?, ?, ?, ?)');
  const insertMetric = db.prepare('INSERT INTO metrics (run_id, key, step, epoch, wall_ms, value) VALUES (?, ?, ?, ?, ?, ?)');
  const insertSummary = db.prepare(
    'INSERT INTO latest_metrics (run_id, key, last, last_step, best, best_step, min, max, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const modelSpec = JSON.stringify({
    inputShape: [28, 28, 1],
    layers: [{ type: 'conv2d', filters: 16, kernelSize: 3 }, { type: 'flatten' }, { type: 'dense', units: 10 }],
  });
  const runIds: number[] = [];
  const sweepIds: number[] = [];
  let experimentId = 0;
  db.transaction(() => {
    experimentId = Number(
      db
        .prepare('INSERT INTO experiments (uuid, name, description, created_at) VALUES (?, ?, ?, ?)')
        .run(randomUUID(), `synthetic-${spec.seed}-${now}`, '', now).lastInsertRowid,
    );
    const sweepStmt = db.prepare(
      "INSERT INTO sweeps (uuid, experiment_id, name, spec, status, created_at) VALUES (?, ?, ?, '{}', 'completed', ?)",
    );
    for (let i = 0; i < spec.runs; i++) {
      if (i % spec.runsPerSweep === 0)
        sweepIds.push(Number(sweepStmt.run(randomUUID(), experimentId, `sweep ${sweepIds.length + 1}`, now).lastInsertRowid));
      const kernelSize = kernelSizes[random.int(kernelSizes.length)]!;
      const hyper: Record<string, unknown> = {
        kernelSize,
        epochs: epochChoices[random.int(epochChoices.length)]!,
        optimizer: { name: random.next() < 0.5 ? 'adam' : 'sgd' },
        learningRate: [0.1, 0.01, 0.001][random.int(3)]!,
      };
      for (let p = 4; p < spec.params; p++) hyper[`p${p}`] = random.int(10);
      const id = Number(
        insertRun.run(
          randomUUID(),
          `run ${i + 1}`,
          experimentId,
          sweepIds.at(-1)!,
          modelSpec,
          i,
          JSON.stringify(hyper),
          now + i,
          now + i,
          now + i + 60_000,
          now,
        ).lastInsertRowid,
      );
      runIds.push(id);
      for (const p of flattenParams(hyper)) insertParam.run(id, p.key, p.value, p.kind);
      const skill = 0.9 + kernelSize / 200 + random.next() * 0.04;
      for (const key of syntheticMetrics) {
        const up = key.endsWith('accuracy');
        let best = up ? -Infinity : Infinity;
        let bestStep = 0;
        let min = Infinity;
        let max = -Infinity;
        let value = 0;
        for (let e = 0; e < spec.epochs; e++) {
          const progress = 1 - Math.exp(-(e + 1) / 8);
          const noise = (random.next() - 0.5) * 0.02;
          value = up ? skill * progress + noise : (1 - skill * progress) * 2 + noise;
          insertMetric.run(id, key, e, e, now + e * 1000, value);
          if (up ? value > best : value < best) {
            best = value;
            bestStep = e;
          }
          min = Math.min(min, value);
          max = Math.max(max, value);
        }
        insertSummary.run(id, key, value, spec.epochs - 1, best, bestStep, min, max, spec.epochs);
      }
    }
  }).immediate();
  return { runIds, sweepIds, experimentId };
}
