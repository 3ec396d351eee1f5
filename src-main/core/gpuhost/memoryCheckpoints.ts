import type { CheckpointStore } from '../training/callbacks.ts';
import {
  decodeCheckpoint,
  decodeModelWeights,
  encodeCheckpoint,
  type CheckpointBlob,
  type CheckpointReader,
} from '../training/checkpointCodec.ts';

/** Hex SHA-256 with Web Crypto, which Web Workers and Node both have. */
export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function readerOf(files: readonly CheckpointBlob[], where: string): CheckpointReader {
  return (name) => {
    const file = files.find((f) => f.name === name);
    if (!file) throw new Error(`checkpoint ${where} has no ${name}`);
    return file.bytes;
  };
}

/**
 * A GPU host's checkpoints: kept in memory for the run's own use (resume, restoring the best
 * weights) and handed to `onSaved` — the Worker sends them to whoever writes the run folder. The
 * `dir` it answers is a name, not a path: no folder exists on this side.
 */
export function memoryCheckpoints(
  runId: number,
  resumeFrom: readonly CheckpointBlob[] | null,
  onSaved: (kind: 'last' | 'best' | 'epoch', files: (CheckpointBlob & { sha256: string })[], epoch: number | null) => void,
): CheckpointStore {
  const kept = new Map<'last' | 'best', CheckpointBlob[]>();
  if (resumeFrom) kept.set('last', [...resumeFrom]);
  const where = (kind: 'last' | 'best') => `run ${runId} ${kind}`;
  return {
    save: async (kind, model, optimizer, state) => {
      const blobs = await encodeCheckpoint(model, optimizer, state);
      const files = await Promise.all(blobs.map(async (b) => ({ ...b, sha256: await sha256Hex(b.bytes) })));
      kept.set(kind, blobs);
      onSaved(kind, files, null);
      return { dir: where(kind), files: files.map((f) => ({ name: f.name, bytes: f.bytes.byteLength, sha256: f.sha256 })) };
    },
    // Not kept here (nothing on this side reads them again): handed on, like every checkpoint.
    saveSnapshot: async (epoch, blobs) => {
      const files = await Promise.all(blobs.map(async (b) => ({ ...b, sha256: await sha256Hex(b.bytes) })));
      onSaved('epoch', files, epoch);
      return {
        dir: `run ${runId} epoch-${epoch}`,
        files: files.map((f) => ({ name: f.name, bytes: f.bytes.byteLength, sha256: f.sha256 })),
      };
    },
    resume: (model, optimizer) => {
      const last = kept.get('last');
      if (!last) throw new Error(`no checkpoint to resume run ${runId} from`);
      return decodeCheckpoint(readerOf(last, where('last')), where('last'), model, optimizer);
    },
    restoreBest: (model) => {
      const best = kept.get('best');
      if (!best) throw new Error(`run ${runId} has no best checkpoint to restore`);
      decodeModelWeights(readerOf(best, where('best')), where('best'), model);
    },
  };
}
