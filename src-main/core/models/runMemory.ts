/**
 * What a run's tensors take, from the shape inference, before anything is allocated (issue 12,
 * defect 11: a 10⁹-unit dense layer failed as "Array buffer allocation failed"; 4096 filters of
 * kernel 28 'same' on MNIST took a wasm worker to its 4 GiB and "memory access out of bounds").
 * An estimate from below: backends add workspace (im2col, copies) on top.
 */
import type { Hyperparameters, ModelSpec } from '../contract/training.ts';
import type { ModelSummary } from './shapeInference.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';

/** Floats are float32 in every backend. */
const bytesPerFloat = 4;
/** Images per evaluation batch (training/evaluate.ts): a forward pass keeps every layer's output until it ends. */
export const evaluationBatchSize = 500;
/** The wasm backend's heap cannot grow past this (tfjs-backend-wasm's getHeapMax: 4 GiB less 64 KiB). */
export const wasmHeapBytes = 4294901760;

export interface RunMemory {
  params: number;
  /** Weights, their gradients and the optimizer's state per weight. */
  weightBytes: number;
  /** A training batch: the input and each layer's output kept for the backward pass, and their gradients. */
  trainingBytes: number;
  /** An evaluation batch of evaluationBatchSize images, forward only. */
  evaluationBytes: number;
  /** Weights plus the larger of the two batches. */
  totalBytes: number;
}

/** Values the optimizer keeps per weight (Adam: two moments; RMSprop: the mean square, and more). */
function optimizerSlots(hp: Hyperparameters): number {
  switch (hp.optimizer) {
    case 'sgd':
      return 0;
    case 'momentum':
      return 1;
    case 'adam':
      return 2;
    case 'rmsprop':
      return 1 + (hp.centered ? 1 : 0) + ((hp.momentum ?? 0) > 0 ? 1 : 0);
    default:
      throw new Error(`unknown optimizer ${String(hp.optimizer satisfies never)}`);
  }
}

export function runMemory(model: ModelSpec, summary: ModelSummary, hp: Hyperparameters): RunMemory {
  const weightBytes = summary.totalParams * bytesPerFloat + summary.trainableParams * bytesPerFloat * (1 + optimizerSlots(hp));
  const input = model.inputShape.reduce((a, b) => a * b, 1);
  const outputs = summary.rows.reduce((sum, row) => sum + row.outputShape.reduce((a, b) => a * b, 1), 0);
  const trainingBytes = hp.batchSize * (input + 2 * outputs) * bytesPerFloat;
  const evaluationBytes = evaluationBatchSize * (input + outputs) * bytesPerFloat;
  return {
    params: summary.totalParams,
    weightBytes,
    trainingBytes,
    evaluationBytes,
    totalBytes: weightBytes + Math.max(trainingBytes, evaluationBytes),
  };
}

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GiB`;
const count = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** The memory a run must fit: this machine's, or the wasm backend's heap. */
export interface MemoryLimit {
  bytes: number;
  kind: 'machine' | 'wasm';
}

const limitWords = { machine: "this machine's memory", wasm: "the wasm backend's heap" } as const;
const limitCodes = {
  machine: { training: 'run_memory_machine_training', evaluation: 'run_memory_machine_evaluation' },
  wasm: { training: 'run_memory_wasm_training', evaluation: 'run_memory_wasm_evaluation' },
} as const;

/**
 * Why the run does not fit `limit`, a sentence with the numbers (e.g. "… more than this machine's
 * memory (23.5 GiB) …") and its coded form; null when it fits.
 */
export function memoryProblem(memory: RunMemory, hp: Hyperparameters, limit: MemoryLimit): { sentence: string; text: CoreText } | null {
  if (memory.totalBytes <= limit.bytes) return null;
  const training = memory.trainingBytes >= memory.evaluationBytes;
  const activations = gib(training ? memory.trainingBytes : memory.evaluationBytes);
  const batchSize = training ? hp.batchSize : evaluationBatchSize;
  const batch = `${activations} of activations for ${training ? 'a training' : 'an evaluation'} batch of ${batchSize}`;
  const sentence =
    `the run needs about ${gib(memory.totalBytes)} of memory (${count(memory.params)} parameters: ${gib(memory.weightBytes)} of weights, ` +
    `gradients and optimizer state; ${batch}), more than ${limitWords[limit.kind]} (${gib(limit.bytes)}); use fewer units or filters, or a smaller batch`;
  const params = {
    need: gib(memory.totalBytes),
    params: memory.params,
    weights: gib(memory.weightBytes),
    activations,
    batch: batchSize,
    limit: gib(limit.bytes),
  };
  return { sentence, text: coreText(limitCodes[limit.kind][training ? 'training' : 'evaluation'], params) };
}
