/**
 * The tensorflow engine as installed (`kernellab engine install tensorflow`; .ci/run installs the
 * CPU engine from TensorFlow's wheel): gradients equal the cpu backend's for every layer type,
 * LeNet-5 trains through the scheduler recorded as tensorflow, and a checkpoint moves between
 * tensorflow and wasm both ways. Skips, saying why, where no engine is installed — not in CI.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineForTests, type InstalledEngine } from '../../test/installedEngine.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import type { BackendName } from '../contract/app.ts';
import { createService } from '../service.ts';
import { dataDirWithMnist } from '../sweeps/sweepFixture.ts';
import { buildModel } from '../models/buildModel.ts';
import { ModelSpec, type ModelSpecInput } from '../contract/training.ts';
import { getPreset } from '../models/presets.ts';
import { forkWorker } from '../workerHost.ts';
import { engineProcessEnv } from '../engine/layout.ts';
import { SeededRandom } from '../random.ts';
import { installMnist } from './mnistFixture.ts';
import { startRun } from './runController.ts';
import { loadTensorflowEngine } from './tensorflowEngine.ts';
import { TrainRequest, type TrainingMessage } from './workerProtocol.ts';

const engine: InstalledEngine | undefined = engineForTests('tensorflow engine suite');
const workerEntry = fileURLToPath(new URL('./worker.ts', import.meta.url));

describe.runIf(engine !== undefined)('the installed tensorflow engine', () => {
  beforeAll(async () => {
    await loadTensorflowEngine(engine!.dir);
  });

  /** Loss and the gradient of every trainable weight of a one-layer-type model, on one backend. */
  async function lossAndGrads(backend: BackendName, spec: ModelSpec, x: Float32Array, labels: number[]) {
    expect(await tf.setBackend(backend)).toBe(true);
    const model = buildModel(spec, 7);
    try {
      const [h, w, c] = spec.inputShape;
      const xs = tf.tensor4d(x, [labels.length, h, w, c]);
      const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), spec.numClasses);
      const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
      const { value, grads } = tf.variableGrads(() => {
        // Eval mode: dropout passes through, batch norm uses its moving statistics.
        const probs = model.apply(xs, { training: false }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(ys, tf.log(tf.clipByValue(probs, 1e-7, 1)));
      }, vars);
      const out = {
        loss: (await value.data())[0]!,
        grads: await Promise.all(vars.map(async (v) => ({ name: v.name, values: await grads[v.name]!.data() }))),
      };
      tf.dispose([xs, ys, value, ...Object.values(grads)]);
      return out;
    } finally {
      model.dispose();
    }
  }

  const maxRelative = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
    for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    return worst / Math.max(scale, 1e-12);
  };

  const cases: [string, ModelSpecInput['layers']][] = [
    ['conv2d valid, stride 1', [{ type: 'conv2d', filters: 6, kernelSize: 5, padding: 'valid' }]],
    ['conv2d same, stride 2', [{ type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'same' }]],
    ['conv2d valid, stride 3, tanh', [{ type: 'conv2d', filters: 3, kernelSize: 4, strides: 3, padding: 'valid', activation: 'tanh' }]],
    [
      'max pooling',
      [
        { type: 'conv2d', filters: 4, kernelSize: 3 },
        { type: 'maxPool2d', poolSize: 2 },
      ],
    ],
    [
      'average pooling, stride 1',
      [
        { type: 'conv2d', filters: 4, kernelSize: 3 },
        { type: 'avgPool2d', poolSize: 3, strides: 1 },
      ],
    ],
    ['dense', [{ type: 'flatten' }, { type: 'dense', units: 12, activation: 'swish' }]],
    [
      'dropout (eval)',
      [
        { type: 'conv2d', filters: 4, kernelSize: 3 },
        { type: 'dropout', rate: 0.5 },
      ],
    ],
    ['batch norm', [{ type: 'conv2d', filters: 4, kernelSize: 3, activation: 'linear' }, { type: 'batchNorm' }]],
    [
      'LRN',
      [
        { type: 'conv2d', filters: 6, kernelSize: 3 },
        { type: 'lrn', depthRadius: 2, bias: 1, alpha: 1e-3, beta: 0.75 },
      ],
    ],
  ];

  it.each(cases)('%s: loss and every weight gradient equal the cpu backend within 1e-4 relative', async (_label, layers) => {
    const spec = ModelSpec.parse({
      name: 'parity',
      inputShape: [12, 12, 2],
      numClasses: 5,
      layers: [
        ...layers,
        ...(layers.some((l) => l.type === 'flatten') ? [] : [{ type: 'flatten' as const }]),
        { type: 'dense', units: 5, activation: 'linear' },
      ],
    });
    const random = new SeededRandom(3);
    const x = Float32Array.from({ length: 4 * 12 * 12 * 2 }, () => random.next());
    const labels = [0, 3, 1, 4];
    const engineResult = await lossAndGrads('tensorflow', spec, x, labels);
    const cpuResult = await lossAndGrads('cpu', spec, x, labels);
    expect(Math.abs(engineResult.loss - cpuResult.loss) / Math.abs(cpuResult.loss)).toBeLessThan(1e-5);
    expect(engineResult.grads.map((g) => g.values.length)).toEqual(cpuResult.grads.map((g) => g.values.length));
    for (const [i, g] of engineResult.grads.entries()) {
      expect(maxRelative(g.values, cpuResult.grads[i]!.values), `${g.name}`).toBeLessThan(1e-4);
    }
  });
});

