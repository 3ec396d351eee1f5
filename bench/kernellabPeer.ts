/**
 * KernelLab's side of the peer bench (peers.bench.ts), run as its own process like peer.py so both
 * sides are measured the same way: the real training loop (trainer.train) on wasm (or, with
 * --backend tensorflow, the installed tensorflow engine) with the given
 * thread count, a timing window that starts after `--warmup-batches` batches and ends after
 * `--timed-batches`, wall-clock and CPU time of the whole process (every thread), the load
 * average before and after. Prints one JSON line with the same fields as peer.py.
 *
 * With --spec-file (the parity bench), the network and compile settings are an imported Keras
 * model's ({spec, hyperparameters} as importKeras returns them) instead of a preset's, and the line
 * also has each epoch's training loss and the rates from the end of epoch 1 to the end of the last.
 *
 * usage: node bench/kernellabPeer.ts --datasets-dir DIR (--model M | --spec-file F) --dataset D --train-images N
 *        [--epochs 1] [--batch 64] [--threads 1 (0: every core)] [--warmup-batches 20]
 *        [--timed-batches 0 (0: the rest of the run)] [--evaluate] [--seed 1]
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { CompiledSettings, Hyperparameters, ModelSpec, PresetId } from '../src-main/core/contract/training.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import { loadBackend } from '../src-main/core/training/backends.ts';
import { nodeEnvironment } from '../src-main/core/training/nodeEnvironment.ts';
import { train } from '../src-main/core/training/trainer.ts';
import { setTensorflowThreads } from '../src-main/core/training/tensorflowEngine.ts';
import { registerWasmTrainingKernels } from '../src-main/core/training/wasmKernels.ts';
import { setWasmThreads, wasmThreadCount } from '../src-main/core/training/wasmThreads.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { z } from 'zod';
import { workloadData, type TrainingWorkload } from './workloads.ts';

const { values } = parseArgs({
  options: {
    'datasets-dir': { type: 'string' },
    model: { type: 'string' },
    'spec-file': { type: 'string' },
    dataset: { type: 'string' },
    'train-images': { type: 'string' },
    epochs: { type: 'string', default: '1' },
    batch: { type: 'string', default: '64' },
    threads: { type: 'string', default: '1' },
    'warmup-batches': { type: 'string', default: '20' },
    'timed-batches': { type: 'string', default: '0' },
    evaluate: { type: 'boolean', default: false },
    /** The run seed: initial weights, batch order and dropout masks (the parity bench runs several). */
    seed: { type: 'string', default: '1' },
    /** wasm, or tensorflow: the engine named by KERNELLAB_TENSORFLOW_ENGINE (peers.bench.ts sets it). */
    backend: { type: 'string', default: 'wasm' },
  },
});

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new Error(`--${name} is required`);
  return value;
}
function whole(name: keyof typeof values, min: number): number {
  const n = Number(required(name));
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name}: ${values[name]} is not a whole number ≥ ${min}`);
  return n;
}

const loadBefore = loadavg()[0]!;
const imported = values['spec-file']
  ? z.object({ spec: ModelSpec, hyperparameters: CompiledSettings }).parse(JSON.parse(readFileSync(values['spec-file'], 'utf8')))
  : null;
// A spec file stands in for the preset; the workload's model then only names the data's shape.
const model = imported ? 'lenet5-relu' : PresetId.parse(required('model'));
const dataset = required('dataset');
if (dataset !== 'mnist' && dataset !== 'fashion-mnist' && dataset !== 'cifar10') throw new Error(`--dataset: unknown ${dataset}`);
const threadsArg = whole('threads', 0);
const warmup = whole('warmup-batches', 1);
const timed = whole('timed-batches', 0);
const workload: TrainingWorkload = {
  model: model as TrainingWorkload['model'],
  dataset,
  batchSize: whole('batch', 1),
  trainImages: whole('train-images', 1),
  epochs: whole('epochs', 1),
};

const backend = values.backend === 'tensorflow' ? 'tensorflow' : 'wasm';
const threadCount = threadsArg === 0 ? availableParallelism() : threadsArg;
// Both before the backend loads: wasm starts its pthreads, TensorFlow sizes its pools, at load.
setWasmThreads(threadCount);
setTensorflowThreads(threadCount);
const probe = await loadBackend(backend);
if (!probe.available) {
  console.log(JSON.stringify({ absent: `the ${backend} backend does not load: ${probe.detail}` }));
  process.exit(0);
}
if (backend === 'wasm') registerWasmTrainingKernels();
const { train: trainSplit, test, spec } = await workloadData(required('datasets-dir'), workload, imported?.spec);
const base = imported ? imported.hyperparameters : getPreset(workload.model).hyperparameters;
const runDir = makeTempDir('kernellab-peer-run-');
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let batches = 0;
let images = 0;
let start: { wall: number; cpu: number } | null = null;
let end: { wall: number; cpu: number } | null = null;
let accuracy: number | null = null;
const epochLoss: number[] = [];
const epochMarks: { wall: number; cpu: number }[] = [];
try {
  await train({
    runId: 1,
    spec,
    hyperparameters: Hyperparameters.parse({
      ...base,
      epochs: workload.epochs,
      batchSize: workload.batchSize,
      validationSplit: 0,
      earlyStopping: undefined,
      backend,
      seed: whole('seed', 1),
    }),
    data: { train: trainSplit, validation: null, test, testIndices: null },
    environment: nodeEnvironment(runDir.dir),
    resume: false,
    backend,
    device: probe.detail,
    batchEndIntervalMs: 0,
    emit: (m) => {
      if (m.type === 'evaluation' && m.epoch === undefined) accuracy = m.accuracy;
      if (m.type === 'epochEnd') {
        epochMarks.push({ wall: performance.now(), cpu: cpuMs() });
        epochLoss.push(m.logs['loss'] ?? Number.NaN);
      }
      if (m.type !== 'batchEnd') return;
      batches++;
      const size = Math.min(workload.batchSize, trainSplit.count - (m.batch - 1) * workload.batchSize);
      if (batches === warmup) start = { wall: performance.now(), cpu: cpuMs() };
      else if (start && !end) {
        images += size;
        if (timed > 0 && batches === warmup + timed) end = { wall: performance.now(), cpu: cpuMs() };
      }
    },
    isCanceled: () => end !== null,
  });
} finally {
  runDir.cleanup();
}

const out: Record<string, unknown> = {
  framework: backend === 'wasm' ? 'kernellab' : 'kernellab-tensorflow',
  model: workload.model,
  dataset: workload.dataset,
  threads: threadsArg,
  train_images: trainSplit.count,
  epochs: workload.epochs,
  batch: workload.batchSize,
  warmup_batches: warmup,
  cpu_count: availableParallelism(),
  load_before: loadBefore,
  load_after: loadavg()[0],
  version: backend === 'wasm' ? `tfjs-backend-wasm (${probe.detail})` : probe.detail,
  threads_in_force: backend === 'wasm' ? { wasm: await wasmThreadCount() } : { tensorflow_intra_op: threadCount, inter_op: 1 },
};
if (!start) out['error'] = `the run had ${batches} batches, fewer than the ${warmup} warm-up batches`;
else if (timed > 0 && !end) out['error'] = `the run had ${batches} batches, fewer than the ${warmup} + ${timed} of the window`;
else {
  const stop = end ?? { wall: performance.now(), cpu: cpuMs() };
  const from = start as { wall: number; cpu: number };
  const seconds = (stop.wall - from.wall) / 1000;
  const cpuSeconds = (stop.cpu - from.cpu) / 1000;
  Object.assign(out, {
    timed_images: images,
    seconds,
    cpu_seconds: cpuSeconds,
    images_per_s: images / seconds,
    images_per_cpu_s: images / cpuSeconds,
  });
}
if (values.evaluate) out['test_accuracy'] = accuracy;
if (imported) {
  out['loss'] = epochLoss;
  const first = epochMarks[0];
  const last = epochMarks.at(-1);
  if (first && last && epochMarks.length >= 2) {
    // From the end of epoch 1 (kernel set-up and first allocations excluded) to the end of the last.
    const epochImages = trainSplit.count * (epochMarks.length - 1);
    out['after_epoch_1'] = {
      images_per_s: epochImages / ((last.wall - first.wall) / 1000),
      images_per_cpu_s: epochImages / ((last.cpu - first.cpu) / 1000),
    };
  }
}
console.log(JSON.stringify(out));
// The threaded build's pthread workers keep the process alive; everything is written.
process.exit(0);
