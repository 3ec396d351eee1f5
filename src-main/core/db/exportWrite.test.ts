import { randomUUID } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../test/rawSqlite.ts';
import { exportedRun, writeRunsExport } from '../../test/runsExport.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { buildExport } from './exchange.ts';
import { csvCell, runsCsvParts } from './exportCsv.ts';
import { writeExport } from './exportWrite.ts';
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
/** An export of `count` completed runs, 4 metrics × 40 epochs each, written to `path` a run at a time. */
function writeRunsFile(path: string, count: number): void {
  const points = Array.from({ length: 40 }, (_, e) => [e + 1, e + 1, 1_700_000_000_000 + e, 1 / (e + 2)]);
  writeRunsExport(path, count, (i) =>
    exportedRun({
      name: `run ${i}`,
      modelSpec: { layers: [{ type: 'dense', units: 10 }] },
      backend: 'cpu',
      device: 'test',
      seed: i,
      hyperparameters: { epochs: 40 },
      startedAt: 1,
      endedAt: 2,
      metrics: { loss: points, val_loss: points, accuracy: points, val_accuracy: points },
    }),
  );
}
const withoutTime = (text: string) => text.replace(/^\{"format":"kernellab\.runs","version":1,"exportedAt":\d+,/, '');

/** A Writable that keeps nothing but the text's length (or, when asked, the text), calling `onWrite` per part. */
function sink(onWrite: () => void = () => {}, keep = false): Writable & { bytes: number; text: string } {
  const out = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        out.bytes += chunk.length;
        if (keep) out.text += chunk.toString('utf8');
        onWrite();
        callback();
      },
    }),
    { bytes: 0, text: '' },
  );
  return out;
}

/** The ids of `count` runs imported from a file written a run at a time (no text of the export's size stays alive). */
async function importedIds(count: number): Promise<number[]> {
  const file = join(tmp.dir, 'in.json');
  writeRunsFile(file, count);
  await store.importRunsFile(file);
  const raw = openRaw(join(tmp.dir, 'k.db'));
  const ids = raw.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as number[];
  raw.close();
  expect(ids).toHaveLength(count);
  return ids;
}

/**
 * Exports the runs as `format` through writeExport and expects the live heap (gc() before each
 * reading, not garbage waiting for the collector) to stay within 8 MiB of where it began; then
 * checks that the same measure does see the whole-text export, so a stream that gathered the text
 * would fail.
 */