describe.runIf(engine !== undefined)('training on the installed tensorflow engine', () => {
  let home: { dir: string; cleanup: () => void };
  let mnist: { datasetsDir: string; cleanup: () => void };
  const previous = process.env.KERNELLAB_ENGINES_DIR;
  beforeAll(async () => {
    // The service's workers find the engine where the test found it.
    process.env.KERNELLAB_ENGINES_DIR = engine!.enginesDir;
    home = await dataDirWithMnist('kernellab-tf-');
    mnist = await installMnist();
  });
  afterAll(() => {
    if (previous === undefined) delete process.env.KERNELLAB_ENGINES_DIR;
    else process.env.KERNELLAB_ENGINES_DIR = previous;
    home?.cleanup();
    mnist?.cleanup();
  });

  it(
    'trains LeNet-5 for one epoch on an MNIST subset through the scheduler, recorded as tensorflow with its threads',
    { timeout: 300_000 },
    async () => {
      const service = createService({ dataDir: home.dir, shell: 'server' });
      try {
        expect(service.context.layout.engines).toBe(engine!.enginesDir);
        const { runId } = await service.call('runs.start', {
          run: {
            preset: 'lenet5-relu',
            dataset: 'mnist',
            subset: { train: 2000, test: 500 },
            hyperparameters: { epochs: 1, batchSize: 64, validationSplit: 0.1 },
          },
        });
        let run = await service.call('runs.get', { id: runId });
        for (
          const until = Date.now() + 240_000;
          !['completed', 'failed', 'diverged', 'canceled'].includes(run.status) && Date.now() < until;
        ) {
          await new Promise((r) => setTimeout(r, 250));
          run = await service.call('runs.get', { id: runId });
        }
        expect(run.error).toBeNull();
        expect(run.status).toBe('completed');
        expect(run.backend).toBe('tensorflow');
        expect(run.device).toMatch(new RegExp(`^CPU libtensorflow ${engine!.manifest.check.tensorflowVersion.replace(/\./g, '\\.')}`));
        // Alone on the machine: every core.
        const runtime = (run.environment as { runtime: unknown }).runtime as {
          threads: number;
          tensorflow: { version: string; variant: string };
        };
        expect(runtime.threads).toBe((await import('node:os')).availableParallelism());
        expect(runtime.tensorflow).toMatchObject({ version: engine!.manifest.check.tensorflowVersion, variant: engine!.manifest.variant });
        const accuracy = run.evaluations.find((e) => e.split === 'test')!.accuracy;
        expect(accuracy).toBeGreaterThan(0.5);
      } finally {
        await service.close();
      }
    },
  );

  /** Trains in a real worker; `stopAfterEpochs` stops after that many epochs so another backend can resume. */
  async function trainIn(backend: BackendName, runDir: string, resume: boolean, stopAfterEpochs?: number) {
    const preset = getPreset('lenet5-relu');
    const request = TrainRequest.parse({
      type: 'train',
      runId: 1,
      spec: preset.spec,
      hyperparameters: {
        ...preset.hyperparameters,
        epochs: 2,
        batchSize: 32,
        optimizer: 'adam',
        learningRate: 1e-3,
        validationSplit: 0,
        backend,
        seed: 11,
      },
      datasetsDir: mnist.datasetsDir,
      dataset: 'mnist',
      runDir,
      resume,
      subset: { trainPerClass: 40, testPerClass: 20 },
      ...(stopAfterEpochs ? { stopAfterEpochs } : {}),
      threads: 1,
    });
    const messages: TrainingMessage[] = [];
    const launch: typeof forkWorker = (entry, args, env) =>
      forkWorker(entry, args, { ...engineProcessEnv(engine!.dir, engine!.manifest), ...env });
    const outcome = await startRun(launch, workerEntry, request, { onMessage: (_id, m) => messages.push(m) }).done;
    return { outcome, messages };
  }

  const lastLoss = (messages: TrainingMessage[]) =>
    messages.filter((m) => m.type === 'epochEnd').at(-1) as Extract<TrainingMessage, { type: 'epochEnd' }>;

  it.each([
    ['tensorflow', 'wasm'],
    ['wasm', 'tensorflow'],
  ] as const)(
    'resumes a checkpoint saved on %s on %s, ending where a run on one backend ends',
    { timeout: 300_000 },
    async (first, second) => {
      const dirs = makeTempDir('kernellab-cross-');
      try {
        const whole = await trainIn(first, join(dirs.dir, 'whole'), false);
        expect(whole.outcome.status).toBe('completed');
        const half = await trainIn(first, join(dirs.dir, 'moved'), false, 1);
        expect(half.outcome).toMatchObject({ status: 'canceled', epochsCompleted: 1 });
        const resumed = await trainIn(second, join(dirs.dir, 'moved'), true);
        expect(resumed.outcome).toMatchObject({ status: 'completed', epochsCompleted: 2 });
        const begin = resumed.messages.find((m) => m.type === 'trainBegin');
        expect(begin?.type === 'trainBegin' && [begin.backend, begin.startEpoch]).toEqual([second, 2]);
        // Epoch 1 is the first backend's in both; epoch 2 ran on different engines, whose float
        // results differ in rounding only.
        const [a, b] = [lastLoss(whole.messages), lastLoss(resumed.messages)];
        expect(Math.abs(a.logs.loss! - b.logs.loss!) / a.logs.loss!).toBeLessThan(1e-3);
        const [ea, eb] = [whole.messages, resumed.messages].map((ms) => ms.find((m) => m.type === 'evaluation')!) as Extract<
          TrainingMessage,
          { type: 'evaluation' }
        >[];
        expect(Math.abs(ea!.loss - eb!.loss) / ea!.loss).toBeLessThan(1e-3);
      } finally {
        dirs.cleanup();
      }
    },
  );
});
