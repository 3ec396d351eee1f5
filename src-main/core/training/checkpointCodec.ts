/**
 * A checkpoint's files as bytes, with no Node imports: checkpointIO.ts writes them into a run's
 * folder, and a browser GPU host (core/gpuhost) keeps them in memory and sends them to main.
 * The files: model.json + weights.bin (the tfjs layers format, through a custom IO handler
 * because file:// needs tfjs-node), optimizer.json + optimizer.bin (its slots), and state.json
 * (the training loop's own state), in that order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { coreText } from '../contract/coreText.ts';
import { coded, formatIssues, issueTexts, KernelLabError } from '../errors.ts';
import { jsonComplaint } from '../jsonComplaint.ts';
import { CheckpointState, checkpointStateJson } from './checkpointState.ts';

export interface CheckpointBlob {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
}

interface OptimizerFile {
  specs: tf.io.WeightsManifestEntry[];
  /** Adam keeps beta^t in variables that setWeights recomputes with pow(); resume must restore them exactly. */
  extraScalars: Record<string, number>;
}

const adamScalars = ['accBeta1', 'accBeta2'] as const;

function concatBuffers(data: ArrayBuffer | ArrayBuffer[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data);
}

const utf8 = (value: unknown): Uint8Array<ArrayBuffer> => new TextEncoder().encode(JSON.stringify(value));

/**
 * The model alone as model.json + weights.bin: the first two files of a checkpoint, and the whole
 * of a per-epoch weight snapshot (weightSnapshots.ts), which nothing resumes from.
 */
export async function encodeModelFiles(model: tfl.LayersModel): Promise<CheckpointBlob[]> {
  const files: CheckpointBlob[] = [];
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
      files.push({ name: 'model.json', bytes: utf8(modelJson) });
      files.push({ name: 'weights.bin', bytes: weights });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return files;
}

/** Model, optimizer slots and loop state as the five files of a checkpoint. */
export async function encodeCheckpoint(model: tfl.LayersModel, optimizer: tf.Optimizer, state: CheckpointState): Promise<CheckpointBlob[]> {
  const files = await encodeModelFiles(model);

  const slots = await optimizer.getWeights();
  const encoded = await tf.io.encodeWeights(slots);
  const extraScalars: Record<string, number> = {};
  const privateFields = optimizer as unknown as Record<string, tf.Variable | undefined>;
  for (const key of adamScalars) {
    const variable = privateFields[key];
    if (variable) extraScalars[key] = (await variable.data())[0]!;
  }
  // getWeights hands out its slot variables as they are, plus a fresh 'iter' scalar that is ours to free.
  tf.dispose(slots.filter((slot) => !(slot.tensor instanceof tf.Variable)).map((slot) => slot.tensor));
  const optimizerFile: OptimizerFile = { specs: encoded.specs, extraScalars };
  files.push({ name: 'optimizer.json', bytes: utf8(optimizerFile) });
  files.push({ name: 'optimizer.bin', bytes: concatBuffers(encoded.data) });
  files.push({ name: 'state.json', bytes: utf8(checkpointStateJson(state)) });
  return files;
}

/** Reads one file of a checkpoint; `where` names the checkpoint in errors. */
export type CheckpointReader = (name: string) => Uint8Array;

function readJson(read: CheckpointReader, name: string, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(read(name)));
  } catch (error) {
    // The reader's own refusal (checkpointIO's folderReader) already names the file and why, coded: said once.
    if (error instanceof KernelLabError) throw error;
    const reason = (error as Error).message;
    const file = `${where}/${name}`.slice(0, 1000);
    const sentence = `checkpoint file ${where}/${name} cannot be read: ${reason}`;
    // V8's complaint coded by where it stopped (jsonComplaint.ts); a file that cannot be read at all says the reader's words.
    const complaint = error instanceof SyntaxError ? jsonComplaint(reason) : ({ kind: 'other' } as const);
    switch (complaint.kind) {
      case 'at':
        throw coded('unavailable', sentence, 'training_checkpoint_not_json_at', { file, at: complaint.at });
      case 'ends_early':
        throw coded('unavailable', sentence, 'training_checkpoint_not_json_ends_early', { file });
      case 'token':
        throw coded('unavailable', sentence, 'training_checkpoint_not_json_token', { file, token: complaint.token });
      case 'other':
        throw coded('unavailable', sentence, 'training_checkpoint_unreadable', { file, reason: reason.slice(0, 1000) });
    }
  }
}

function weightsOf(bytes: Uint8Array, specs: tf.io.WeightsManifestEntry[]): tf.NamedTensorMap {
  return tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, specs);
}

/** Loads the model weights of a checkpoint into a model built from the same spec. */
export function decodeModelWeights(read: CheckpointReader, where: string, model: tfl.LayersModel): void {
  const modelJson = readJson(read, 'model.json', where) as { weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const specs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const named = weightsOf(read('weights.bin'), specs);
  const tensors = specs.map((spec) => named[spec.name]!);
  if (tensors.length !== model.weights.length) {
    tf.dispose(tensors);
    throw coded(
      'conflict',
      `checkpoint ${where} holds ${tensors.length} weights but the model has ${model.weights.length}: the spec changed`,
      'checkpoint_weight_count',
      { where: where.slice(0, 1000), held: tensors.length, expected: model.weights.length },
    );
  }
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** The loop state of a checkpoint (its state.json), validated. */
export function decodeCheckpointState(read: CheckpointReader, where: string): CheckpointState {
  const parsed = CheckpointState.safeParse(readJson(read, 'state.json', where));
  if (!parsed.success) {
    // The zod issues follow the sentence as its issues, each coded, so they are said in the user's language too.
    const issues = formatIssues(parsed.error);
    throw new KernelLabError(
      'unavailable',
      `checkpoint file ${where}/state.json is not a KernelLab checkpoint state: ${issues.join('; ')}`,
      issues,
      {
        text: coreText('checkpoint_state_not_state', { file: `${where}/state.json`.slice(0, 1000) }),
        issueTexts: issueTexts(parsed.error),
      },
    );
  }
  return parsed.data;
}

/** Loads model weights, optimizer slots and the loop state of a checkpoint. */
export async function decodeCheckpoint(
  read: CheckpointReader,
  where: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
): Promise<CheckpointState> {
  const state = decodeCheckpointState(read, where);
  decodeModelWeights(read, where, model);
  const optimizerFile = readJson(read, 'optimizer.json', where) as OptimizerFile;
  const named = weightsOf(read('optimizer.bin'), optimizerFile.specs);
  const slots = optimizerFile.specs.map((spec) => ({ name: spec.name, tensor: named[spec.name]! }));
  await optimizer.setWeights(slots);
  tf.dispose(slots.map((s) => s.tensor));
  const privateFields = optimizer as unknown as Record<string, tf.Variable | undefined>;
  tf.tidy(() => {
    for (const [key, value] of Object.entries(optimizerFile.extraScalars)) privateFields[key]?.assign(tf.scalar(value));
  });
  return state;
}
