/**
 * Entry of a training worker process (child_process.fork or Electron utilityProcess).
 * It talks to main only through the typed messages in workerProtocol.ts.
 */
import { totalmem } from 'node:os';
import { isGpuHostBackend, type BackendName, type BackendProbe } from '../contract/app.ts';
import { backendOrder, loadBackend, probeBackends } from './backends.ts';
import { backendReason } from './backendReason.ts';
import { StorageError } from './checkpointIO.ts';
import { coded, errorSentence, KernelLabError } from '../errors.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { memoryProblem, runMemory, wasmHeapBytes } from '../models/runMemory.ts';
import { inferShapes } from '../models/shapeInference.ts';
import { registerWasmTrainingKernels } from './wasmKernels.ts';
import { train } from './trainer.ts';
import { nodeEnvironment } from './nodeEnvironment.ts';
import { prepareData } from './trainingData.ts';
import { checkTensorflowEngine, loadTensorflowEngine, setTensorflowThreads } from './tensorflowEngine.ts';
import { setWasmThreads, wasmThreadCount } from './wasmThreads.ts';
import { infer } from './inference.ts';
import type { ExportModelRequest, InferRequest } from './inferenceProtocol.ts';
import { exportCheckpoint } from '../inspect/exportModel.ts';
import { FromWorker, ToWorker, type RunRuntime, type TrainRequest } from './workerProtocol.ts';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

// Electron's utilityProcess exposes process.parentPort; child_process.fork exposes process.send.
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

let pendingSends = 0;
let exitRequested: number | null = null;

function send(message: FromWorker): void {
  const checked = FromWorker.parse(message);
  if (parentPort) parentPort.postMessage(checked);
  else if (process.send) {
    pendingSends++;
    process.send(checked, undefined, undefined, () => {
      pendingSends--;
      if (pendingSends === 0 && exitRequested !== null) process.exit(exitRequested);
    });
  }
}

/** process.send is asynchronous: exit only once the last message has left, or main misses trainEnd. */
function exitWhenFlushed(code: number): void {
  exitRequested = code;
  if (pendingSends === 0) process.exit(code);
}

let canceled = false;
let training = false;

let heartbeatListener: (() => void) | null = null;

/**
 * Main sends a heartbeat every second or so; a main that stopped answering (stalled, or stopped
 * with SIGSTOP) soon loses its lease, and another process may resume the run from this folder,
 * so the worker ends at once, writing nothing more. Time this process itself was blocked (a long
 * synchronous step) does not count against main.
 */
function startWatchdog(timeoutMs: number): void {
  const tick = Math.max(50, Math.min(1000, Math.floor(timeoutMs / 5)));
  let lastHeard = Date.now();
  let lastTick = Date.now();
  heartbeatListener = () => (lastHeard = Date.now());
  setInterval(() => {
    const now = Date.now();
    if (now - lastTick > tick * 3) lastHeard = now;
    lastTick = now;
    if (now - lastHeard > timeoutMs) {
      // Nobody listens any more: exit without a final message or checkpoint.
      process.exit(75);
    }
  }, tick).unref();
}

interface ChosenBackend extends BackendProbe {
  /** An installed tensorflow engine that did not load, and what the run got instead. */
  fallback: string | null;
  /** Why the engine did not load (the probe's words), null with `fallback`. */
  fallbackReason: string | null;
}

