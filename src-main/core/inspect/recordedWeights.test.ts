import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { chooseWeights, recordedWeights } from './recordedWeights.ts';

const temp = makeTempDir('kernellab-recorded-');
afterAll(() => temp.cleanup());

/** A checkpoint folder as the trainer leaves it: model.json and the loop's state. */
function folder(path: string, state: { epochsCompleted: number; bestEpoch: number | null } | null): string {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'model.json'), '{}');
  if (state) writeFileSync(join(path, 'state.json'), JSON.stringify({ ...state, history: [], globalStep: 1, best: 0, wait: 0 }));
  return path;
}

describe('the weights a run has on disk', () => {
  const runs = join(temp.dir, 'runs');
  const source = join(runs, 'aaaa', 'checkpoints');
  // Trained 6 epochs: last moved on to 6, best stopped at 4, snapshots of epochs 1–6.
  const last = folder(join(source, 'last'), { epochsCompleted: 6, bestEpoch: 4 });
  const best = folder(join(source, 'best'), { epochsCompleted: 4, bestEpoch: 4 });
  const snapshot = (e: number) => folder(join(source, `epoch-${e}`), null);
  const rows = [1, 2, 3, 4, 5, 6].flatMap((epoch) => [
    { epoch, kind: 'last', path: last },
    ...(epoch === 2 || epoch === 4 ? [{ epoch, kind: 'best', path: best }] : []),
  ]);

  it('count best and last once each, for the epoch their own state names', () => {
    expect(recordedWeights(rows, runs)).toEqual([
      { epoch: 4, kind: 'best', dir: best },
      { epoch: 6, kind: 'last', dir: last },
    ]);
  });

  it('add every epoch snapshot; at the best and the last epoch their checkpoints answer, so the default is still the best', () => {
    const withSnapshots = [...rows, ...[1, 2, 3, 4, 5, 6].map((epoch) => ({ epoch, kind: 'epoch', path: snapshot(epoch) }))];
    const found = recordedWeights(withSnapshots, runs);
    expect(found.map((w) => [w.epoch, w.kind])).toEqual([
      [1, 'epoch'],
      [2, 'epoch'],
      [3, 'epoch'],
      [4, 'best'],
      [5, 'epoch'],
      [6, 'last'],
    ]);
    expect(chooseWeights(1, found, 3).dir).toBe(join(source, 'epoch-3'));
    expect(chooseWeights(1, found, undefined).dir).toBe(best);
  });

  it('give a run folded out of the first 2 epochs only what is still its own', () => {
    // Folding copies the source's epoch-2 rows, pointing at its folders, which moved on since.
    const folded = [
      { epoch: 2, kind: 'epoch', path: last },
      { epoch: 2, kind: 'best', path: best },
    ];
    expect(recordedWeights(folded, runs)).toEqual([]);
    expect(() => chooseWeights(9, recordedWeights(folded, runs), undefined)).toThrow('run 9 has no checkpoint yet');
    // With snapshots the folded run has its epoch-2 weights.
    expect(recordedWeights([...folded, { epoch: 2, kind: 'epoch', path: snapshot(2) }], runs)).toEqual([
      { epoch: 2, kind: 'epoch', dir: join(source, 'epoch-2') },
    ]);
  });

  it('choose best by default, last without best, and name the epochs there are', () => {
    const found = recordedWeights(rows, runs);
    expect(chooseWeights(1, found, undefined).kind).toBe('best');
    expect(
      chooseWeights(
        1,
        found.filter((w) => w.kind === 'last'),
        undefined,
      ).kind,
    ).toBe('last');
    expect(() => chooseWeights(3, found, 5)).toThrow('run 3 has no weights recorded at epoch 5 (recorded: 4, 6)');
  });

  it('find the folders again after the data folder moved', () => {
    const moved = join(temp.dir, 'moved-runs');
    cpSync(runs, moved, { recursive: true });
    const gone = rows.map((r) => ({ ...r, path: r.path.replace(runs, join(temp.dir, 'old-home', 'runs')) }));
    expect(recordedWeights(gone, moved).map((w) => w.dir)).toEqual([
      join(moved, 'aaaa', 'checkpoints', 'best'),
      join(moved, 'aaaa', 'checkpoints', 'last'),
    ]);
  });
});

describe("a run's own checkpoints folder", () => {
  it('counts without rows (a run trained outside the scheduler), and its snapshots too', () => {
    const own = join(temp.dir, 'runs', 'bbbb', 'checkpoints');
    folder(join(own, 'last'), { epochsCompleted: 3, bestEpoch: 1 });
    folder(join(own, 'best'), { epochsCompleted: 1, bestEpoch: 1 });
    folder(join(own, 'epoch-2'), null);
    expect(recordedWeights([], join(temp.dir, 'runs'), own).map((w) => [w.epoch, w.kind])).toEqual([
      [1, 'best'],
      [2, 'epoch'],
      [3, 'last'],
    ]);
  });
});
