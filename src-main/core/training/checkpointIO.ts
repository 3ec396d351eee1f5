import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { KernelLabError, formatIssues } from '../errors.ts';
import type { CheckpointStore } from './callbacks.ts';
import { CheckpointState, checkpointStateJson } from './checkpointState.ts';
import type { CheckpointFileInfo } from './workerProtocol.ts';

/**
 * A checkpoint is a folder: model.json + weights.bin (the tfjs layers format, written by a custom
 * IO handler because file:// needs tfjs-node), optimizer.json + optimizer.bin (its slots), and
 * state.json (the training loop's own state). It is written into a temporary folder and renamed,
 * so a crash never leaves a half-written checkpoint under the final name.
 */
interface OptimizerFile {
  specs: tf.io.WeightsManifestEntry[];
  /** Adam keeps beta^t in variables that setWeights recomputes with pow(); resume must restore them exactly. */
  extraScalars: Record<string, number>;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  return new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
}

const adamScalars = ['accBeta1', 'accBeta2'] as const;

/**
 * A checkpoint could not be written because of the disk or the folder (full, over quota, not
 * writable): the run can continue from its last checkpoint once that is fixed, so it ends
 * interrupted, not failed.
 */
export class StorageError extends KernelLabError {
  constructor(message: string) {
    super('unavailable', message);
    this.name = 'StorageError';
  }
}

/** The errno of the nearest existing folder above `dir` when it cannot be written (EROFS, EACCES), else undefined. */
function unwritableAncestor(dir: string): string | undefined {
  let at = dirname(dir);
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
}

function storageError(dir: string, error: unknown): StorageError {
  // A recursive mkdir under a read-only folder can fail with ENOENT: name the real cause.
  const own = (error as NodeJS.ErrnoException).code;
  const code = own === 'ENOENT' ? (unwritableAncestor(dir) ?? own) : own;
  const why =
    code === 'ENOSPC'
      ? 'the disk is full (ENOSPC). Free some space, then resume the run.'
      : code === 'EDQUOT'
        ? 'the disk quota is exceeded (EDQUOT). Free some space, then resume the run.'
        : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
          ? `the data folder is not writable (${code}). Make it writable, then resume the run.`
          : `${(error as Error).message}. Resume the run once that is fixed.`;
  return new StorageError(`Could not write the checkpoint ${dir}: ${why}`);
}

export async function saveCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
): Promise<CheckpointFileInfo[]> {
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
  } catch (error) {
    throw storageError(dir, error);
  }
  const files: { name: string; bytes: Uint8Array }[] = [];

  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = concatBuffers(artifacts.weightData ?? new ArrayBuffer(0));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      files.push({ name: 'model.json', bytes: Buffer.from(JSON.stringify(modelJson)) });
      files.push({ name: 'weights.bin', bytes: weights });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );

  const slots = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(slots);
  const extraScalars: Record<string, number> = {};
  const privateFields = optimizer as unknown as Record<string, tf.Variable | undefined>;
  for (const key of adamScalars) {
    const variable = privateFields[key];
    if (variable) extraScalars[key] = variable.dataSync()[0]!;
  }
  // getWeights hands out its slot variables as they are, plus a fresh 'iter' scalar that is ours to free.
  tf.dispose(slots.filter((slot) => !(slot.tensor instanceof tf.Variable)).map((slot) => slot.tensor));
  const optimizerFile: OptimizerFile = { specs: encoded.specs, extraScalars };
  files.push({ name: 'optimizer.json', bytes: Buffer.from(JSON.stringify(optimizerFile)) });
  files.push({ name: 'optimizer.bin', bytes: concatBuffers(encoded.data) });
  files.push({ name: 'state.json', bytes: Buffer.from(JSON.stringify(checkpointStateJson(state))) });

  try {
    for (const file of files) writeFileSync(join(tmp, file.name), file.bytes);
  } catch (error) {
    // A full disk must not leave a half-written checkpoint behind, nor an error that names nothing.
    rmSync(tmp, { recursive: true, force: true });
    throw storageError(dir, error);
  }
  // Swap in the new checkpoint so that a crash at any moment leaves the old or the new one whole.
  const old = `${dir}.old-${process.pid}`;
  try {
    if (existsSync(dir)) renameSync(dir, old);
    renameSync(tmp, dir);
    rmSync(old, { recursive: true, force: true });
  } catch (error) {
    throw storageError(dir, error);
  }
  return files.map((f) => ({ name: f.name, bytes: f.bytes.byteLength, sha256: sha256(f.bytes) }));
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new KernelLabError('unavailable', `checkpoint file ${path} cannot be read: ${(error as Error).message}`);
  }
}

/** Loads the model weights of a checkpoint into a model built from the same spec. */
export function loadCheckpointWeights(dir: string, model: tfl.LayersModel): void {
  const modelJson = readJson(join(dir, 'model.json')) as { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const data = new Uint8Array(readFileSync(join(dir, 'weights.bin')));
  const named = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), specs);
  const tensors = specs.map((spec) => named[spec.name]!);
  if (tensors.length !== model.weights.length) {
    throw new KernelLabError(
      'conflict',
      `checkpoint ${dir} holds ${tensors.length} weights but the model has ${model.weights.length}: the spec changed`,
    );
  }
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/**
 * The loop state of a checkpoint (its state.json), validated: the one reader, for the loop that
 * resumes and for main, which reports the epochs it never recorded from its history.
 */
export function readCheckpointState(dir: string): CheckpointState {
  const path = join(dir, 'state.json');
  if (!existsSync(path)) throw new KernelLabError('not_found', `no checkpoint to resume from in ${dir}`);
  const parsed = CheckpointState.safeParse(readJson(path));
  if (!parsed.success)
    throw new KernelLabError(
      'unavailable',
      `checkpoint file ${path} is not a KernelLab checkpoint state: ${formatIssues(parsed.error).join('; ')}`,
    );
  return parsed.data;
}

/** Loads model weights, optimizer slots and the loop state of a checkpoint. */
export async function loadCheckpoint(dir: string, model: tfl.LayersModel, optimizer: tf.Optimizer): Promise<CheckpointState> {
  const state = readCheckpointState(dir);
  loadCheckpointWeights(dir, model);
  const optimizerFile = readJson(join(dir, 'optimizer.json')) as OptimizerFile;
  const data = new Uint8Array(readFileSync(join(dir, 'optimizer.bin')));
  const named = tf.io.decodeWeights(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength), optimizerFile.specs);
  const slots = optimizerFile.specs.map((spec) => ({ name: spec.name, tensor: named[spec.name]! }));
  await optimizer.setWeights(slots);
  tf.dispose(slots.map((s) => s.tensor));
  const privateFields = optimizer as unknown as Record<string, tf.Variable | undefined>;
  tf.tidy(() => {
    for (const [key, value] of Object.entries(optimizerFile.extraScalars)) privateFields[key]?.assign(tf.scalar(value));
  });
  return state;
}

/** A run's checkpoints as folders under `checkpointsDir`: last/ and best/ (see the top of this file). */
export function fileCheckpoints(checkpointsDir: string): CheckpointStore {
  return {
    save: async (kind, model, optimizer, state) => {
      const dir = join(checkpointsDir, kind);
      return { dir, files: await saveCheckpoint(dir, model, optimizer, state) };
    },
    resume: (model, optimizer) => loadCheckpoint(join(checkpointsDir, 'last'), model, optimizer),
    restoreBest: (model) => loadCheckpointWeights(join(checkpointsDir, 'best'), model),
  };
}
