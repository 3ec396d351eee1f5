import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { RunStore } from './RunStore.ts';
import { bestIndex, metricKind } from '../contract/metrics.ts';

describe('metric kinds: one registry for every ranking', () => {
  it('results go their own way, speed is better higher, resources are not ranked', () => {
    const kinds = (keys: string[]) => keys.map((k) => metricKind(k));
    expect(kinds(['accuracy', 'val_accuracy', 'test_accuracy', 'val_acc', 'f1', 'top5'])).toEqual(
      Array(6).fill({ kind: 'result', better: 'max' }),
    );
    expect(kinds(['loss', 'val_loss', 'error_rate', 'val_acc_loss'])).toEqual(Array(4).fill({ kind: 'result', better: 'min' }));
    expect(kinds(['samples_per_sec', 'images_per_sec', 'throughput'])).toEqual(Array(3).fill({ kind: 'speed', better: 'max' }));
    expect(kinds(['rss_bytes', 'num_tensors', 'epoch_seconds', 'lr', 'something_new'])).toEqual(
      Array(5).fill({ kind: 'resource', better: null }),
    );
  });

  it('stars one best value; a tie, a metric that is not ranked, or no value stars nobody', () => {
    expect(bestIndex([0.9, 0.95, 0.93], 'max')).toBe(1);
    expect(bestIndex([0.9, 0.95, 0.93], 'min')).toBe(0);
    expect(bestIndex([0.95, 0.95, 0.9], 'max')).toBe(-1);
    expect(bestIndex([0.95, 0.9, 0.95], 'max')).toBe(-1);
    expect(bestIndex([0.9, 0.95, 0.97, 0.97], 'max')).toBe(-1);
    expect(bestIndex([1, 2], null)).toBe(-1);
    expect(bestIndex([null, NaN], 'max')).toBe(-1);
    expect(bestIndex([null, 0.5], 'max')).toBe(1);
  });

  it("is what the store's summaries and comparisons use: no best for rss_bytes, the faster run best for samples_per_sec", () => {
    const temp = makeTempDir('kernellab-metric-kinds-');
    const store = RunStore.open(join(temp.dir, 'k.db'));
    try {
      const run = () =>
        store.createRun({ name: 'r', modelSpec: {}, dataset: 'mnist', backend: 'cpu', seed: 1, hyperparameters: { epochs: 2 } }).id;
      const [slow, fast] = [run(), run()];
      const log = (id: number, key: string, values: number[]) =>
        store.logBatch(values.map((value, i) => ({ runId: id, key, step: i + 1, epoch: i + 1, value })));
      log(slow, 'samples_per_sec', [900, 1000]);
      log(fast, 'samples_per_sec', [2900, 3000]);
      log(slow, 'rss_bytes', [300e6, 200e6]);
      log(fast, 'rss_bytes', [400e6, 500e6]);
      const summary = (id: number, key: string) => store.summary(id).find((s) => s.key === key)!;
      expect(summary(slow, 'samples_per_sec')).toMatchObject({ kind: 'speed', better: 'max', best: 1000, bestStep: 2 });
      expect(summary(slow, 'rss_bytes')).toMatchObject({
        kind: 'resource',
        better: null,
        best: null,
        bestStep: null,
        min: 200e6,
        max: 300e6,
      });
      const compared = store.compareRuns({ ids: [slow, fast] });
      const speed = compared.summaries.find((s) => s.key === 'samples_per_sec')!;
      expect(speed).toMatchObject({ kind: 'speed', better: 'max', best: [1000, 3000], leader: { best: 1, last: 1 } });
      const rss = compared.summaries.find((s) => s.key === 'rss_bytes')!;
      expect(rss).toMatchObject({
        kind: 'resource',
        better: null,
        best: [null, null],
        last: [200e6, 500e6],
        leader: { best: null, last: null },
      });
      log(slow, 'val_accuracy', [0.9]);
      log(fast, 'val_accuracy', [0.9]);
      const tie = store.compareRuns({ ids: [slow, fast] }).summaries.find((s) => s.key === 'val_accuracy')!;
      expect(tie).toMatchObject({ best: [0.9, 0.9], leader: { best: null, last: null } });
      const listed = store.listRuns({
        metricColumns: [
          { key: 'samples_per_sec', field: 'best' },
          { key: 'rss_bytes', field: 'last' },
        ],
      });
      expect(listed.metricKinds).toEqual({
        samples_per_sec: { kind: 'speed', better: 'max' },
        rss_bytes: { kind: 'resource', better: null },
      });
    } finally {
      store.close();
      temp.cleanup();
    }
  });
});
