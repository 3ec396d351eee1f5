import { randomUUID } from 'node:crypto';

/**
 * Recorded runs for the views that show history (runs table, run, compare, sweep grid), written
 * through the app's own `runs.import` method — the same path a user's JSON export takes — so
 * those journeys do not wait for minutes of training. Values are deterministic.
 */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const lenet = (kernelSize: number) => ({
  name: 'lenet5_relu',
  inputShape: [28, 28, 1],
  numClasses: 10,
  layers: [
    { type: 'conv2d', filters: 6, kernelSize, strides: 1, padding: 'same', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2, padding: 'valid' },
    { type: 'conv2d', filters: 16, kernelSize, strides: 1, padding: 'valid', activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2, padding: 'valid' },
    { type: 'flatten' },
    { type: 'dense', units: 120, activation: 'relu' },
    { type: 'dense', units: 84, activation: 'relu' },
  ],
});

interface SeedRunOptions {
  name: string;
  sweepUuid: string | null;
  kernelSize: number;
  epochs: number;
  repeat: number;
  seed: number;
  createdAt: number;
  detailed: boolean;
  learningRate?: number;
  /** Trained on a per-class subset of the training images (10 classes), else on all of them. */
  trainImages?: number;
}

function seededRun(o: SeedRunOptions, next: () => number) {
  const quality = 0.9 + 0.012 * (7 - o.kernelSize) * 0.5 + 0.02 * Math.log2(o.epochs + 1) + 0.01 * (next() - 0.5);
  const perEpochMs = 4000 + 900 * (7 - o.kernelSize);
  const metrics: Record<string, [number, number, number, number | string][]> = { loss: [], accuracy: [], val_loss: [], val_accuracy: [] };
  for (let e = 1; e <= o.epochs; e++) {
    const f = 1 - Math.exp(-e / Math.max(1, o.epochs / 2));
    const wall = e * perEpochMs;
    metrics.loss!.push([e * 100, e, wall, 2.3 - 2.1 * f * quality + 0.02 * next()]);
    metrics.accuracy!.push([e * 100, e, wall, Math.min(0.999, 0.15 + (quality - 0.12) * f + 0.01 * next())]);
    metrics.val_loss!.push([e * 100, e, wall, 2.3 - 2.05 * f * quality + 0.03 * next()]);
    metrics.val_accuracy!.push([e * 100, e, wall, Math.min(0.999, 0.12 + (quality - 0.12) * f + 0.01 * next())]);
  }
  // What the worker records each epoch besides the results: speed and what the run used.
  const imagesPerSec = 3300 - 200 * (o.kernelSize - 3) + Math.round(100 * next());
  metrics.samples_per_sec = [];
  metrics.epoch_seconds = [];
  metrics.rss_bytes = [];
  metrics.num_tensors = [];
  for (let e = 1; e <= o.epochs; e++) {
    const wall = e * perEpochMs;
    metrics.samples_per_sec.push([e * 100, e, wall, imagesPerSec + Math.round(20 * next())]);
    metrics.epoch_seconds.push([e * 100, e, wall, perEpochMs / 1000]);
    metrics.rss_bytes.push([e * 100, e, wall, 600 * 1048576 + Math.round(40 * 1048576 * next())]);
    metrics.num_tensors.push([e * 100, e, wall, 38]);
  }
  const finalAcc = metrics.val_accuracy!.at(-1)![3] as number;
  const confusion = Array.from({ length: 10 }, (_, t) =>
    Array.from({ length: 10 }, (_, p) =>
      t === p ? Math.round(100 * finalAcc) : Math.round(((1 - finalAcc) * 100 * ((t * 7 + p * 3) % 5)) / 20),
    ),
  );
  const perClass = confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + r[c]!, 0);
    const precision = predicted ? tp / predicted : 0;
    const recall = support ? tp / support : 0;
    return { label: String(c), precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0, support };
  });
  return {
    uuid: randomUUID(),
    name: o.name,
    experimentUuid: null,
    sweepUuid: o.sweepUuid,
    parentRunUuid: null,
    derivedFromRunUuid: null,
    derivedEpochs: null,
    status: 'completed',
    modelSpec: lenet(o.kernelSize),
    dataset: 'mnist',
    backend: 'wasm',
    device: 'CPU (wasm, 2 threads)',
    seed: o.seed,
    hyperparameters: {
      epochs: o.epochs,
      batchSize: 64,
      optimizer: 'adam',
      learningRate: o.learningRate ?? 0.001,
      validationSplit: 0.1,
      seed: o.seed,
    },
    environment: {
      sweep: o.sweepUuid ? { values: { kernelSize: o.kernelSize, epochs: o.epochs }, repeat: o.repeat } : undefined,
      ...(o.trainImages ? { subset: { trainPerClass: o.trainImages / 10 } } : {}),
    },
    priority: 0,
    error: null,
    createdAt: o.createdAt,
    startedAt: o.createdAt + 1000,
    endedAt: o.createdAt + 1000 + o.epochs * perEpochMs,
    tags: o.repeat === 0 && o.kernelSize === 3 ? ['small-kernel'] : [],
    note: '',
    checkpoints: [],
    evaluations: o.detailed
      ? [
          {
            split: 'test',
            loss: metrics.val_loss!.at(-1)![3],
            accuracy: finalAcc,
            confusion,
            perClass,
            mostWrong: Array.from({ length: 8 }, (_, i) => ({
              index: i * 37,
              label: i % 10,
              predicted: (i + 3) % 10,
              confidence: 0.99 - i * 0.04,
            })),
            createdAt: o.createdAt + 2000 + o.epochs * perEpochMs,
          },
        ]
      : [],
    metrics: o.detailed ? metrics : { val_accuracy: metrics.val_accuracy!.slice(-1), loss: metrics.loss!.slice(-1) },
  };
}

