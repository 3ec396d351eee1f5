import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../test/rawSqlite.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { encodeMetricValue } from '../contract/index.ts';
import { foldSummary } from './metricWrite.ts';
import { RunStore, type NewRun } from './RunStore.ts';

let tmp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  tmp = makeTempDir();
  store = RunStore.open(join(tmp.dir, 'k.db'));
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

const base: NewRun = { name: 'cnn', modelSpec: { layers: [] }, dataset: 'mnist', backend: 'cpu', seed: 1, hyperparameters: {} };
type Point = { key: string; step: number; epoch: number; wallMs: number; value: number };

/** What the database holds for one run: its points by (key, step) and its summaries by key, run ids left out. */
function stored(path: string, runId: number) {
  const raw = openRaw(path);
  try {
    return {
      points: raw.prepare('SELECT key, step, epoch, wall_ms, value FROM metrics WHERE run_id = ? ORDER BY key, step').all(runId),
      summaries: raw
        .prepare('SELECT key, last, last_step, best, best_step, min, max, count FROM latest_metrics WHERE run_id = ? ORDER BY key')
        .all(runId),
    };
  } finally {
    raw.close();
  }
}

/** The points a batch leaves, worked out one by one: the last point at a (key, step) wins. */
function expectedPoints(points: Point[]) {
  const last = new Map<string, Point>();
  for (const p of points) last.set(`${p.key}\u0000${String(p.step).padStart(8, '0')}`, p);
  return [...last.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, p]) => ({ key: p.key, step: p.step, epoch: p.epoch, wall_ms: p.wallMs, value: Number.isNaN(p.value) ? null : p.value }));
}

// SQLite stores -0 as 0: points use 0, so that a difference is one of order or loss, not of sign.
const point = fc.record({
  key: fc.constantFrom('loss', 'val_accuracy', 'rss_bytes'),
  step: fc.integer({ min: 0, max: 40 }),
  epoch: fc.integer({ min: 0, max: 5 }),
  wallMs: fc.integer({ min: 0, max: 10 ** 12 }),
  value: fc.oneof(
    fc.double({ min: -10, max: 10, noNaN: true }).map((v) => (v === 0 ? 0 : v)),
    fc.constantFrom(NaN, Infinity, -Infinity),
  ),
});

describe('metric writes in multi-row statements', () => {
  it('keep every point in order: the last point at a step wins, and summaries fold every point (property)', () => {
    // Batches up to 1,300 points cross the 256-row statements many times; steps 0–40 repeat often.
    fc.assert(
      fc.property(fc.array(point, { maxLength: 1300 }), fc.array(point, { maxLength: 300 }), (first, second) => {
        const run = store.createRun({ ...base, status: 'completed' });
        store.logBatch(first.map((p) => ({ runId: run.id, ...p })));
        store.logBatch(second.map((p) => ({ runId: run.id, ...p })));
        const { points, summaries } = stored(store.path, run.id);
        expect(points).toEqual(expectedPoints([...first, ...second]));
        const keys = [...new Set([...first, ...second].map((p) => p.key))].sort();
        const summaryOf = (key: string) => {
          const older = first.filter((p) => p.key === key);
          const once = foldSummary(key, undefined, older);
          const row = older.length
            ? {
                last: Number.isNaN(once.last) ? null : once.last,
                last_step: once.lastStep,
                best: Number.isNaN(once.best) ? null : once.best,
                best_step: Number.isNaN(once.best) ? null : once.bestStep,
                min: Number.isNaN(once.min) ? null : once.min,
                max: Number.isNaN(once.max) ? null : once.max,
                count: once.count,
              }
            : undefined;
          const s = foldSummary(
            key,
            row,
            second.filter((p) => p.key === key),
          );
          return {
            key,
            last: Number.isNaN(s.last) ? null : s.last,
            last_step: s.lastStep,
            best: Number.isNaN(s.best) ? null : s.best,
            best_step: Number.isNaN(s.best) ? null : s.bestStep,
            min: Number.isNaN(s.min) ? null : s.min,
            max: Number.isNaN(s.max) ? null : s.max,
            count: s.count,
          };
        };
        expect(summaries).toEqual(keys.map(summaryOf));
        expect(summaries.reduce<number>((n, s) => n + (s as { count: number }).count, 0)).toBe(first.length + second.length);
      }),
      { numRuns: 25 },
    );
  });

  it('store the same points and summaries through logBatch (live training) and runs.import', async () => {
    // 700 points over three keys: repeated steps with different values, NaN and ±Infinity, steps out of order.
    const points: Point[] = [];
    for (let i = 0; i < 700; i++) {
      const key = ['loss', 'val_accuracy', 'rss_bytes'][i % 3]!;
      const step = (i * 37) % 211;
      const value = i % 50 === 7 ? NaN : i % 97 === 3 ? Infinity : i % 89 === 5 ? -Infinity : Math.sin(i) * 3;
      points.push({ key, step, epoch: Math.floor(step / 20), wallMs: 1_700_000_000_000 + i, value });
    }
    const live = store.createRun({ ...base, status: 'completed' });
    store.logBatch(points.map((p) => ({ runId: live.id, ...p })));

    // The same run exported without metrics, its metrics then given as the same points in the same order.
    const other = RunStore.open(join(tmp.dir, 'other.db'));
    try {
      const blank = other.createRun({ ...base, status: 'completed' });
      const exported = JSON.parse(other.exportRuns({ runIds: [blank.id] }, 'json').content) as {
        runs: { uuid: string; metrics: Record<string, unknown[]> }[];
      };
      const run = exported.runs[0]!;
      run.uuid = crypto.randomUUID();
      run.metrics = {};
      for (const p of points) (run.metrics[p.key] ??= []).push([p.step, p.epoch, p.wallMs, encodeMetricValue(p.value)]);
      expect(await other.importRuns(JSON.stringify(exported))).toEqual({ imported: 1, skipped: 0 });
      const imported = other.getRunByUuid(run.uuid)!.id;
      const fromImport = stored(other.path, imported);
      const fromLive = stored(store.path, live.id);
      expect(fromImport).toEqual(fromLive);
      expect(fromLive.points).toEqual(expectedPoints(points));
      expect(fromLive.summaries.reduce<number>((n, s) => n + (s as { count: number }).count, 0)).toBe(points.length);
    } finally {
      other.close();
    }
  });
});
