import { fileURLToPath } from 'node:url';
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { Hyperparameters, type ModelSpecInput } from '../src-main/core/contract/training.ts';
import type { RawSplit } from '../src-main/core/datasets/load.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import { installMnist } from '../src-main/core/training/mnistFixture.ts';
import { startRun } from '../src-main/core/training/runController.ts';
import { prepareData } from '../src-main/core/training/trainingData.ts';
import { TrainRequest, type TrainingMessage } from '../src-main/core/training/workerProtocol.ts';
import { forkWorker } from '../src-main/core/workerHost.ts';
import type { FromGpuWorker } from '../src-main/core/gpuhost/gpuWorkerProtocol.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import type { GpuHarness, TrainOptions } from './gpuHost/harness.ts';
import { gpuFailureText } from '../src-main/core/gpuhost/gpuFailure.ts';
import { chromiumPath, gpuChromiumArgs } from './support/chromium.ts';
import { serveGpuHarness, type ServedHarness } from './support/gpuHarness.ts';

/** A GPU worker's message as the harness answers it (checkpoint bytes as their lengths). */
type GpuMessage = FromGpuWorker;

/**
 * The GPU host in browser mode: Debian's Chromium with --enable-unsafe-webgpu, which here has no
 * GPU and gives SwiftShader (software) adapters. They prove the numbers, never a GPU's speed.
 */
let served: ServedHarness;
let browser: Browser;
let page: Page;

test.beforeAll(async () => {
  test.setTimeout(240_000);
  served = await serveGpuHarness();
  browser = await chromium.launch({ ...(chromiumPath ? { executablePath: chromiumPath } : {}), args: gpuChromiumArgs });
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`page: ${m.text()}`);
  });
  await page.goto(served.url);
  await page.waitForFunction(() => 'gpuHarness' in globalThis);
});

test.afterAll(async () => {
  await browser?.close();
  await served?.close();
});

/**
 * The GPU backends whose LeNet-5 run in a Worker is compared with wasm: webgpu, the one the host
 * prefers (webgl in a Worker gave wasm's epoch losses to 1e-6 too when measured, but costs CI
 * another two minutes on SwiftShader).
 */
const lenetBackends = ['webgpu'] as const;

/** A deterministic pseudo-random sequence in [0, 1) (LCG), the same for every backend. */
function noise(count: number, seed: number): number[] {
  let state = seed >>> 0;
  return Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  });
}

/** One model per layer type, around an 8×8×2 input and 3 classes: every trainable weight's gradient is compared. */
const layerCases: Record<string, ModelSpecInput['layers']> = {
  conv2d: [{ type: 'conv2d', filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }, { type: 'flatten' }],
  conv2dStrided: [{ type: 'conv2d', filters: 3, kernelSize: 3, strides: 2, activation: 'tanh' }, { type: 'flatten' }],
  maxPool2d: [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' }, { type: 'maxPool2d', poolSize: 2 }, { type: 'flatten' }],
  avgPool2d: [{ type: 'conv2d', filters: 3, kernelSize: 3, padding: 'same' }, { type: 'avgPool2d', poolSize: 2 }, { type: 'flatten' }],
  batchNorm: [{ type: 'conv2d', filters: 3, kernelSize: 3, activation: 'linear' }, { type: 'batchNorm' }, { type: 'flatten' }],
  dropout: [{ type: 'conv2d', filters: 3, kernelSize: 3 }, { type: 'flatten' }, { type: 'dropout', rate: 0.3 }],
  lrn: [{ type: 'conv2d', filters: 6, kernelSize: 3 }, { type: 'lrn', depthRadius: 2, alpha: 1e-2, beta: 0.75 }, { type: 'flatten' }],
  flatten: [{ type: 'flatten' }],
  dense: [{ type: 'flatten' }, { type: 'dense', units: 10, activation: 'sigmoid' }],
  activation: [
    { type: 'conv2d', filters: 3, kernelSize: 3, activation: 'linear' },
    { type: 'activation', activation: 'elu' },
    { type: 'flatten' },
  ],
};

function gradientCase(layers: ModelSpecInput['layers']) {
  const n = 6;
  return {
    spec: { name: 'parity', inputShape: [8, 8, 2] as [number, number, number], numClasses: 3, layers },
    seed: 11,
    x: noise(n * 8 * 8 * 2, 5),
    labels: Array.from({ length: n }, (_, i) => i % 3),
  };
}

/** Largest |a − b| / max(|b|, floor) over every gradient value. */
function worstRelative(a: number[][], b: number[][], floor: number): number {
  let worst = 0;
  a.forEach((grad, i) => grad.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!) / Math.max(Math.abs(b[i]![j]!), floor)))));
  return worst;
}

