import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { exportFile } from './exportFile.ts';
import { importLimits } from './importRuns.ts';
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

/** Five runs with Korean names, notes and tags (multi-byte UTF-8), metrics with NaN; their JSON export. */
function exported(): string {
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) {
    const run = store.createRun({ ...base, status: 'completed', name: `합성곱 실험 ${i} "따옴표" \\ 역슬래시`, seed: i });
    store.logBatch([
      { runId: run.id, key: 'loss', step: 1, epoch: 1, value: 1 / (i + 1) },
      { runId: run.id, key: 'val_accuracy', step: 1, epoch: 1, value: i === 2 ? NaN : 0.5 + i / 10 },
    ]);
    store.setTags(run.id, ['한글', `t${i}`]);
    store.setNote(run.id, '메모 ✓ {"not": [json}');
    ids.push(run.id);
  }
  return store.exportRuns({ runIds: ids }, 'json').content;
}

/** Imports `text` into a new database, from a file read `readBytes` at a time or as text; what each run holds. */
async function importInto(name: string, text: string, how: 'file' | 'text', readBytes = 2 ** 20) {
  const other = RunStore.open(join(tmp.dir, `${name}.db`));
  try {
    let result: { imported: number; skipped: number };
    if (how === 'text') result = await other.importRuns(text);
    else {
      const path = join(tmp.dir, `${name}.json`);
      writeFileSync(path, text);
      const source = exportFile(path, importLimits, readBytes);
      try {
        result = await other.importRuns(source);
      } finally {
        source.close();
      }
    }
    const runs = other.listRuns().rows.map((r) => {
      const d = other.runDetail(r.id);
      return { ...d, id: 0, series: { ...other.metricSeries(r.id), runId: 0 } };
    });
    return { result, runs: runs.sort((a, b) => (a.uuid < b.uuid ? -1 : 1)) };
  } finally {
    other.close();
  }
}

describe('a runs export read from a file a part at a time', () => {
  it('imports what the same export imports as text, whatever the read size, spacing and UTF-8 text', async () => {
    const compact = exported();
    const spaced = JSON.stringify(JSON.parse(compact), null, 2);
    const fromText = await importInto('text', compact, 'text');
    expect(fromText.result).toEqual({ imported: 5, skipped: 0 });
    expect(fromText.runs[0]!.name).toMatch(/합성곱/);
    for (const [name, text, readBytes] of [
      ['whole', compact, 2 ** 20],
      ['bytes7', compact, 7],
      ['bytes1', spaced, 1],
      ['spaced', spaced, 64],
    ] as const) {
      expect(await importInto(name, text, 'file', readBytes)).toEqual(fromText);
    }
    // Through RunStore.importRunsFile, and a second time nothing is imported.
    const path = join(tmp.dir, 'again.json');
    writeFileSync(path, spaced);
    const other = RunStore.open(join(tmp.dir, 'again.db'));
    try {
      expect(await other.importRunsFile(path)).toEqual({ imported: 5, skipped: 0 });
      expect(await other.importRunsFile(path)).toEqual({ imported: 0, skipped: 5 });
    } finally {
      other.close();
    }
  });

  it('refuses what the text import refuses, saying where', async () => {
    const good = exported();
    const cases: [string, RegExp][] = [
      [good.slice(0, good.length - 1), /ends early/],
      [good + ' x', /after the object/],
      [good.replace('"runs":[', '"runs":{'), /runs: expected a list/],
      [good.replace('"runs":[', '"runs":[,'), /runs\.0: .*a value is missing/],
      [good.replace(/\]\}$/, ',]}'), /runs\.5: .*a value is missing/],
      [good.replace('"sweeps":[]', '"sweeps":]'), /sweeps: .*unexpected "\]"/],
      [good.replace('"runs":[', '"runs":[' + '['.repeat(200) + ']'.repeat(200) + ','), /runs\.0: .*nested deeper/],
      ['[]', /expected an object/],
      ['', /expected an object/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      await expect(importInto(`bad${i}`, text, 'file', 5), text.slice(0, 40)).rejects.toThrow(message);
      await expect(importInto(`badtext${i}`, text, 'text')).rejects.toThrow(/Invalid runs export/);
    }
    const path = join(tmp.dir, 'big.json');
    writeFileSync(path, good);
    const small = exportFile(path, { ...importLimits, maxRunBytes: 100 });
    try {
      await expect(store.importRuns(small)).rejects.toThrow(/runs\.0: more than/);
    } finally {
      small.close();
    }
    // Only the other members are bounded as a whole: a runs list longer than that imports.
    const header = exportFile(path, { ...importLimits, maxHeaderBytes: 200 });
    const other = RunStore.open(join(tmp.dir, 'header.db'));
    try {
      expect(await other.importRuns(header)).toEqual({ imported: 5, skipped: 0 });
      writeFileSync(path, good.replace('"sweeps":[]', `"sweeps":[], "extra": "${'x'.repeat(300)}"`));
      await expect(other.importRuns(header)).rejects.toThrow(/extra: more than/);
    } finally {
      header.close();
      other.close();
    }
    await expect(store.importRunsFile(join(tmp.dir, 'missing.json'))).rejects.toThrow(/Cannot read the runs export .*no such file/);
  });

  it('refuses every proper prefix of an export, as the text import does (property)', async () => {
    const good = exported();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: good.length - 1 }), async (cut) => {
        await expect(importInto(`cut${cut}`, good.slice(0, cut), 'file', 13)).rejects.toThrow(/Invalid runs export/);
      }),
      { numRuns: 30 },
    );
  });
});
