/**
 * Bad-input suite for runs.import (issue 12, defects 2 and 5), property-based over generated
 * export files: statuses, metric key names, sizes and nesting. Whatever a file says, nothing it
 * imports is runnable, every stored field is within the API's limits, what was imported exports
 * again, and a refused file changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../../i18n/coreText.ts';
import { exportedRun, runsExportText, type ExportedRun } from '../../test/runsExport.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { KernelLabError } from '../errors.ts';
import { RunStore } from './RunStore.ts';

let tmp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  tmp = makeTempDir('kernellab-import-');
  store = RunStore.open(join(tmp.dir, 'k.db'));
});
afterEach(() => {
  store.close();
  tmp.cleanup();
});

type Run = ExportedRun;

const run = (extra: Run = {}): Run =>
  exportedRun({
    modelSpec: { name: 'tiny', inputShape: [28, 28, 1], numClasses: 10, layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] },
    hyperparameters: { epochs: 2, learningRate: 0.01 },
    metrics: { loss: [[1, 1, 10, 0.5]] },
    ...extra,
  });
const file = runsExportText;

async function refusal(work: Promise<unknown>): Promise<KernelLabError> {
  try {
    await work;
  } catch (error) {
    expect(error).toBeInstanceOf(KernelLabError);
    return error as KernelLabError;
  }
  throw new Error('the import was accepted');
}

const statusesNotFinal = ['queued', 'running', 'interrupted'] as const;

describe('runs.import: statuses from elsewhere are never runnable (defect 2)', () => {
  it('imports a queued, running or interrupted run canceled, saying why, and nothing claims it', async () => {
    const runs = statusesNotFinal.map((status) => run({ status, name: status, error: status === 'interrupted' ? 'paused' : null }));
    expect(await store.importRuns(file(runs))).toEqual({ imported: 3, skipped: 0 });
    for (const status of statusesNotFinal) {
      const imported = store.getRunByUuid(runs.find((r) => r.name === status)!.uuid as string)!;
      expect(imported.status).toBe('canceled');
      expect(imported.error).toContain(`imported while ${status} in the database it came from; an imported run never trains here`);
    }
    expect(store.getRunByUuid(runs[2]!.uuid as string)!.error).toMatch(/^paused; imported while interrupted/);
    expect(store.claimNextRunnable()).toBeUndefined();
  });

  it("imports a sweep 'pending' from before migration 0016 (it meant paused) paused, and one running or still being queued canceled", async () => {
    const sweep = (name: string, status: string, spec: unknown) => ({
      uuid: randomUUID(),
      experimentUuid: null,
      name,
      spec,
      status,
      createdAt: 1,
    });
    const sweeps = [
      sweep('pending before 0016', 'pending', { method: 'grid' }),
      sweep('pending, its queueing done', 'pending', { method: 'grid', plan: { queueing: null, next: 12 } }),
      // Being queued where it was exported: the process named is not this one, so nothing here may take its queueing over.
      sweep('being queued', 'pending', { method: 'grid', plan: { queueing: 'elsewhere:4242', next: 3 } }),
      sweep('running', 'running', { method: 'grid' }),
      sweep('paused', 'paused', { method: 'grid' }),
      sweep('completed', 'completed', { method: 'grid' }),
    ];
    expect(await store.importRuns(file([run({ sweepUuid: sweeps[0]!.uuid })], { sweeps }))).toEqual({ imported: 1, skipped: 0 });
    expect(Object.fromEntries(store.listSweeps().map((s) => [s.name, s.status]))).toEqual({
      'pending before 0016': 'paused',
      'pending, its queueing done': 'paused',
      'being queued': 'canceled',
      running: 'canceled',
      paused: 'paused',
      completed: 'completed',
    });
    // What a starting process reads to resume a half-queued sweep: no imported sweep is pending.
    expect(store.sweepHeads(['pending']).map((s) => s.name)).toEqual([]);
    expect(store.claimNextRunnable()).toBeUndefined();
  });
});

describe('runs.import within the API limits (defect 5)', () => {
  it('refuses a run name, tag or note the API would refuse, naming the run and field, and writes nothing', async () => {
    const cases: [Run, RegExp][] = [
      [{ name: 'x'.repeat(20 * 2 ** 20) }, /runs\.1\.name: .*200/],
      [{ tags: ['y'.repeat(65)] }, /runs\.1\.tags\.0: .*64/],
      [{ tags: Array.from({ length: 65 }, (_, i) => `t${i}`) }, /runs\.1\.tags: .*64/],
      [{ note: 'z'.repeat(100_001) }, /runs\.1\.note: .*100000/],
      [{ metrics: { 'has space': [[1, 1, 1, 1]] } }, /runs\.1\.metrics\.has space: letters, digits/],
      [{ status: 'exploded' }, /runs\.1\.status/],
    ];
    for (const [bad, message] of cases) {
      const error = await refusal(store.importRuns(file([run(), run(bad)])));
      expect(error.code).toBe('invalid_input');
      expect(error.message).toMatch(message);
      expect(store.listRuns().total).toBe(0);
    }
  });

  it('answers JSON nested a million levels deep with a refusal that says so, not a crash', async () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    const error = await refusal(store.importRuns(file([]).replace('"runs":[]', `"runs":[{"modelSpec":${deep}}]`)));
    expect(error.code).toBe('invalid_input');
    expect(error.message).toMatch(/runs\.0: not JSON KernelLab reads \(nested deeper than 64 levels/);
    const top = await refusal(store.importRuns(`{"experiments":${deep}}`));
    expect(top.message).toMatch(/\(root\): not JSON KernelLab reads \(nested deeper than 64 levels/);
  });

  it("says the scanner's and JSON.parse's reasons in Korean, the English sentence as before", async () => {
    const said = async (text: string) => {
      const error = await refusal(store.importRuns(text));
      return { en: error.message, ko: errorBodyText(error.toBody(), 'ko') };
    };
    expect(await said('{"format": "kernellab.runs", "runs": [{"a": 1}')).toEqual({
      en: 'Invalid runs export: runs.1: not JSON (expected "," or "]" at character 46)',
      ko: '실행 내보내기 파일이 올바르지 않습니다: runs.1: JSON이 아닙니다 (문자 46: "," 또는 "]"가 있어야 합니다)',
    });
    expect(await said('{"format": "kernellab.runs" "runs": []}')).toEqual({
      en: 'Invalid runs export: (root): not JSON (expected "," or "}" at character 28)',
      ko: '실행 내보내기 파일이 올바르지 않습니다: (root): JSON이 아닙니다 (문자 28: "," 또는 "}"가 있어야 합니다)',
    });
    const parser = await said(file([run()]).replace('"evaluations":[]', '"evaluations":[],'));
    expect(parser.en).toMatch(
      /^Invalid runs export: runs\.0: Expected double-quoted property name in JSON at position \d+ \(line 1 column \d+\)$/,
    );
    expect(parser.ko).toMatch(/^실행 내보내기 파일이 올바르지 않습니다: runs\.0: JSON이 아닙니다 \(문자 \d+\)$/);
    const token = await said(file([run()]).replace('"note":""', '"note":nope'));
    expect(token.en).toMatch(/^Invalid runs export: runs\.0: Unexpected token 'o', .* is not valid JSON$/);
    expect(token.ko).toBe("실행 내보내기 파일이 올바르지 않습니다: runs.0: JSON이 아닙니다: 예상하지 못한 'o'");
  });

  it('keeps metrics named like Object.prototype members, exports them again, and refuses __proto__ loudly', async () => {
    const named = run({ metrics: { constructor: [[1, 1, 1, 0.5]], toString: [[1, 1, 1, 0.25]], hasOwnProperty: [[2, 2, 2, 1]] } });
    expect(await store.importRuns(file([named]))).toEqual({ imported: 1, skipped: 0 });
    const id = store.getRunByUuid(named.uuid as string)!.id;
    const exported = JSON.parse(store.exportRuns({ runIds: [id] }, 'json').content) as { runs: { metrics: Record<string, unknown[]> }[] };
    expect(Object.keys(exported.runs[0]!.metrics).sort()).toEqual(['constructor', 'hasOwnProperty', 'toString']);
    expect(store.metricSeries(id).counts).toEqual({ constructor: 1, hasOwnProperty: 1, toString: 1 });

    const proto = file([run()]).replace('"metrics":{"loss"', '"metrics":{"__proto__":[[1,1,1,1]],"loss"');
    const error = await refusal(store.importRuns(proto));
    expect(error.message).toMatch(/runs\.0: .*__proto__ is not allowed/);
    const inHyper = file([run()]).replace('"hyperparameters":{', '"hyperparameters":{"__proto__":{"epochs":9},');
    expect((await refusal(store.importRuns(inHyper))).message).toMatch(/__proto__ is not allowed/);
    expect(store.listRuns().total).toBe(1);
  });

  it('takes back everything it wrote when a run near the end is bad', async () => {
    const runs = Array.from({ length: 300 }, (_, i) => run({ name: `r${i}` }));
    runs.push(run({ seed: 'not a number' }));
    const error = await refusal(
      store.importRuns(file(runs, { experiments: [{ uuid: randomUUID(), name: 'e', description: '', createdAt: 1 }] })),
    );
    expect(error.message).toMatch(/runs\.300\.seed/);
    expect(store.listRuns().total).toBe(0);
    expect(store.listExperiments()).toEqual([]);
  });

  it('writes a big file a chunk at a time, reporting progress, and stops leaving nothing when the caller goes away', async () => {
    const runs = Array.from({ length: 2000 }, (_, i) =>
      run({ name: `r${i}`, metrics: { loss: [[1, 1, 1, i]], accuracy: [[1, 1, 1, 0.5]] } }),
    );
    const progress: number[] = [];
    const result = await store.importRuns(file(runs), { onProgress: (p) => progress.push(p.done) });
    expect(result).toEqual({ imported: 2000, skipped: 0 });
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(2000);

    const other = RunStore.open(join(tmp.dir, 'other.db'));
    try {
      const controller = new AbortController();
      const stopped = other.importRuns(file(runs), {
        signal: controller.signal,
        onProgress: () => controller.abort(new KernelLabError('unavailable', 'the client left')),
      });
      expect((await refusal(stopped)).message).toBe('the client left');
      expect(other.listRuns().total).toBe(0);
    } finally {
      other.close();
    }
  });
});

describe('runs.import property: whatever the file says', () => {
  const text = (max: number) => fc.string({ maxLength: max });
  const metricName = fc.oneof(
    fc.constantFrom('loss', 'val_accuracy', 'constructor', 'toString', 'valueOf', '__proto__', 'prototype', 'has space', ''),
    fc.stringMatching(/^[A-Za-z0-9_.:/-]{1,140}$/),
  );
  const generatedRun = fc.record({
    status: fc.constantFrom('queued', 'running', 'completed', 'failed', 'canceled', 'interrupted', 'diverged', 'bogus'),
    name: fc.oneof(text(10), fc.constant('n'.repeat(201)), fc.constant('  ')),
    tags: fc.array(fc.oneof(text(8), fc.constant('t'.repeat(65))), { maxLength: 70 }),
    note: fc.oneof(text(20), fc.constant('x'.repeat(100_001))),
    metrics: fc.dictionary(
      metricName,
      fc.array(fc.tuple(fc.nat(50), fc.nat(50), fc.nat(), fc.oneof(fc.double(), fc.constantFrom('NaN', 'Infinity'))), { maxLength: 3 }),
    ),
    priority: fc.integer({ min: -5000, max: 5000 }),
    nested: fc.nat(80),
  });

  it('imports nothing runnable and nothing beyond the limits, exports what it imported, and changes nothing when it refuses', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(generatedRun, { minLength: 1, maxLength: 4 }), async (generated) => {
        const before = store.listRuns().total;
        const runs = generated.map((g) => {
          let spec: unknown = { layers: [] };
          for (let i = 0; i < g.nested; i++) spec = [spec];
          return run({
            status: g.status,
            name: g.name,
            tags: g.tags,
            note: g.note,
            metrics: g.metrics,
            priority: g.priority,
            modelSpec: spec,
          });
        });
        let result: { imported: number } | undefined;
        try {
          result = await store.importRuns(file(runs));
        } catch (error) {
          expect(error).toBeInstanceOf(KernelLabError);
          expect((error as KernelLabError).code).toBe('invalid_input');
          expect(store.listRuns().total).toBe(before);
          return;
        }
        expect(result.imported).toBe(runs.length);
        for (const r of runs) {
          const imported = store.getRunByUuid(r.uuid as string)!;
          expect(['queued', 'running', 'interrupted']).not.toContain(imported.status);
          expect(imported.name.length).toBeLessThanOrEqual(200);
          const detail = store.runDetail(imported.id);
          expect(detail.tags.length).toBeLessThanOrEqual(64);
          expect(detail.tags.every((t) => t.length <= 64)).toBe(true);
          expect(detail.note.length).toBeLessThanOrEqual(100_000);
          expect(() => store.exportRuns({ runIds: [imported.id] }, 'json')).not.toThrow();
        }
        expect(store.claimNextRunnable()).toBeUndefined();
      }),
      { numRuns: 60 },
    );
  });
});