for (const backend of ['webgpu', 'webgl'] as const) {
  test(`every layer type has cpu's gradients on ${backend} (SwiftShader, software)`, async () => {
    test.setTimeout(180_000);
    for (const [name, layers] of Object.entries(layerCases)) {
      const input = gradientCase(layers);
      const run = (b: 'cpu' | 'webgpu' | 'webgl') =>
        page.evaluate(([b, i]) => (globalThis as unknown as { gpuHarness: GpuHarness }).gpuHarness.gradients(b, i), [b, input] as const);
      const cpu = await run('cpu');
      const gpu = await run(backend);
      expect(gpu.adapter?.api, name).toBe(backend);
      expect(gpu.adapter?.isFallbackAdapter, `${name}: SwiftShader is a fallback adapter`).toBe(true);
      expect(
        gpu.grads.map((g) => g.length),
        name,
      ).toEqual(cpu.grads.map((g) => g.length));
      expect(Math.abs(gpu.loss - cpu.loss) / cpu.loss, `${name} loss`).toBeLessThan(1e-5);
      const worst = worstRelative(gpu.grads, cpu.grads, 1e-3);
      console.log(
        `${backend} ${name}: loss ${gpu.loss} vs cpu ${cpu.loss}; worst gradient difference ${worst.toExponential(2)} (relative, floor 1e-3)`,
      );
      expect(worst, `${name} gradients`).toBeLessThan(1e-3);
    }
  });
}

/** LeNet-5, Adam with every constant explicit, seed 3, on 1,000 MNIST training images (100 per class, 10 % validation) and 300 test images. */
const preset = getPreset('lenet5-relu');
const lenetHyperparameters = Hyperparameters.parse({
  ...preset.hyperparameters,
  epochs: 2,
  batchSize: 64,
  optimizer: 'adam',
  learningRate: 1e-3,
  validationSplit: 0.1,
  seed: 3,
});
const lenetSubset = { trainPerClass: 100, testPerClass: 30 };

let mnist: { datasetsDir: string; cleanup: () => void } | undefined;
let wasmReference: Promise<TrainingMessage[]> | undefined;

/** The same run in a real worker process on wasm, once for every GPU backend compared with it. */
function trainOnWasm(datasetsDir: string): Promise<TrainingMessage[]> {
  wasmReference ??= (async () => {
    const runDir = makeTempDir('kernellab-gpu-wasm-');
    try {
      const messages: TrainingMessage[] = [];
      const request = TrainRequest.parse({
        type: 'train',
        runId: 1,
        spec: preset.spec,
        hyperparameters: { ...lenetHyperparameters, backend: 'wasm' },
        datasetsDir,
        dataset: 'mnist',
        subset: lenetSubset,
        runDir: runDir.dir,
        threads: 1,
      });
      const run = startRun(forkWorker, fileURLToPath(new URL('../src-main/core/training/worker.ts', import.meta.url)), request, {
        onMessage: (_id, m) => messages.push(m),
      });
      expect(await run.done).toEqual({ status: 'completed', error: null, errorText: null, errorIssues: null, epochsCompleted: 2 });
      return messages;
    } finally {
      runDir.cleanup();
    }
  })();
  return wasmReference;
}

test.afterAll(() => mnist?.cleanup());

