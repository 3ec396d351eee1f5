/**
 * Training throughput and accuracy: the workloads in workloads.ts on every tfjs backend that
 * loads here (the pure-JS cpu backend only on a short LeNet-5 run: it is ~100× slower). Images/s
 * comes from the training loop's own epochEnd message (the last epoch, after warm-up); GFLOP/s
 * counts the spec's forward FLOPs × 3 per image (forward, and the two backward products);
 * accuracy is on the full test split, comparable with the peer rows.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../src-main/core/contract/app.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import { inferShapes } from '../src-main/core/models/shapeInference.ts';
import { loadBackend } from '../src-main/core/training/backends.ts';
import { nodeEnvironment } from '../src-main/core/training/nodeEnvironment.ts';
import { train } from '../src-main/core/training/trainer.ts';
import { registerWasmTrainingKernels } from '../src-main/core/training/wasmKernels.ts';
import type { TrainingMessage } from '../src-main/core/training/workerProtocol.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { formatTable, type BenchContext, type BenchResult } from './types.ts';
import { installWorkloadData, trainingWorkloads, workloadAbsent, workloadData, workloadLabel, type TrainingWorkload } from './workloads.ts';

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const data = makeTempDir('kernellab-bench-data-');
  const results: BenchResult[] = [];
  try {
    await installWorkloadData(data.dir);
    const workloads = trainingWorkloads(context.quick);
    for (const backend of ['tensorflow', 'wasm', 'cpu'] as const) {
      const probe = await loadBackend(backend);
      if (!probe.available) {
        results.push({ name: `training: ${backend}`, value: null, unit: 'images/s', note: `absent: ${probe.detail}` });
        continue;
      }
      if (backend === 'wasm') registerWasmTrainingKernels();
      // The cpu backend trains at ~13 images/s: one short LeNet-5 run shows its rate.
      const mine: TrainingWorkload[] =
        backend === 'cpu' ? [{ model: 'lenet5-relu', dataset: 'mnist', batchSize: 64, trainImages: 256, epochs: 2 }] : workloads;
      for (const w of mine) {
        const absent = workloadAbsent(w);
        if (absent) {
          results.push({ name: `training: ${workloadLabel(w)} ${backend}`, value: null, unit: 'images/s', note: absent });
          continue;
        }
        results.push(...(await measure(data.dir, w, backend, probe.detail)));
      }
      // The next backend starts from a fresh engine. (Resetting between workloads would break
      // wasm: its module does not survive a re-initialisation.)
      tf.engine().reset();
    }
  } finally {
    data.cleanup();
  }
  return results;
}

async function measure(datasetsDir: string, w: TrainingWorkload, backend: BackendName, device: string): Promise<BenchResult[]> {
  const preset = getPreset(w.model);
  const { train: trainSplit, test, spec } = await workloadData(datasetsDir, w);
  const flopsPerImage = 3 * inferShapes(spec).forwardFlops;
  const runDir = makeTempDir('kernellab-bench-run-');
  const epochs: Extract<TrainingMessage, { type: 'epochEnd' }>[] = [];
  let accuracy: number | null = null;
  try {
    await train({
      runId: 1,
      spec,
      hyperparameters: {
        ...preset.hyperparameters,
        epochs: w.epochs,
        batchSize: w.batchSize,
        validationSplit: 0,
        earlyStopping: undefined,
        backend,
        seed: 1,
      },
      data: { train: trainSplit, validation: null, test, testIndices: null },
      environment: nodeEnvironment(runDir.dir),
      resume: false,
      backend,
      device,
      emit: (m) => {
        if (m.type === 'epochEnd') epochs.push(m);
        if (m.type === 'evaluation') accuracy = m.accuracy;
      },
      isCanceled: () => false,
    });
  } finally {
    runDir.cleanup();
  }
  const last = epochs.at(-1)!;
  const label = `training: ${workloadLabel(w)} ${backend}`;
  const target = backend === 'wasm' && w.model === 'lenet5-relu' && w.dataset === 'mnist' ? '≥ 2000' : undefined;
  return [
    { name: label, value: last.logs.samples_per_sec!, unit: 'images/s', target, note: `epoch ${last.epoch} of ${w.epochs}; ${device}` },
    { name: `${label} seconds per epoch`, value: last.logs.epoch_seconds!, unit: 's' },
    {
      name: `${label} achieved`,
      value: (last.logs.samples_per_sec! * flopsPerImage) / 1e9,
      unit: 'GFLOP/s',
      note: `${(flopsPerImage / 1e6).toFixed(2)} MFLOP per training image`,
    },
    { name: `${label} test accuracy`, value: accuracy, unit: 'fraction', note: `${test.count} test images` },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
