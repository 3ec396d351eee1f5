/**
 * Training throughput: LeNet-5 (relu) on real MNIST, batch 64, a fixed number of images, on every
 * tfjs backend that loads here. Images/s comes from the training loop's own epochEnd message
 * (the second epoch, after wasm/XNNPACK warm-up); GFLOP/s counts the spec's forward FLOPs × 3
 * (forward + two backward convolutions/matmuls per layer) per image.
 */
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../src-main/core/contract/app.ts';
import { gather, loadSplit } from '../src-main/core/datasets/index.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import { inferShapes } from '../src-main/core/models/shapeInference.ts';
import { loadBackend } from '../src-main/core/training/backends.ts';
import { installMnist } from '../src-main/core/training/mnistFixture.ts';
import { train } from '../src-main/core/training/trainer.ts';
import { registerWasmConvBackpropFilter } from '../src-main/core/training/wasmConvBackpropFilter.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { formatTable, type BenchContext, type BenchResult } from './types.ts';

const imagesPerBackend: Record<BackendName, number> = { tensorflow: 12_800, wasm: 12_800, cpu: 256 };

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const preset = getPreset('lenet5-relu');
  const flopsPerImage = 3 * inferShapes(preset.spec).forwardFlops;
  const mnist = await installMnist();
  const results: BenchResult[] = [
    { name: 'training: LeNet-5 FLOPs per training image', value: flopsPerImage / 1e6, unit: 'MFLOP', note: '3 × forward, from the spec' },
  ];
  try {
    const fullTrain = await loadSplit(mnist.datasetsDir, 'mnist', 'train');
    const test = gather(
      await loadSplit(mnist.datasetsDir, 'mnist', 'test'),
      Uint32Array.from({ length: 100 }, (_, i) => i),
    );
    for (const backend of ['tensorflow', 'wasm', 'cpu'] as const) {
      const probe = await loadBackend(backend);
      if (!probe.available) {
        results.push({ name: `training: LeNet-5 ${backend}`, value: null, unit: 'images/s', note: probe.detail });
        continue;
      }
      if (backend === 'wasm') registerWasmConvBackpropFilter();
      const count = Math.round(imagesPerBackend[backend] / (context.quick ? 4 : 1));
      const trainSplit = gather(
        fullTrain,
        Uint32Array.from({ length: count }, (_, i) => i),
      );
      const runDir = makeTempDir('kernellab-bench-');
      const rates: number[] = [];
      try {
        await train({
          runId: 'bench',
          spec: preset.spec,
          hyperparameters: { ...preset.hyperparameters, epochs: 2, batchSize: 64, validationSplit: 0, backend },
          data: { train: trainSplit, validation: null, test, testIndices: null },
          runDir: runDir.dir,
          resume: false,
          backend,
          device: probe.detail,
          emit: (m) => {
            if (m.type === 'epochEnd') rates.push(m.samplesPerSec);
          },
          isCanceled: () => false,
        });
      } finally {
        runDir.cleanup();
      }
      const rate = rates.at(-1)!;
      results.push({
        name: `training: LeNet-5 ${backend}`,
        value: rate,
        unit: 'images/s',
        ...(backend === 'wasm' ? { target: '≥ 2000' } : {}),
        note: `${count} images/epoch, 2nd epoch, batch 64, ${probe.detail}`,
      });
      results.push({ name: `training: LeNet-5 ${backend} achieved`, value: (rate * flopsPerImage) / 1e9, unit: 'GFLOP/s' });
      tf.engine().reset();
    }
  } finally {
    mnist.cleanup();
  }
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatTable(await run()));
}