for (const backend of lenetBackends) {
  test(`LeNet-5 on 1,000 MNIST images trains in the page’s Worker on ${backend}, names its adapter, and gets wasm’s metrics for the same seed`, async () => {
    test.setTimeout(900_000);
    mnist ??= await installMnist();
    const data = await prepareData({
      datasetsDir: mnist.datasetsDir,
      dataset: 'mnist',
      subset: lenetSubset,
      hyperparameters: lenetHyperparameters,
    });
    expect(data.train.count + (data.validation?.count ?? 0)).toBe(1000);
    const plain = (s: RawSplit) => ({ ...s, images: Array.from(s.images), labels: Array.from(s.labels) });
    const request = {
      type: 'train' as const,
      runId: 1,
      spec: preset.spec,
      hyperparameters: lenetHyperparameters,
      backend,
      data: {
        train: plain(data.train),
        validation: data.validation && plain(data.validation),
        test: plain(data.test),
        testIndices: data.testIndices && Array.from(data.testIndices),
      },
    };
    const gpuRun = await page.evaluate((r) => (globalThis as unknown as { gpuHarness: GpuHarness }).gpuHarness.trainInWorker(r), request);
    expect(gpuRun.outcome).toEqual({ status: 'completed', error: null, epochsCompleted: 2 });
    const gpuMessages = gpuRun.messages as GpuMessage[];
    const wasmMessages = await trainOnWasm(mnist.datasetsDir);

    expect(
      gpuMessages.find((m) => m.type === 'error'),
      'the GPU worker reported no error',
    ).toBeUndefined();
    const begin = gpuMessages.find((m) => m.type === 'trainBegin');
    if (begin?.type !== 'trainBegin') throw new Error('no trainBegin from the GPU worker');
    expect(begin.backend).toBe(backend);
    expect(begin.runtime?.adapter).toMatchObject({ api: backend, isFallbackAdapter: true });
    expect(begin.device).toMatch(/software adapter.*not a GPU/);
    expect(begin.device).not.toMatch(/on GPU/);
    console.log(`GPU worker device: ${begin.device}`);

    const epochs = (messages: (TrainingMessage | GpuMessage)[]) => messages.flatMap((m) => (m.type === 'epochEnd' ? [m.logs] : []));
    const [gpuEpochs, wasmEpochs] = [epochs(gpuMessages), epochs(wasmMessages)];
    expect(gpuEpochs).toHaveLength(2);
    for (const [i, gpu] of gpuEpochs.entries()) {
      const wasm = wasmEpochs[i]!;
      console.log(
        `epoch ${i + 1}: ${backend} loss ${gpu.loss} acc ${gpu.accuracy} val_loss ${gpu.val_loss} val_acc ${gpu.val_accuracy} | wasm loss ${wasm.loss} acc ${wasm.accuracy} val_loss ${wasm.val_loss} val_acc ${wasm.val_accuracy}`,
      );
      expect(gpu.loss).toBeCloseTo(wasm.loss!, 3);
      expect(gpu.val_loss).toBeCloseTo(wasm.val_loss!, 3);
      expect(gpu.accuracy).toBeCloseTo(wasm.accuracy!, 2);
      expect(gpu.val_accuracy).toBeCloseTo(wasm.val_accuracy!, 2);
    }
    const final = (messages: (TrainingMessage | GpuMessage)[]) => messages.find((m) => m.type === 'evaluation' && m.epoch === undefined);
    const [gpuTest, wasmTest] = [final(gpuMessages), final(wasmMessages)];
    if (gpuTest?.type !== 'evaluation' || wasmTest?.type !== 'evaluation') throw new Error('a run sent no final evaluation');
    expect(gpuTest.count).toBe(300);
    expect(gpuTest.loss).toBeCloseTo(wasmTest.loss, 3);
    expect(gpuTest.accuracy).toBeCloseTo(wasmTest.accuracy, 2);
    // Its checkpoints came out of the Worker as bytes, each ahead of the message naming it.
    const order = gpuMessages.flatMap((m) => (m.type === 'checkpointFiles' || m.type === 'checkpoint' ? [`${m.type} ${m.kind}`] : []));
    for (const [i, entry] of order.entries())
      if (entry.startsWith('checkpoint ')) expect(order[i - 1]).toBe(entry.replace('checkpoint ', 'checkpointFiles '));
    // The epoch's weight snapshot, then its best and last checkpoints.
    expect(order.slice(0, 4)).toEqual(['checkpointFiles epoch', 'checkpoint epoch', 'checkpointFiles best', 'checkpoint best']);
    expect(order).toContain('checkpoint last');
  });
}