async function expectPartAtATime(ids: number[], format: 'json' | 'csv' | 'metrics-csv'): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let writes = 0;
  const out = sink(() => {
    if (writes++ % 4 === 0) {
      gc();
      peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
  });
  await writeExport(store.exportStream({ runIds: ids }, format), out);
  const grew = peak - before;
  expect(out.bytes).toBeGreaterThan(16 * 2 ** 20);
  expect(grew, `live heap grew ${(grew / 2 ** 20).toFixed(1)} MiB while writing ${(out.bytes / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(
    8 * 2 ** 20,
  );
  const whole = store.exportRuns({ runIds: ids }, format);
  gc();
  expect(process.memoryUsage().heapUsed - before).toBeGreaterThan(out.bytes * 0.9);
  expect(whole.content.length).toBe(out.bytes);
}

describe('streaming a runs export (issue 12)', () => {
  it('writes the same bytes as the whole export, over batches and parts, with links, Korean text and NaN', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 600; i++) {
      const parent = i > 0 && i % 7 === 0 ? ids[i - 1] : undefined;
      const run = store.createRun({
        ...base,
        status: 'completed',
        name: `합성곱 ${i} "q" \\`,
        seed: i,
        ...(parent && { parentRunId: parent }),
      });
      store.logBatch([
        { runId: run.id, key: 'loss', step: 1, epoch: 1, value: i === 3 ? NaN : 1 / (i + 1) },
        { runId: run.id, key: 'loss', step: 2, epoch: 2, value: 0.5 },
      ]);
      if (i % 5 === 0) store.setTags(run.id, ['한글', `t${i}`]);
      if (i % 9 === 0) store.setNote(run.id, '메모 ✓');
      ids.push(run.id);
    }
    // Given out of order and repeated, as a caller may: the export is in id order, each run once.
    const selection = { runIds: [...ids.slice(300), ...ids.slice(0, 300), ids[5]!] };
    const whole = store.exportRuns(selection, 'json').content;
    const raw = openRaw(join(tmp.dir, 'k.db'));
    let built: string;
    try {
      built = JSON.stringify(buildExport(raw, ids));
    } finally {
      raw.close();
    }
    expect(withoutTime(whole)).toBe(withoutTime(built));
    for (const partChars of [1, 1000, 2 ** 20]) {
      const stream = store.exportStream(selection, 'json', partChars);
      expect(stream).toMatchObject({ filename: 'runs-600.json', mediaType: 'application/json', runCount: 600 });
      let parts = 0;
      const out = sink(() => parts++, true);
      expect(await writeExport(stream, out)).toBe('}');
      expect(withoutTime(out.text)).toBe(withoutTime(built));
      if (partChars === 1) expect(parts).toBe(601); // the opening with run 1, one per run after it, the closing brackets
    }
    // An empty sweep is an empty list, as JSON.stringify writes it.
    const empty = store.createSweep({ name: 'empty', spec: {} });
    const out = sink(() => {}, true);
    await writeExport(store.exportStream({ sweepId: empty.id }, 'json'), out);
    expect(out.text).toMatch(/"runs":\[\]\}$/);
  });

  it(
    'holds about a part at a time: the live heap while writing 4,000 runs does not grow with the export',
    { timeout: 180_000 },
    async () => {
      await expectPartAtATime(await importedIds(4000), 'json');
    },
  );

  it('writes to a file with backpressure and stops, leaving the export cut short, when told to', async () => {
    const ids = Array.from({ length: 300 }, (_, i) => store.createRun({ ...base, status: 'completed', seed: i }).id);
    const path = join(tmp.dir, 'out.json');
    await writeExport(store.exportStream({ runIds: ids }, 'json', 100), createWriteStream(path));
    expect(withoutTime(readFileSync(path, 'utf8'))).toBe(withoutTime(store.exportRuns({ runIds: ids }, 'json').content));
    const stop = new AbortController();
    let parts = 0;
    const out = sink(() => {
      if (++parts === 3) stop.abort();
    });
    await expect(writeExport(store.exportStream({ runIds: ids }, 'json', 100), out, { signal: stop.signal })).rejects.toThrow(/abort/i);
    expect(parts).toBeLessThan(10);
  });
});

describe('streaming the runs CSV table (issue 12)', () => {
  it('writes one table over batches of runs and parts: a param or metric only the last run has is a column, formulas are text', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 600; i++) {
      const last = i === 599;
      const run = store.createRun({
        ...base,
        status: 'completed',
        name: i % 3 === 0 ? `=HYPERLINK("x") ${i}` : i % 3 === 1 ? `합성곱, "q" ${i}` : `run ${i}`,
        seed: i,
        hyperparameters: { learningRate: i / 1000, ...(last && { note: '@SUM(A1)' }) },
      });
      store.logBatch([
        { runId: run.id, key: 'loss', step: 1, epoch: 1, value: i === 5 ? NaN : 1 / (i + 1) },
        ...(last ? [{ runId: run.id, key: 'late', step: 1, epoch: 1, value: -0.5 }] : []),
      ]);
      ids.push(run.id);
    }
    const text = store.exportRuns({ runIds: [...ids].reverse() }, 'csv').content;
    const lines = text.split('\n');
    expect(lines).toHaveLength(1 + 600 + 1);
    const header = lines[0]!.split(',');
    expect(header).toEqual(expect.arrayContaining(['param.learningRate', 'param.note', 'late.last', 'loss.last']));
    const column = (row: string, name: string) => row.split(',')[header.indexOf(name)];
    expect(lines[1]!.split(',')[1]).toBe(`"'=HYPERLINK(""x"") 0"`);
    expect(column(lines[1]!, 'param.note')).toBe('');
    expect(column(lines[600]!, 'param.note')).toBe("'@SUM(A1)");
    expect(column(lines[600]!, 'late.last')).toBe('-0.5');
    expect(column(lines[6]!, 'loss.last')).toBe('NaN');
    // The same bytes whatever the batch of runs and the part size; one part per row at the smallest.
    const raw = openRaw(join(tmp.dir, 'k.db'));
    try {
      for (const [batchRows, partChars] of [
        [1, 1],
        [7, 1000],
        [256, 2 ** 20],
      ] as const) {
        const parts = [...runsCsvParts(raw, ids, partChars, batchRows)];
        expect(parts.join('')).toBe(text);
        if (partChars === 1) expect(parts.filter((p) => p.length > 0)).toHaveLength(600);
      }
    } finally {
      raw.close();
    }
  });

  it(
    'holds about a part at a time: the live heap while writing 8,000 runs does not grow with the table',
    { timeout: 180_000 },
    async () => {
      // 8,000 runs of 60 text params each (about 20 MiB of table), written directly: the store's own inserts take minutes here.
      const raw = openRaw(join(tmp.dir, 'k.db'));
      raw.transaction(() => {
        const run = raw.prepare(
          `INSERT INTO runs (uuid, name, status, model_spec, dataset, backend, seed, hyperparameters, created_at, updated_at)
         VALUES (?, ?, 'completed', '{}', 'mnist', 'cpu', ?, '{}', 1, 1)`,
        );
        const param = raw.prepare(`INSERT INTO run_params (run_id, key, value, kind) VALUES (?, ?, ?, 'string')`);
        for (let i = 0; i < 8_000; i++) {
          const id = Number(run.run(randomUUID(), `run ${i}`, i).lastInsertRowid);
          for (let k = 0; k < 60; k++) param.run(id, `param_${k}`, `${'v'.repeat(36)}${i}`);
        }
      })();
      const ids = raw.prepare('SELECT id FROM runs ORDER BY id').pluck().all() as number[];
      raw.close();
      await expectPartAtATime(ids, 'csv');
    },
  );
});

/** The metrics CSV as one table, the way it was built before it streamed: every point in one query, joined once. */
function wholeMetricsCsv(path: string, ids: number[]): string {
  const raw = openRaw(path);
  try {
    const rows = raw
      .prepare(
        `SELECT r.uuid, r.name, m.key, m.step, m.epoch, m.wall_ms, m.value FROM metrics m JOIN runs r ON r.id = m.run_id
           WHERE m.run_id IN (SELECT value FROM json_each(?)) ORDER BY r.id, m.key, m.step`,
      )
      .raw()
      .all(JSON.stringify(ids)) as unknown[][];
    const lines = [
      ['run_uuid', 'run_name', 'key', 'step', 'epoch', 'wall_ms', 'value'],
      ...rows.map((r) => (r[6] === null ? [...r.slice(0, 6), 'NaN'] : r)),
    ];
    return lines.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
  } finally {
    raw.close();
  }
}

describe('streaming the metrics CSV (issue 12)', () => {
  it('writes the same bytes as the whole table, over pages of points and parts, with formulas, Korean text and NaN', async () => {
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) {
      const run = store.createRun({
        ...base,
        status: 'completed',
        name: i % 3 === 0 ? `=HYPERLINK("x") ${i}` : `합성곱, "q" ${i}`,
        seed: i,
      });
      store.logBatch([
        { runId: run.id, key: 'loss', step: 1, epoch: 1, value: i === 3 ? NaN : 1 / (i + 1) },
        { runId: run.id, key: 'loss', step: 2, epoch: 2, value: i === 4 ? -Infinity : 0.5 },
        { runId: run.id, key: 'acc/top-1', step: 1, epoch: 1, value: 0.25 },
      ]);
      ids.push(run.id);
    }
    // More points than one page (10,000) in one run, in three keys whose pages end mid-key.
    const big = ids[7]!;
    for (const key of ['a', 'b', 'val_loss'])
      store.logBatch(
        Array.from({ length: 9_000 }, (_, s) => ({ runId: big, key, step: s, epoch: s, value: s / 7, wallMs: 1_700_000_000_000 + s })),
      );
    const selection = { runIds: [...ids.slice(10), ...ids.slice(0, 10)] };
    const expected = wholeMetricsCsv(join(tmp.dir, 'k.db'), ids);
    expect(expected.split('\n')).toHaveLength(1 + 30 * 3 + 27_000 + 1);
    expect(store.exportRuns(selection, 'metrics-csv').content).toBe(expected);
    for (const partChars of [1, 1000, 2 ** 20]) {
      const stream = store.exportStream(selection, 'metrics-csv', partChars);
      expect(stream).toMatchObject({ filename: 'runs-30-metrics.csv', mediaType: 'text/csv', runCount: 30 });
      let parts = 0;
      const out = sink(() => parts++, true);
      expect(await writeExport(stream, out)).toBe('\n');
      expect(out.text).toBe(expected);
      if (partChars === 1) expect(parts).toBe(1 + 30 * 3 + 27_000); // the header, then one per point
    }
  });

  it(
    'holds about a part at a time: the live heap while writing 2,000 runs of points does not grow with the export',
    { timeout: 180_000 },
    async () => {
      await expectPartAtATime(await importedIds(2000), 'metrics-csv');
    },
  );
});