/** The pinned backend, or the first that loads in preference order; wasm gets its training kernels. */
async function chooseBackend(pinned: BackendName | undefined): Promise<ChosenBackend> {
  let chosen = null;
  let fallback: { reason: string } | null = null;
  for (const name of pinned ? [pinned] : backendOrder) {
    const probe = await loadBackend(name);
    if (probe.available) {
      chosen = probe;
      break;
    }
    if (pinned)
      throw coded('unavailable', `backend ${name} is not available: ${probe.detail}`, 'training_backend_unavailable', {
        backend: name,
        detail: backendReason(probe.detail),
      });
    // An engine that is installed but does not load is worth saying; one never installed is not.
    if (name === 'tensorflow' && process.env.KERNELLAB_TENSORFLOW_ENGINE) fallback = { reason: probe.detail };
  }
  if (!chosen) throw new Error('no tfjs backend loads in this worker');
  if (chosen.name === 'wasm') registerWasmTrainingKernels();
  if (!fallback) return { ...chosen, fallback: null, fallbackReason: null };
  return {
    ...chosen,
    fallback: `the tensorflow engine did not load (${fallback.reason}); fell back to ${chosen.name}`,
    fallbackReason: fallback.reason,
  };
}

/** The device line a run records (what trains it, then any fallback), and its coded form. */
function deviceOf(chosen: ChosenBackend): { device: string; deviceCode: CoreText | undefined } {
  if (chosen.fallback === null || chosen.fallbackReason === null) return { device: chosen.detail, deviceCode: chosen.detailCode };
  return {
    device: `${chosen.detail} (${chosen.fallback})`,
    deviceCode: coreText('backend_device_fallback', {
      device: [{ sentence: chosen.detail.slice(0, 4000), path: '', text: chosen.detailCode ?? null }],
      // The reason coded as the probe codes it (backendReason.ts): tfjs' own words stay quoted.
      reason: backendReason(chosen.fallbackReason),
      backend: chosen.name,
    }),
  };
}

/** Threads, versions, GPU and fallback of the chosen backend, for the run's environment. */
async function runtimeOf(chosen: ChosenBackend): Promise<RunRuntime> {
  if (chosen.name === 'wasm') return { threads: await wasmThreadCount(), fallback: chosen.fallback };
  if (chosen.name !== 'tensorflow') return { threads: 1, fallback: chosen.fallback };
  const tfRuntime = await loadTensorflowEngine();
  return {
    threads: tfRuntime.threads,
    tensorflow: { version: tfRuntime.tensorflowVersion, variant: tfRuntime.variant, usingGpu: tfRuntime.usingGpu },
    gpu: tfRuntime.gpu,
    fallback: tfRuntime.fallback,
  };
}

/**
 * The predictor's backend, chosen on its first request: the tensorflow engine when installed,
 * else wasm — on one thread, since it answers single images beside training workers that use the cores.
 */
let predictorBackend: Promise<ChosenBackend> | null = null;

function predictorQueue(answer: (backend: ChosenBackend) => Promise<FromWorker> | FromWorker): Promise<void> {
  predictorBackend ??= (() => {
    setTensorflowThreads(1);
    setWasmThreads(1);
    return chooseBackend(undefined);
  })();
  // One request at a time: tfjs' engine state (tidy scopes, the current backend) is not re-entrant.
  inferenceQueue = inferenceQueue.then(async () => send(await answer(await predictorBackend!)));
  return inferenceQueue;
}

const answerInference = (request: InferRequest) => predictorQueue((backend) => infer(request, backend.name));

const answerExport = (request: ExportModelRequest) =>
  predictorQueue(async (): Promise<FromWorker> => {
    try {
      const { modelJson, weights } = await exportCheckpoint(request.checkpointDir, request.spec);
      return { type: 'modelExported', id: request.id, result: { ok: true, modelJson, weights } };
    } catch (error) {
      return {
        type: 'modelExported',
        id: request.id,
        result: {
          ok: false,
          error: error instanceof Error ? error.message : String(error),
          ...(error instanceof KernelLabError && error.text && { errorText: error.text }),
        },
      };
    }
  });
let inferenceQueue: Promise<void> = Promise.resolve();