test('a GPU Worker that dies fails its own run with that reason, and the next run gets a fresh Worker and completes', async () => {
  test.setTimeout(600_000);
  mnist ??= await installMnist();
  const hyperparameters = Hyperparameters.parse({ ...lenetHyperparameters, epochs: 1, validationSplit: 0 });
  const data = await prepareData({
    datasetsDir: mnist.datasetsDir,
    dataset: 'mnist',
    subset: { trainPerClass: 10, testPerClass: 2 },
    hyperparameters,
  });
  const plain = (s: RawSplit) => ({ ...s, images: Array.from(s.images), labels: Array.from(s.labels) });
  const request = {
    type: 'train' as const,
    runId: 7,
    spec: preset.spec,
    hyperparameters,
    data: {
      train: plain(data.train),
      validation: null,
      test: plain(data.test),
      testIndices: data.testIndices && Array.from(data.testIndices),
    },
  };
  const train = (dying: boolean) =>
    page.evaluate(([r, d]) => (globalThis as unknown as { gpuHarness: GpuHarness }).gpuHarness.trainInWorker(r, { dying: d }), [
      request,
      dying,
    ] as const);
  const died = await train(true);
  expect(died.outcome.status).toBe('failed');
  expect(died.outcome.error).toMatch(/^the GPU host's Worker died: .*the GPU process is gone/);
  const next = await train(false);
  expect(next.outcome).toEqual({ status: 'completed', error: null, epochsCompleted: 1 });
  expect((next.messages as GpuMessage[]).some((m) => m.type === 'evaluation')).toBe(true);
});

test("a lost WebGPU device mid-run (the Worker's real device destroyed) fails the run in words naming a lost GPU, and the next run completes", async () => {
  test.setTimeout(600_000);
  mnist ??= await installMnist();
  const request = await smallRequest(3);
  const train = (r: typeof request, options: TrainOptions) =>
    page.evaluate(([r, o]) => (globalThis as unknown as { gpuHarness: GpuHarness }).gpuHarness.trainInWorker(r, o), [r, options] as const);

  // Without the start flag the Worker refuses the test message and its device is not touched.
  const refused = await train(request, { loseDevice: true });
  expect(refused.outcome.status).toBe('failed');
  expect(refused.outcome.error).toMatch(/^gpu worker: testLoseDevice refused/);

  const lost = await train({ ...request, allowTestHooks: true }, { loseDevice: true });
  expect(lost.outcome.status).toBe('failed');
  expect(lost.outcome.error).toMatch(/^the WebGPU device was lost \(reason: destroyed\)/);
  expect(gpuFailureText(lost.outcome.error ?? '').code?.code).toBe('gpu_failure_lost');
  expect((lost.messages as GpuMessage[]).some((m) => m.type === 'trainEnd')).toBe(false);

  const next = await train({ ...request, hyperparameters: { ...request.hyperparameters, epochs: 1 } }, {});
  expect(next.outcome).toEqual({ status: 'completed', error: null, epochsCompleted: 1 });
});

test('a GPU Worker that stops answering mid-run fails its run after the stall limit instead of holding it', async () => {
  mnist ??= await installMnist();
  const request = await smallRequest(1);
  const hung = await page.evaluate(
    (r) => (globalThis as unknown as { gpuHarness: GpuHarness }).gpuHarness.trainInWorker(r, { hangingStallMs: 1500 }),
    request,
  );
  expect(hung.outcome).toEqual({
    status: 'failed',
    error: "the GPU host's Worker sent nothing for 1.5 s: a training step hung (the GPU stopped answering without an error)",
    errorText: { code: 'gpu_failure_stalled', params: { seconds: 1.5 } },
    epochsCompleted: 0,
  });
});

/** A LeNet-5 run on 100 MNIST images, pinned to webgpu, as the harness takes it. */
async function smallRequest(epochs: number) {
  const hyperparameters = Hyperparameters.parse({ ...lenetHyperparameters, epochs, validationSplit: 0, backend: 'webgpu' });
  const data = await prepareData({
    datasetsDir: mnist!.datasetsDir,
    dataset: 'mnist',
    subset: { trainPerClass: 10, testPerClass: 2 },
    hyperparameters,
  });
  const plain = (s: RawSplit) => ({ ...s, images: Array.from(s.images), labels: Array.from(s.labels) });
  return {
    type: 'train' as const,
    runId: 8,
    allowTestHooks: false,
    spec: preset.spec,
    hyperparameters,
    backend: 'webgpu' as const,
    data: {
      train: plain(data.train),
      validation: null,
      test: plain(data.test),
      testIndices: data.testIndices && Array.from(data.testIndices),
    },
  };
}
