import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../service.ts';
import type { SweepProgress } from '../contract/sweeps.ts';
import { dataDirWithMnist, tinySweep } from './sweepFixture.ts';

let home: { dir: string; cleanup: () => void };
let service: Service;

beforeAll(async () => {
  home = await dataDirWithMnist();
  service = createService({ dataDir: home.dir, shell: 'cli' });
  await service.call('sweeps.setConcurrency', { workers: 2 });
});
afterAll(async () => {
  await service?.close();
  home?.cleanup();
});

async function finished(sweepId: number, timeoutMs = 240_000): Promise<SweepProgress> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const progress = await service.call('sweeps.progress', { id: sweepId });
    if (progress.status === 'completed' || progress.status === 'failed' || progress.status === 'canceled') return progress;
    if (Date.now() > until) throw new Error(`sweep ${sweepId} did not finish: ${JSON.stringify(progress)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function runsOf(sweepId: number) {
  const { rows } = await service.call('runs.list', {
    sweepId,
    paramColumns: ['epochs', 'seed', 'learningRate'],
    metricColumns: [{ key: 'test_accuracy', field: 'last' }],
    sort: { by: 'id', dir: 'asc' },
  });
  return Promise.all(rows.map((r) => service.call('runs.get', { id: r.id })));
}

describe('a real sweep, end to end', () => {
  it('runs a kernel size × epochs grid with repeats; folded runs equal separately trained ones', async () => {
    const spec = tinySweep({ repeats: 2 });
    const preview = await service.call('sweeps.preview', { spec });
    expect(preview).toMatchObject({ planned: 8, trained: 4, derived: 4, impossible: 0, folding: { enabled: true } });
    expect(preview.estimate.seconds).toBeGreaterThan(0);

    const events: string[] = [];
    const unsubscribe = service.events.subscribe((e) => {
      if (e.name === 'sweep.progress') events.push((e.payload as SweepProgress).text);
    });
    const started = await service.call('sweeps.start', { spec });
    expect(started).toMatchObject({ planned: 8, queued: 4, derived: 4 });
    const progress = await finished(started.sweepId);
    unsubscribe();
    expect(progress).toMatchObject({ status: 'completed', planned: 8, done: 8, completed: 8, derived: 4 });
    expect(events.some((t) => /^run \d of 8/.test(t))).toBe(true);

    const runs = await runsOf(started.sweepId);
    expect(runs).toHaveLength(8);
    const derived = runs.filter((r) => r.derivedFromRunId !== null);
    expect(derived.map((r) => r.derivedEpochs)).toEqual([1, 1, 1, 1]);
    for (const run of runs) {
      expect(run.status).toBe('completed');
      expect(run.evaluations.find((e) => e.split === 'test')?.accuracy).toEqual(expect.any(Number));
    }
    // A derived run is its source as it was after fewer epochs, not a copy of the source's end.
    for (const run of derived) {
      const source = runs.find((r) => r.id === run.derivedFromRunId)!;
      expect(source.derivedFromRunId).toBeNull();
      expect(run.evaluations.find((e) => e.split === 'test')!.loss).not.toBe(source.evaluations.find((e) => e.split === 'test')!.loss);
      expect(run.summary.find((s) => s.key === 'loss')!.count).toBe(1);
      // It took the source's time up to its epoch count: started with it, ended before it.
      expect(run.startedAt).toBe(source.startedAt);
      expect(run.endedAt!).toBeGreaterThan(run.startedAt!);
      expect(run.endedAt!).toBeLessThan(source.endedAt!);
      expect(source.summary.find((s) => s.key === 'loss')!.count).toBe(2);
    }
    // The kernel size × epochs grid the UI colours by accuracy: every cell holds both repeats.
    const pivot = await service.call('runs.pivot', {
      sweepId: started.sweepId,
      rowParam: 'kernelSize',
      colParam: 'epochs',
      metric: 'test_accuracy',
      field: 'last',
    });
    expect(pivot.rows).toEqual([3, 5]);
    expect(pivot.cols).toEqual([1, 2]);
    expect(pivot.cells.map((c) => c.count)).toEqual([2, 2, 2, 2]);
    // Repeats train with their own seeds.
    expect(new Set(runs.map((r) => r.seed))).toEqual(new Set([3, 4]));

    // The same points trained separately (no folding) give the same numbers to the last digit.
    const separate = await service.call('sweeps.start', {
      spec: { ...spec, repeats: 1, fold: false, axes: { kernelSize: [3, 5], epochs: [1] } },
    });
    await finished(separate.sweepId);
    const alone = await runsOf(separate.sweepId);
    expect(alone).toHaveLength(2);
    for (const run of alone) {
      const twin = derived.find((d) => d.seed === run.seed && JSON.stringify(d.modelSpec) === JSON.stringify(run.modelSpec));
      expect(twin, `derived twin of run ${run.id}`).toBeDefined();
      const test = (r: typeof run) => r.evaluations.find((e) => e.split === 'test')!;
      expect(test(twin!).accuracy).toBe(test(run).accuracy);
      expect(test(twin!).loss).toBe(test(run).loss);
      expect(test(twin!).confusion).toEqual(test(run).confusion);
      const summary = (r: typeof run, key: string) => r.summary.find((s) => s.key === key)?.last;
      for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy']) expect(summary(twin!, key)).toBe(summary(run, key));
    }
  }, 300_000);

  it('runs a seeded random search with repeats', async () => {
    const spec = tinySweep({
      method: 'random',
      trials: 2,
      repeats: 2,
      samplerSeed: 11,
      axes: { learningRate: { min: 0.001, max: 0.05, scale: 'log' }, kernelSize: [3, 5] },
    });
    const started = await service.call('sweeps.start', { spec });
    expect(started.queued).toBe(4);
    const progress = await finished(started.sweepId);
    expect(progress).toMatchObject({ status: 'completed', completed: 4 });
    const runs = await runsOf(started.sweepId);
    const rates = runs.map((r) => (r.hyperparameters as { learningRate: number }).learningRate);
    expect(rates[0]).toBe(rates[1]);
    expect(rates[2]).toBe(rates[3]);
    expect(runs.map((r) => r.seed)).toEqual([3, 4, 3, 4]);
  }, 300_000);

  it('reports an impossible point and runs the rest; refuses a bad spec with nothing queued', async () => {
    const before = (await service.call('runs.list', {})).total;
    await expect(service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSise: [3] } }) })).rejects.toThrow(
      /axes\.kernelSise: unknown axis/,
    );
    await expect(service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSize: [3, 'x'] } as never }) })).rejects.toThrow(
      /kernelSize/,
    );
    expect((await service.call('runs.list', {})).total).toBe(before);

    const started = await service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSize: [3, 29] } }) });
    expect(started.queued).toBe(1);
    expect(started.impossible).toHaveLength(1);
    expect(started.impossible[0]!.error).toMatch(/layers\[0\] \(conv2d\).*29/);
    expect(await finished(started.sweepId)).toMatchObject({ status: 'completed', planned: 1, impossible: 1 });
  }, 120_000);
});
