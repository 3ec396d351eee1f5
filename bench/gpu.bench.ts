/**
 * Training in a browser GPU host: LeNet-5 trained in a page's Web Worker (core/gpuhost/gpuWorker.ts)
 * on webgpu and on webgl in Debian's Chromium (--enable-unsafe-webgpu), beside wasm in a worker
 * process on the same workload. Each GPU row names the adapter the browser reported; a software
 * adapter (SwiftShader here) is labelled as one: its figure proves the path works, not a GPU's speed.
 */
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import type { GpuHarness } from '../e2e/gpuHost/harness.ts';
import { chromiumPath, gpuChromiumArgs } from '../e2e/support/chromium.ts';
import { serveGpuHarness } from '../e2e/support/gpuHarness.ts';
import { Hyperparameters } from '../src-main/core/contract/training.ts';
import type { RawSplit } from '../src-main/core/datasets/load.ts';
import type { FromGpuWorker } from '../src-main/core/gpuhost/gpuWorkerProtocol.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import { installMnist } from '../src-main/core/training/mnistFixture.ts';
import { startRun } from '../src-main/core/training/runController.ts';
import { prepareData } from '../src-main/core/training/trainingData.ts';
import { TrainRequest, type TrainingMessage } from '../src-main/core/training/workerProtocol.ts';
import { forkWorker } from '../src-main/core/workerHost.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import type { BenchContext, BenchResult } from './types.ts';

const softwareLabel = 'SwiftShader (software) — correctness only, not a GPU speed';

/** The second epoch's training throughput (the first also compiles every shader). */
function secondEpochRate(messages: readonly (TrainingMessage | FromGpuWorker)[]): number | null {
  const epoch = messages.find((m) => m.type === 'epochEnd' && m.epoch === 2);
  return epoch?.type === 'epochEnd' ? (epoch.logs.samples_per_sec ?? null) : null;
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const perClass = context.quick ? 16 : 32;
  const workload = `LeNet-5, ${perClass * 10} MNIST images, batch 64, epoch 2`;
  if (!chromiumPath) {
    return [
      {
        name: `gpu host: ${workload}`,
        value: null,
        unit: 'images/s',
        note: 'absent: no Chromium at /usr/bin/chromium (set PLAYWRIGHT_CHROMIUM)',
      },
    ];
  }
  const preset = getPreset('lenet5-relu');
  const hyperparameters = Hyperparameters.parse({
    ...preset.hyperparameters,
    epochs: 2,
    batchSize: 64,
    optimizer: 'adam',
    learningRate: 1e-3,
    validationSplit: 0,
    seed: 5,
  });
  const subset = { trainPerClass: perClass, testPerClass: 5 };
  const mnist = await installMnist();
  const runDir = makeTempDir('kernellab-bench-gpu-');
  const served = await serveGpuHarness();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: gpuChromiumArgs });
  const rows: BenchResult[] = [];
  try {
    const data = await prepareData({ datasetsDir: mnist.datasetsDir, dataset: 'mnist', subset, hyperparameters });
    const plain = (s: RawSplit) => ({ ...s, images: Array.from(s.images), labels: Array.from(s.labels) });
    const page = await browser.newPage();
    await page.goto(served.url);
    await page.waitForFunction(() => 'gpuHarness' in globalThis);
    for (const backend of ['webgpu', 'webgl'] as const) {
      const request = {
        type: 'train' as const,
        runId: 1,
        spec: preset.spec,
        hyperparameters,
        backend,
        data: {
          train: plain(data.train),
          validation: null,
          test: plain(data.test),
          testIndices: data.testIndices && Array.from(data.testIndices),
        },
      };
      const { messages } = await page.evaluate(
        (r) => (globalThis as unknown as { gpuHarness: GpuHarness }).gpuHarness.trainInWorker(r),
        request,
      );
      const sent = messages as FromGpuWorker[];
      const error = sent.find((m) => m.type === 'error');
      const begin = sent.find((m) => m.type === 'trainBegin');
      const adapter = begin?.type === 'trainBegin' ? begin.runtime?.adapter : undefined;
      const software = adapter?.isFallbackAdapter === true;
      rows.push({
        name: `gpu host: ${workload}, ${backend} in a browser Worker`,
        value: error ? null : secondEpochRate(sent),
        unit: 'images/s',
        note:
          error?.type === 'error'
            ? `absent: ${error.message}`
            : `${begin?.type === 'trainBegin' ? begin.device : ''}${software ? ` — ${softwareLabel}` : ''}`,
      });
    }
    const wasm: TrainingMessage[] = [];
    const request = TrainRequest.parse({
      type: 'train',
      runId: 1,
      spec: preset.spec,
      hyperparameters: { ...hyperparameters, backend: 'wasm' },
      datasetsDir: mnist.datasetsDir,
      dataset: 'mnist',
      subset,
      runDir: runDir.dir,
      threads: 1,
    });
    const outcome = await startRun(forkWorker, fileURLToPath(new URL('../src-main/core/training/worker.ts', import.meta.url)), request, {
      onMessage: (_id, m) => wasm.push(m),
    }).done;
    rows.push({
      name: `gpu host: ${workload}, wasm in a worker process (1 thread), for comparison`,
      value: outcome.status === 'completed' ? secondEpochRate(wasm) : null,
      unit: 'images/s',
      ...(outcome.status === 'completed' ? {} : { note: `absent: ${outcome.error}` }),
    });
    return rows;
  } finally {
    await browser.close();
    await served.close();
    runDir.cleanup();
    mnist.cleanup();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
