import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { coded, KernelLabError } from '../errors.ts';
import type { CheckpointStore } from './callbacks.ts';
import {
  decodeCheckpoint,
  decodeCheckpointState,
  decodeModelWeights,
  encodeCheckpoint,
  type CheckpointBlob,
  type CheckpointReader,
} from './checkpointCodec.ts';
import type { CheckpointState } from './checkpointState.ts';
import type { CheckpointFileInfo } from './workerProtocol.ts';

/**
 * A checkpoint is a folder of the files checkpointCodec.ts encodes. It is written into a
 * temporary folder and renamed, so a crash never leaves a half-written checkpoint under the final name.
 */
function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A checkpoint could not be written because of the disk or the folder (full, over quota, not
 * writable): the run can continue from its last checkpoint once that is fixed, so it ends
 * interrupted, not failed.
 */
export class StorageError extends KernelLabError {
  constructor(message: string, text: CoreText) {
    super('unavailable', message, undefined, { text });
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
  const at = dir.slice(0, 1000);
  const lead = `Could not write the checkpoint ${dir}: `;
  if (code === 'ENOSPC')
    return new StorageError(
      `${lead}the disk is full (ENOSPC). Free some space, then resume the run.`,
      coreText('training_checkpoint_disk_full', { dir: at }),
    );
  if (code === 'EDQUOT')
    return new StorageError(
      `${lead}the disk quota is exceeded (EDQUOT). Free some space, then resume the run.`,
      coreText('training_checkpoint_quota', { dir: at }),
    );
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new StorageError(
      `${lead}the data folder is not writable (${code}). Make it writable, then resume the run.`,
      coreText('training_checkpoint_not_writable', { dir: at, errno: code }),
    );
  // Node's own words (ENOTDIR: a file where a folder should be, EIO …), quoted as they are.
  const reason = (error as Error).message;
  return new StorageError(
    `${lead}${reason}. Resume the run once that is fixed.`,
    coreText('training_checkpoint_write_failed', { dir: at, reason: reason.slice(0, 1000) }),
  );
}

/** Writes a checkpoint's files as the folder `dir`, replacing what was there whole (see the top of this file). */
export function writeCheckpointFolder(dir: string, files: readonly CheckpointBlob[]): CheckpointFileInfo[] {
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
  } catch (error) {
    throw storageError(dir, error);
  }
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

export async function saveCheckpoint(
  dir: string,
  model: tfl.LayersModel,
  optimizer: tf.Optimizer,
  state: CheckpointState,
): Promise<CheckpointFileInfo[]> {
  return writeCheckpointFolder(dir, await encodeCheckpoint(model, optimizer, state));
}

/** The files of a checkpoint folder, read as they are asked for. */
const noCheckpoint = (dir: string) => coded('not_found', `no checkpoint to resume from in ${dir}`, 'training_no_checkpoint', { dir });

function folderReader(dir: string): CheckpointReader {
  return (name) => {
    try {
      return new Uint8Array(readFileSync(join(dir, name)));
    } catch (error) {
      const reason = (error as Error).message;
      throw coded('unavailable', `checkpoint file ${join(dir, name)} cannot be read: ${reason}`, 'training_checkpoint_unreadable', {
        file: join(dir, name),
        reason: reason.slice(0, 1000),
      });
    }
  };
}

/** Loads the model weights of a checkpoint into a model built from the same spec. */
export function loadCheckpointWeights(dir: string, model: tfl.LayersModel): void {
  decodeModelWeights(folderReader(dir), dir, model);
}

/**
 * The loop state of a checkpoint (its state.json), validated: the one reader, for the loop that
 * resumes and for main, which reports the epochs it never recorded from its history.
 */
export function readCheckpointState(dir: string): CheckpointState {
  if (!existsSync(join(dir, 'state.json'))) throw noCheckpoint(dir);
  return decodeCheckpointState(folderReader(dir), dir);
}

/** Loads model weights, optimizer slots and the loop state of a checkpoint. */
export async function loadCheckpoint(dir: string, model: tfl.LayersModel, optimizer: tf.Optimizer): Promise<CheckpointState> {
  if (!existsSync(join(dir, 'state.json'))) throw noCheckpoint(dir);
  return decodeCheckpoint(folderReader(dir), dir, model, optimizer);
}

/**
 * A run's checkpoints as folders under `checkpointsDir`: last/ and best/, and the per-epoch weight
 * snapshots epoch-<N>/ (model.json + weights.bin only), which are written once and never change.
 */
export function fileCheckpoints(checkpointsDir: string): CheckpointStore {
  return {
    save: async (kind, model, optimizer, state) => {
      const dir = join(checkpointsDir, kind);
      return { dir, files: await saveCheckpoint(dir, model, optimizer, state) };
    },
    saveSnapshot: (epoch, files) => {
      const dir = join(checkpointsDir, `epoch-${epoch}`);
      return Promise.resolve({ dir, files: writeCheckpointFolder(dir, files) });
    },
    resume: (model, optimizer) => loadCheckpoint(join(checkpointsDir, 'last'), model, optimizer),
    restoreBest: (model) => loadCheckpointWeights(join(checkpointsDir, 'best'), model),
  };
}
