/**
 * Entry of the dedicated Web Worker that trains one run on the browser's GPU (webgpu, falling
 * back to webgl) with the same loop as a worker process (training/trainer.ts). It talks to
 * whoever started it only through gpuWorkerProtocol.ts. One Worker trains one run: its starter
 * terminates it afterwards, which frees every GPU buffer the run held, and a Worker whose GPU
 * process died is simply replaced by a fresh one for the next run.
 *
 * A GPU failure tfjs does not see (a lost WebGPU device, an out-of-memory or validation error
 * raised as `uncapturederror`, a lost WebGL context; gpuDeviceWatch.ts) ends the run at once with
 * an 'error' message in its words: the starter then terminates this Worker, which frees the GPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { train, type TrainingEnvironment } from '../training/trainer.ts';
import type { RunRuntime } from '../training/workerProtocol.ts';
import { loadGpuBackend } from './browserBackend.ts';
import { watchGpu, type GpuDeviceLike } from './gpuDeviceWatch.ts';
import { FromGpuWorker, gpuWorkerError, ToGpuWorker, type CheckpointBytes } from './gpuWorkerProtocol.ts';
import { memoryCheckpoints } from './memoryCheckpoints.ts';

/** What this file uses of a DedicatedWorkerGlobalScope (the node-side tsconfig has no DOM types). */
interface WorkerScope {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}
interface ChannelLike {
  port1: { onmessage: (() => void) | null; close(): void };
  port2: { postMessage(message: unknown): void };
}
const scope = globalThis as unknown as WorkerScope & { MessageChannel: new () => ChannelLike };

function send(message: FromGpuWorker): void {
  scope.postMessage(FromGpuWorker.parse(message));
}

/** A macrotask turn, so a cancel message lands between batches (setTimeout would clamp to 4 ms). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new scope.MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

let canceled = false;
let training = false;
let runId: number | undefined;
/** The run's first failure was sent: later ones (the errors a lost device causes) are its consequences. */
let failed = false;
/** Set while a webgpu run trains with test hooks allowed: 'testLoseDevice' destroys it. */
let testDevice: GpuDeviceLike | null = null;
const warned = new Set<string>();
/** The WebGPU device the run trains on, if any: a training error waits a moment for its loss to be heard. */
let device: GpuDeviceLike | null = null;

/** Ends the run with its first failure (the GPU watch's words, or what the run threw); the starter terminates this Worker on it. */
function fail(error: unknown): void {
  if (failed) return;
  failed = true;
  canceled = true;
  send(gpuWorkerError(runId, error));
}

async function runTraining(request: ToGpuWorker & { type: 'train' }): Promise<void> {
  const message = ToGpuWorker.parse(request);
  if (message.type !== 'train') return;
  training = true;
  runId = message.runId;
  const backend = await loadGpuBackend(message.backend);
  device = watchGpu(tf.backend(), fail, (text) => {
    // Not fatal (gpuDeviceWatch.ts): each distinct one is logged once, where the page's console shows it.
    if (warned.size >= 20 || warned.has(text)) return;
    warned.add(text);
    console.warn(`gpu worker, run ${message.runId}: ${text}`);
  });
  if (message.allowTestHooks) testDevice = device;
  const runtime: RunRuntime = { threads: 1, adapter: backend.adapter, fallback: backend.fallback };
  const environment: TrainingEnvironment = {
    checkpoints: memoryCheckpoints(message.runId, message.resumeFrom as CheckpointBytes[] | null, (kind, files, epoch) =>
      send({ type: 'checkpointFiles', runId: message.runId, kind, ...(epoch === null ? {} : { epoch }), files }),
    ),
    // A page cannot measure its own CPU time or memory: recorded as not measured.
    cpuSeconds: () => null,
    memoryBytes: () => null,
    yieldToEventLoop,
  };
  try {
    await train({
      runId: message.runId,
      spec: message.spec,
      hyperparameters: message.hyperparameters,
      data: message.data,
      environment,
      resume: message.resumeFrom !== null,
      evaluateAtEpochs: message.evaluateAtEpochs,
      backend: backend.name,
      device: backend.device,
      deviceCode: backend.deviceCode,
      runtime,
      emit: send,
      isCanceled: () => canceled,
    });
  } finally {
    // The starter terminates this Worker after the run; until then nothing of the run stays on the GPU.
    tf.disposeVariables();
  }
}

async function handle(raw: unknown): Promise<void> {
  const parsed = ToGpuWorker.safeParse(raw);
  if (!parsed.success) throw new Error(`gpu worker: unknown message ${JSON.stringify(raw)?.slice(0, 200)}`);
  const message = parsed.data;
  switch (message.type) {
    case 'train': {
      if (training) throw new Error('gpu worker: a run is already training in this Worker');
      await runTraining(message);
      break;
    }
    case 'cancel': {
      canceled = true;
      break;
    }
    case 'testLoseDevice': {
      if (!testDevice) throw new Error('gpu worker: testLoseDevice refused: the run allowed no test hooks or trains on no WebGPU device');
      testDevice.destroy();
      break;
    }
    default: {
      const unknown: never = message;
      throw new Error(`gpu worker: unhandled message type ${JSON.stringify(unknown)}`);
    }
  }
}

scope.addEventListener('message', (event) => {
  handle(event.data).catch(async (error: unknown) => {
    // A read that failed because the device was lost rejects before device.lost is heard: wait a
    // moment so the run names the cause, not its consequence.
    if (device) await new Promise((resolve) => setTimeout(resolve, 200));
    // A GPU that ran out of memory says so in tfjs' or the browser's words; keep them. The core's
    // own errors go with their coded form.
    fail(error);
  });
});