async function runTraining(request: TrainRequest): Promise<void> {
  training = true;
  // Before any backend loads: TensorFlow sizes its thread pools when its context is created, and
  // wasm picks its single- or multi-threaded build.
  setTensorflowThreads(request.threads);
  setWasmThreads(request.threads);
  if (request.watchdogMs !== undefined) startWatchdog(request.watchdogMs);
  const pinned = request.hyperparameters.backend;
  // The claim skips these runs; a request that names one anyway (an agent told --backend webgpu
  // cannot be) is refused in words rather than trained on another backend.
  if (isGpuHostBackend(pinned))
    throw coded(
      'invalid_input',
      `hyperparameters.backend: ${pinned} trains only in a browser GPU host, not in a worker process`,
      'training_backend_gpu_host_only',
      { backend: pinned },
    );
  const chosen = await chooseBackend(pinned);
  // Queueing sized the run against this machine; the backend it got may hold less (wasm: 4 GiB).
  const tooBig = memoryProblem(
    runMemory(request.spec, inferShapes(request.spec), request.hyperparameters),
    request.hyperparameters,
    chosen.name === 'wasm' ? { bytes: Math.min(wasmHeapBytes, totalmem()), kind: 'wasm' } : { bytes: totalmem(), kind: 'machine' },
  );
  // The coded text names the limit (this machine's memory, the wasm heap) in the user's language.
  if (tooBig !== null)
    throw new KernelLabError('invalid_input', `Cannot train on ${chosen.name}: ${tooBig.sentence}`, undefined, { text: tooBig.text });
  const runtime = await runtimeOf(chosen);
  const data = await prepareData(request);
  await train({
    runId: request.runId,
    spec: request.spec,
    hyperparameters: request.hyperparameters,
    data,
    environment: nodeEnvironment(request.runDir),
    resume: request.resume,
    stopAfterEpochs: request.stopAfterEpochs,
    evaluateAtEpochs: request.evaluateAtEpochs,
    snapshotLimitBytes: request.snapshotLimitBytes,
    backend: chosen.name,
    ...deviceOf(chosen),
    runtime,
    emit: send,
    isCanceled: () => canceled,
  });
}

async function handle(raw: unknown): Promise<void> {
  const parsed = ToWorker.safeParse(raw);
  if (!parsed.success) throw new Error(`worker: unknown message ${JSON.stringify(raw).slice(0, 200)}`);
  const message = parsed.data;
  switch (message.type) {
    case 'probe': {
      send({ type: 'probeResult', backends: await probeBackends() });
      exitWhenFlushed(0);
      break;
    }
    case 'engineCheck': {
      send({ type: 'engineCheckResult', check: await checkTensorflowEngine() });
      exitWhenFlushed(0);
      break;
    }
    case 'train': {
      if (training) throw new Error('worker: a run is already training in this process');
      await runTraining(message);
      exitWhenFlushed(0);
      break;
    }
    case 'infer': {
      // The predictor stays up for the next request; main ends it.
      await answerInference(message);
      break;
    }
    case 'exportModel': {
      await answerExport(message);
      break;
    }
    case 'heartbeat': {
      heartbeatListener?.();
      break;
    }
    case 'cancel': {
      // The loop checks this flag after every batch, so a cancel lands within one batch.
      canceled = true;
      if (!training) exitWhenFlushed(0);
      break;
    }
    default: {
      const unknown: never = message;
      throw new Error(`worker: unhandled message type ${JSON.stringify(unknown)}`);
    }
  }
}

function onMessage(raw: unknown): void {
  handle(raw).catch((error: unknown) => {
    send({
      type: 'error',
      message: errorSentence(error),
      ...(error instanceof KernelLabError && error.text && { messageCode: error.text }),
      ...(error instanceof KernelLabError && error.text && error.problemTexts() && { issues: error.problemTexts() }),
      ...(error instanceof StorageError && { resumable: true }),
    });
    exitWhenFlushed(1);
  });
}

if (parentPort) parentPort.on('message', (event) => onMessage(event.data));
else {
  process.on('message', onMessage);
  // Main died (crash, SIGKILL): stop at once. An orphan would keep writing checkpoints into a run
  // folder that a restarted scheduler resumes from.
  process.on('disconnect', () => process.exit(1));
}