export interface SeedExport {
  format: 'kernellab.runs';
  version: 1;
  exportedAt: number;
  experiments: unknown[];
  sweeps: unknown[];
  runs: unknown[];
}

/** A finished kernel size {3,5,7} × epochs {1,2,4} sweep with two repeats per point: 18 detailed runs. */
export function seededSweep(
  name = 'LeNet-5 kernel × epochs (recorded)',
  options: { learningRate?: number; seed?: number; trainImages?: number } = {},
): SeedExport {
  const next = lcg(options.seed ?? 11);
  const sweepUuid = randomUUID();
  const start = Date.UTC(2026, 10, 20, 9, 0, 0);
  const runs = [];
  let i = 0;
  for (const kernelSize of [3, 5, 7])
    for (const epochs of [1, 2, 4])
      for (const repeat of [0, 1]) {
        runs.push(
          seededRun(
            {
              name: `${name} · k${kernelSize} e${epochs} r${repeat}`,
              sweepUuid,
              kernelSize,
              epochs,
              repeat,
              seed: 42 + repeat,
              createdAt: start + i++ * 60_000,
              detailed: true,
              ...(options.learningRate ? { learningRate: options.learningRate } : {}),
              ...(options.trainImages ? { trainImages: options.trainImages } : {}),
            },
            next,
          ),
        );
      }
  return {
    format: 'kernellab.runs',
    version: 1,
    exportedAt: Date.now(),
    experiments: [],
    sweeps: [
      {
        uuid: sweepUuid,
        experimentUuid: null,
        name,
        spec: {
          base: { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters: {} },
          axes: { kernelSize: [3, 5, 7], epochs: [1, 2, 4] },
          repeats: 2,
        },
        status: 'completed',
        createdAt: start,
      },
    ],
    runs,
  };
}

/** `count` small runs (summary points only), in exports of at most `perFile` runs to stay under the request limit. */
export function manyRuns(count: number, perFile = 400): SeedExport[] {
  const next = lcg(5);
  const files: SeedExport[] = [];
  const start = Date.UTC(2026, 9, 1);
  for (let offset = 0; offset < count; offset += perFile) {
    const runs = [];
    for (let i = offset; i < Math.min(count, offset + perFile); i++) {
      runs.push(
        seededRun(
          {
            name: `bulk run ${i + 1}`,
            sweepUuid: null,
            kernelSize: [3, 5, 7][i % 3]!,
            epochs: 1 + (i % 5),
            repeat: 1,
            seed: i,
            createdAt: start + i * 1000,
            detailed: false,
            learningRate: [0.001, 0.0005, 0.002][i % 3]!,
          },
          next,
        ),
      );
    }
    files.push({ format: 'kernellab.runs', version: 1, exportedAt: Date.now(), experiments: [], sweeps: [], runs });
  }
  return files;
}

/** Calls one API method of a served app the way the page does (token from its URL). */
export async function callServed<T>(appUrl: string, method: string, input: unknown): Promise<T> {
  const url = new URL(appUrl);
  const token = url.searchParams.get('token');
  const response = await fetch(`${url.origin}/api/call/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(input),
  });
  const reply = (await response.json()) as { ok: true; result: T } | { ok: false; error: { message: string } };
  if (!reply.ok) throw new Error(`${method}: ${reply.error.message}`);
  return reply.result;
}

export async function importRuns(appUrl: string, file: SeedExport): Promise<number> {
  const result = await callServed<{ imported: number }>(appUrl, 'runs.import', { content: JSON.stringify(file) });
  return result.imported;
}
