/**
 * A synthetic experiment database: N runs in sweeps, each with P params and E epochs of M metrics,
 * written in ONE transaction on a connection of its own, without per-point validation, so the
 * bench can build 10,000 runs × 50 epochs × 4 metrics in seconds. Rows go through the store's run
 * inserter and metric writer (the same INSERTs and summary fold as the app). Values are seeded, so
 * two builds are identical. For benchmarks and demos only; the app writes through RunStore.
 */
import { randomUUID } from 'node:crypto';
import { SeededRandom } from '../random.ts';
import { openDatabase } from './database.ts';
import { metricWriter, type MetricRow } from './metricWrite.ts';
import { flattenParams, paramsVersion } from './runParams.ts';
import { runInserter } from './runInsert.ts';

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

export function generateSyntheticRuns(path: string, spec: SyntheticSpec): { runIds: number[]; sweepIds: number[]; experimentId: number } {
  const { db } = openDatabase(path);
  const random = new SeededRandom(spec.seed);
  const now = Date.now();
  const insertRun = runInserter(db);
  const writeMetrics = metricWriter(db);
  const modelSpec = JSON.stringify({
    inputShape: [28, 28, 1],
    layers: [{ type: 'conv2d', filters: 16, kernelSize: 3 }, { type: 'flatten' }, { type: 'dense', units: 10 }],
  });
  const runIds: number[] = [];
  const sweepIds: number[] = [];
  let experimentId = 0;
  try {
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
        const id = insertRun(
          syntheticRunRow({ index: i, experimentId, sweepId: sweepIds.at(-1)!, modelSpec, hyper, now }),
          // Bench data: exactly spec.params params per run (the store bench's 20), not a real run's derivation.
          flattenParams(hyper),
        );
        runIds.push(id);
        writeMetrics(syntheticMetricRows(id, kernelSize, random, spec.epochs, now));
      }
    }).immediate();
  } finally {
    db.close();
  }
  return { runIds, sweepIds, experimentId };
}

/** The runs-table row of synthetic run `index` (completed, a minute long). */
function syntheticRunRow(r: {
  index: number;
  experimentId: number;
  sweepId: number;
  modelSpec: string;
  hyper: Record<string, unknown>;
  now: number;
}): Parameters<ReturnType<typeof runInserter>>[0] {
  return {
    uuid: randomUUID(),
    name: `run ${r.index + 1}`,
    experiment_id: r.experimentId,
    sweep_id: r.sweepId,
    parent_run_id: null,
    derived_from_run_id: null,
    derived_epochs: null,
    status: 'completed',
    model_spec: r.modelSpec,
    model_spec_id: null,
    dataset: 'mnist',
    backend: 'cpu',
    device: '',
    seed: r.index,
    hyperparameters: JSON.stringify(r.hyper),
    environment: '{}',
    priority: 0,
    worker_owner: null,
    worker_pid: null,
    lease_expires_at: null,
    reserved_for: null,
    error: null,
    created_at: r.now + r.index,
    started_at: r.now + r.index,
    ended_at: r.now + r.index + 60_000,
    updated_at: r.now,
    params_version: paramsVersion,
    pruned_epoch: null,
    pruned_rung: null,
  };
}

/** Seeded learning curves of every synthetic metric: a bigger kernel learns a little better. */
function syntheticMetricRows(runId: number, kernelSize: number, random: SeededRandom, epochs: number, now: number): MetricRow[] {
  const skill = 0.9 + kernelSize / 200 + random.next() * 0.04;
  const rows: MetricRow[] = [];
  for (const key of syntheticMetrics) {
    const up = key.endsWith('accuracy');
    for (let e = 0; e < epochs; e++) {
      const progress = 1 - Math.exp(-(e + 1) / 8);
      const noise = (random.next() - 0.5) * 0.02;
      const value = up ? skill * progress + noise : (1 - skill * progress) * 2 + noise;
      rows.push({ runId, key, step: e, epoch: e, wallMs: now + e * 1000, value });
    }
  }
  return rows;
}
