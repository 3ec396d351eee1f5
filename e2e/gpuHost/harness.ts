/**
 * Test page for the GPU host specs (gpuHost.browser.spec.ts), built with vite: tfjs with the cpu,
 * webgpu and webgl backends in the page, and the real GPU Worker (core/gpuhost/gpuWorker.ts)
 * bundled beside it. It exposes `window.gpuHarness`; the spec drives it with page.evaluate.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { GpuHostBackend } from '../../src-main/core/contract/app.ts';
import { ModelSpec, type ModelSpecInput } from '../../src-main/core/contract/training.ts';
import { loadGpuBackend } from '../../src-main/core/gpuhost/browserBackend.ts';
import type { GpuAdapter } from '../../src-main/core/gpuhost/gpuAdapter.ts';
import { GpuHost, type GpuRunOutcome, type GpuWorkerLike } from '../../src-main/core/gpuhost/gpuHost.ts';
import type { GpuTrainRequest } from '../../src-main/core/gpuhost/gpuWorkerProtocol.ts';
import { buildModel } from '../../src-main/core/models/buildModel.ts';
import { dropoutClock } from '../../src-main/core/models/customLayers.ts';
import { crossEntropy } from '../../src-main/core/training/batches.ts';
import { ensureGradients } from '../../src-main/core/training/wasmKernels.ts';

// The node-side tsconfig that checks e2e/ has no DOM types; vite bundles the Worker from this very expression.
declare const Worker: new (url: URL, options: { type: 'module' }) => GpuWorkerLike;

export interface GradientCase {
  spec: ModelSpecInput;
  seed: number;
  /** NHWC pixels in [0, 1] and class indices. */
  x: number[];
  labels: number[];
}

/** Loss and gradients of one batch (training behaviour), on one backend. */
async function gradients(
  backend: 'cpu' | GpuHostBackend,
  input: GradientCase,
): Promise<{ loss: number; grads: number[][]; adapter: GpuAdapter | null }> {
  await ensureGradients();
  let adapter: GpuAdapter | null = null;
  if (backend === 'cpu') await tf.setBackend('cpu');
  else adapter = (await loadGpuBackend(backend)).adapter;
  const spec = ModelSpec.parse(input.spec);
  const model = buildModel(spec, input.seed);
  const [h, w, c] = spec.inputShape;
  const n = input.labels.length;
  dropoutClock.step = 3;
  const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
  const x = tf.tensor4d(input.x, [n, h, w, c]);
  const y = tf.oneHot(tf.tensor1d(input.labels, 'int32'), spec.numClasses);
  const { value, grads } = tf.variableGrads(() => crossEntropy(model.apply(x, { training: true }) as tf.Tensor, y), vars);
  const result = {
    loss: (await value.data())[0]!,
    grads: await Promise.all(vars.map(async (v) => Array.from(await grads[v.name]!.data()))),
    adapter,
  };
  tf.dispose([x, y, value, ...Object.values(grads)]);
  model.dispose();
  return result;
}

/** A split as JSON can carry it. */
interface PlainSplit {
  images: number[];
  labels: number[];
  count: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
}
const toSplit = (s: PlainSplit) => ({ ...s, images: Uint8Array.from(s.images), labels: Uint8Array.from(s.labels) });

type Plain<T> = T extends { bytes: Uint8Array } ? Omit<T, 'bytes'> & { bytes: number } : T;

/** The real GPU Worker started last: a test-only message goes to it. */
let current: GpuWorkerLike | null = null;
const host = new GpuHost(
  () => (current = new Worker(new URL('../../src-main/core/gpuhost/gpuWorker.ts', import.meta.url), { type: 'module' })),
);
/** A Worker that dies as it starts, as one whose GPU process crashed would. */
const dyingHost = new GpuHost(() => new Worker(new URL('./dyingWorker.ts', import.meta.url), { type: 'module' }));
/** A Worker that never answers, with a short stall limit. */
const hangingHost = (stallMs: number) =>
  new GpuHost(() => new Worker(new URL('./hangingWorker.ts', import.meta.url), { type: 'module' }), { stallMs });

export interface TrainOptions {
  dying?: boolean;
  /** The Worker never answers; the host gives up after this many ms. */
  hangingStallMs?: number;
  /** Sends the Worker 'testLoseDevice' when its first batchEnd arrives (a real WebGPU device loss mid-run). */
  loseDevice?: boolean;
}

/** Trains one run in a fresh GPU Worker; answers its outcome and every message it sent (checkpoint bytes as their lengths). */
async function trainInWorker(
  request: Omit<GpuTrainRequest, 'data'> & {
    data: { train: PlainSplit; validation: PlainSplit | null; test: PlainSplit; testIndices: number[] | null };
  },
  options: TrainOptions = {},
): Promise<{ outcome: GpuRunOutcome; messages: unknown[] }> {
  const messages: unknown[] = [];
  let lost = false;
  const chosen = options.dying ? dyingHost : options.hangingStallMs ? hangingHost(options.hangingStallMs) : host;
  const run = chosen.start(
    {
      ...request,
      data: {
        train: toSplit(request.data.train),
        validation: request.data.validation && toSplit(request.data.validation),
        test: toSplit(request.data.test),
        testIndices: request.data.testIndices && Uint32Array.from(request.data.testIndices),
      },
    },
    (message) => {
      if (options.loseDevice && !lost && message.type === 'batchEnd') {
        lost = true;
        current?.postMessage({ type: 'testLoseDevice' });
      }
      messages.push(
        message.type === 'checkpointFiles'
          ? { ...message, files: message.files.map((f): Plain<typeof f> => ({ ...f, bytes: f.bytes.byteLength })) }
          : message,
      );
    },
  );
  return { outcome: await run.done, messages };
}

const harness = { gradients, trainInWorker };
export type GpuHarness = typeof harness;
(globalThis as unknown as { gpuHarness: GpuHarness }).gpuHarness = harness;
