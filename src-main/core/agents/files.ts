/**
 * Files between the server and its agents: dataset files an agent downloads once per node, a
 * run's last checkpoint it downloads to resume, and the checkpoints it uploads while it trains.
 *
 * Uploads land in a staging folder per (attempt, kind, epoch) under the run's checkpoints folder,
 * each file as `<name>.part` until all of its bytes arrived and their SHA-256 matched; the event
 * that names the checkpoint then swaps the staged folder in the way checkpointIO swaps a local
 * one (old → .old, staged → final), so a crash leaves the old or the new checkpoint whole.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { maxCheckpointBytes, maxCheckpointFiles, type FileRef } from '../contract/agents.ts';
import { coded } from '../errors.ts';

/**
 * The most checkpoints of one run uploading at once. An agent uploads one checkpoint, reports it
 * (which swaps it in) and only then the next, so one or two are staged at a time; the bound keeps
 * an agent from filling the server's disk with checkpoints it never reports.
 */
export const maxStagedCheckpoints = 4;

export function sha256File(path: string): string {
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

/** The files of a folder as FileRefs (sorted by name). */
export function filesOf(dir: string): FileRef[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort()
    .map((name) => ({ name, bytes: statSync(join(dir, name)).size, sha256: sha256File(join(dir, name)) }));
}

/** The folder a checkpoint of this kind lives in, as the trainer names them. */
export function checkpointDir(runDir: string, kind: 'best' | 'last' | 'epoch', epoch: number): string {
  return join(runDir, 'checkpoints', kind === 'epoch' ? `epoch-${epoch}` : kind);
}

function stagingDir(runDir: string, attempt: number, kind: string, epoch: number): string {
  return join(runDir, 'checkpoints', `.incoming-a${attempt}-${kind}-e${epoch}`);
}

/** Reads `length` bytes at `offset` of a file; base64 for the wire. */
export function readChunk(path: string, offset: number, length: number): { data: string; bytes: number; total: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw coded('not_found', `${path} cannot be read: ${reason}`, 'agent_file_unreadable', {
      path: path.slice(0, 1000),
      reason: reason.slice(0, 1000),
    });
  }
  try {
    const total = statSync(path).size;
    if (offset > total)
      throw coded('invalid_input', `offset: ${offset} is past the end of the file (${total} bytes)`, 'agent_file_offset_past', {
        offset,
        bytes: total,
      });
    const buffer = Buffer.allocUnsafe(Math.min(length, total - offset));
    const n = buffer.length === 0 ? 0 : readSync(fd, buffer, 0, buffer.length, offset);
    return { data: buffer.subarray(0, n).toString('base64'), bytes: n, total };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes one uploaded chunk. Chunks come in order; a chunk repeated after a lost answer is written
 * again over the same bytes. Returns the bytes received so far and whether the file is complete
 * (all bytes there and the SHA-256 right; a wrong digest discards the file).
 */
export function writeChunk(
  runDir: string,
  upload: { attempt: number; kind: string; epoch: number; file: FileRef; offset: number; data: Buffer },
): { received: number; complete: boolean } {
  const { file, offset, data } = upload;
  if (offset + data.length > file.bytes)
    throw coded('invalid_input', `data: the chunk at ${offset} runs past the file's ${file.bytes} bytes`, 'agent_chunk_past_file', {
      offset,
      bytes: file.bytes,
    });
  const dir = stagingDir(runDir, upload.attempt, upload.kind, upload.epoch);
  if (!existsSync(dir)) {
    const staged = stagedCheckpoints(runDir);
    if (staged.length >= maxStagedCheckpoints)
      throw coded(
        'too_large',
        `epoch: ${staged.length} checkpoints of this run are uploading already (${staged.join(', ')}); report them before uploading another`,
        'agent_checkpoints_uploading',
        { count: staged.length, names: staged.join(', ').slice(0, 1000) },
      );
  }
  mkdirSync(dir, { recursive: true });
  const final = join(dir, file.name);
  // The checkpoint's other files, as far as they arrived: with this one, within a checkpoint's bounds.
  const others = new Map<string, number>();
  for (const entry of readdirSync(dir)) {
    const name = entry.endsWith('.part') ? entry.slice(0, -'.part'.length) : entry;
    if (name !== file.name) others.set(name, Math.max(others.get(name) ?? 0, statSync(join(dir, entry)).size));
  }
  if (others.size + 1 > maxCheckpointFiles)
    throw coded(
      'too_large',
      `file: a checkpoint has at most ${maxCheckpointFiles} files; ${others.size} are uploading already`,
      'agent_checkpoint_files_max',
      { max: maxCheckpointFiles, uploading: others.size },
    );
  const before = [...others.values()].reduce((a, b) => a + b, 0);
  if (before + file.bytes > maxCheckpointBytes)
    throw coded(
      'too_large',
      `file.bytes: ${file.name} (${file.bytes} bytes) with the ${before} bytes already uploaded is more than a checkpoint may be (${maxCheckpointBytes})`,
      'agent_checkpoint_too_big',
      { file: file.name.slice(0, 1000), bytes: file.bytes, before, max: maxCheckpointBytes },
    );
  if (existsSync(final) && sha256File(final) === file.sha256) return { received: file.bytes, complete: true };
  const part = `${final}.part`;
  const have = existsSync(part) ? statSync(part).size : 0;
  if (offset > have)
    throw coded('conflict', `file ${file.name}: expected the chunk at ${have}, got one at ${offset}`, 'agent_chunk_out_of_order', {
      file: file.name.slice(0, 1000),
      expected: have,
      got: offset,
    });
  const fd = openSync(part, existsSync(part) ? 'r+' : 'w');
  try {
    if (data.length > 0) writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
  const received = Math.max(have, offset + data.length);
  if (received < file.bytes) return { received, complete: false };
  const digest = sha256File(part);
  if (digest !== file.sha256) {
    rmSync(part, { force: true });
    throw coded(
      'invalid_input',
      `file ${file.name}: its SHA-256 is ${digest}, not ${file.sha256}; upload it again`,
      'agent_file_sha_mismatch',
      {
        file: file.name.slice(0, 1000),
        digest,
        expected: file.sha256.slice(0, 1000),
      },
    );
  }
  renameSync(part, final);
  return { received, complete: true };
}

/**
 * Swaps a fully uploaded checkpoint into place; returns its folder. Refuses (naming the file) a
 * checkpoint whose files did not all arrive whole.
 */
export function commitCheckpoint(
  runDir: string,
  checkpoint: { attempt: number; kind: 'best' | 'last' | 'epoch'; epoch: number; files: FileRef[] },
): string {
  const staged = stagingDir(runDir, checkpoint.attempt, checkpoint.kind, checkpoint.epoch);
  const dir = checkpointDir(runDir, checkpoint.kind, checkpoint.epoch);
  // Reported again after a lost answer, once already swapped in: the same files are in place.
  if (!existsSync(staged) && existsSync(dir) && checkpoint.files.every((f) => sameFile(join(dir, f.name), f))) return dir;
  for (const f of checkpoint.files) {
    if (!sameFile(join(staged, f.name), f))
      throw coded(
        'conflict',
        `checkpoint ${checkpoint.kind} of epoch ${checkpoint.epoch}: ${f.name} was not uploaded whole before the report that names it`,
        'agent_checkpoint_not_whole',
        { checkpointKind: checkpoint.kind, epoch: checkpoint.epoch, file: f.name.slice(0, 1000) },
      );
  }
  for (const name of readdirSync(staged)) if (!checkpoint.files.some((f) => f.name === name)) rmSync(join(staged, name), { force: true });
  const old = `${dir}.old-${process.pid}`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(staged, dir);
  rmSync(old, { recursive: true, force: true });
  return dir;
}

function sameFile(path: string, ref: FileRef): boolean {
  return existsSync(path) && statSync(path).size === ref.bytes && sha256File(path) === ref.sha256;
}

/** The staging folders of a run's checkpoints being uploaded (any attempt). */
function stagedCheckpoints(runDir: string): string[] {
  const dir = join(runDir, 'checkpoints');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith('.incoming-')) : [];
}

/** Staged uploads of attempts other than `attempt` (a previous holder's leftovers) are removed. */
export function clearStaging(runDir: string, keepAttempt: number | null): void {
  const dir = join(runDir, 'checkpoints');
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const match = /^\.incoming-a(\d+)-/.exec(name);
    if (match && Number(match[1]) !== keepAttempt) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** The bytes of a small JSON file (the dataset manifest), for its FileRef. */
export function fileRefOf(path: string, name: string): FileRef {
  const bytes = readFileSync(path);
  return { name, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
