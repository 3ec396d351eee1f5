import { existsSync, readdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { UsedCheckpoint } from '../contract/inspect.ts';
import { coded } from '../errors.ts';
import { readCheckpointState } from '../training/checkpointIO.ts';

/** Weights of a run as they lie on disk: which epoch they are, and where. */
export interface RecordedWeights extends UsedCheckpoint {
  dir: string;
}

const epochSnapshot = /^epoch-(\d+)$/;

/** The epoch whose weights a best or last folder holds now, or null when it cannot tell. */
function epochIn(dir: string, kind: 'best' | 'last'): number | null {
  try {
    const state = readCheckpointState(dir);
    return kind === 'last' ? state.epochsCompleted : state.bestEpoch;
  } catch {
    // Not a checkpoint this version can read: it offers no weights rather than failing the others.
    return null;
  }
}

/**
 * A checkpoint folder as recorded (an absolute path), or the same `<run uuid>/checkpoints/<name>`
 * under this data folder's runs when the data folder was moved since; null when neither holds a model.
 */
function onDisk(path: string, runsDir: string): string | null {
  if (existsSync(join(path, 'model.json'))) return path;
  const tail = path.split(/[\\/]/).slice(-3);
  if (tail.length !== 3 || tail[1] !== 'checkpoints') return null;
  const moved = join(runsDir, ...tail);
  return moved !== path && existsSync(join(moved, 'model.json')) ? moved : null;
}

/**
 * The weights of a run that are really on disk, one per epoch: what its own checkpoints folder
 * holds, and what its checkpoint rows point at elsewhere. The `best` and `last` folders are
 * overwritten as training goes on, so each counts once, for the epoch its own state names; a
 * folder of another run (a run folded out of a longer one points at the longer run's folders)
 * counts only when this run recorded that epoch there — those folders moved on past its last
 * epoch. `epoch-N` folders (per-epoch snapshots, training/weightSnapshots.ts) never change.
 * Where one epoch has several (the same weights), best comes first, then last, then the snapshot:
 * the default choice and the model export look for the best and last checkpoints by kind.
 */
export function recordedWeights(
  rows: readonly { epoch: number; kind: string; path: string }[],
  runsDir: string,
  ownCheckpoints: string | null = null,
): RecordedWeights[] {
  const byEpoch = new Map<number, RecordedWeights>();
  const rank = { best: 0, last: 1, epoch: 2 } as const;
  const seen = new Set<string>();
  const consider = (dir: string, own: boolean, recordedAt: (epoch: number) => boolean) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const name = basename(dir);
    const snapshot = epochSnapshot.exec(name);
    let found: RecordedWeights | null = null;
    if (snapshot) found = { epoch: Number(snapshot[1]), kind: 'epoch', dir };
    else if (name === 'best' || name === 'last') {
      const epoch = epochIn(dir, name);
      if (epoch !== null && (own || recordedAt(epoch))) found = { epoch, kind: name, dir };
    }
    if (!found) return;
    const there = byEpoch.get(found.epoch);
    if (!there || rank[found.kind] < rank[there.kind]) byEpoch.set(found.epoch, found);
  };
  if (ownCheckpoints && existsSync(ownCheckpoints)) {
    for (const name of readdirSync(ownCheckpoints)) {
      const dir = join(ownCheckpoints, name);
      if (existsSync(join(dir, 'model.json'))) consider(dir, true, () => true);
    }
  }
  for (const row of rows) {
    const dir = onDisk(row.path, runsDir);
    if (dir)
      consider(dir, ownCheckpoints !== null && dirname(dir) === ownCheckpoints, (epoch) =>
        rows.some((r) => r.path === row.path && r.epoch === epoch),
      );
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * The weights to use: those of `epoch` when asked, else the best checkpoint (the newest one),
 * else the last. Refuses with the epochs there are.
 */
export function chooseWeights(runId: number, recorded: readonly RecordedWeights[], epoch: number | undefined): RecordedWeights {
  if (recorded.length === 0)
    throw coded('not_found', `run ${runId} has no checkpoint yet`, 'error_inspect_no_checkpoint_yet', { id: runId });
  if (epoch !== undefined) {
    const atEpoch = recorded.find((w) => w.epoch === epoch);
    if (!atEpoch)
      throw coded(
        'not_found',
        `epoch: run ${runId} has no weights recorded at epoch ${epoch} (recorded: ${recorded.map((w) => w.epoch).join(', ')})`,
        'error_inspect_epoch_not_recorded',
        { id: runId, epoch, recorded: recorded.map((w) => w.epoch).join(', ') },
      );
    return atEpoch;
  }
  const pick = (kind: 'best' | 'last') => recorded.filter((w) => w.kind === kind).at(-1);
  return pick('best') ?? pick('last') ?? recorded.at(-1)!;
}

/**
 * Names the weights in the predictor's cache: their folder and the size and time of their
 * files, so a best checkpoint rewritten by a training run is loaded again.
 */
export async function weightsKey(weights: RecordedWeights): Promise<string> {
  const [model, bin] = await Promise.all([stat(join(weights.dir, 'model.json')), stat(join(weights.dir, 'weights.bin'))]);
  return `${weights.dir}|${model.mtimeMs}:${model.size}|${bin.mtimeMs}:${bin.size}`;
}
