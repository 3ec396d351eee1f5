/**
 * Queueing a sweep is bounded work (issue 12, defect 1): the points are planned and the runs
 * written a chunk at a time, other work runs in between, progress is reported, and an abort or a
 * cancel in the middle leaves nothing runnable behind.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { NewRun, RunStore, type NewRunParsed } from '../db/RunStore.ts';
import { EventBus } from '../events.ts';
import { expandSweep, pointStream } from './expand.ts';
import { pointRun, sweepLabel } from './pointRun.ts';
import { parsedRun, previewSweep, queueSweep } from './queueing.ts';
import { Scheduler } from './scheduler.ts';
import { tinySweep } from './sweepFixture.ts';
import { parseSweepSpec } from './sweepSpec.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  temp = makeTempDir('kernellab-queueing-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(() => {
  store.close();
  temp.cleanup();
});

/** One learning-rate axis, like the request that held the server for half an hour (here 2,000 points). */
const manyPoints = (steps: number, extra: object = {}) =>
  parseSweepSpec(tinySweep({ axes: { learningRate: { min: 0.0001, max: 0.01, steps } }, repeats: 2, yes: true, ...extra } as never));

/** Counts the turns other work gets while `work` runs. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let done = false;
  const spin = async () => {
    while (!done) {
      turns++;
      await new Promise((r) => setImmediate(r));
    }
  };
  const spinning = spin();
  const value = await work;
  done = true;
  await spinning;
  return { value, turns };
}

describe('queueing a large sweep', () => {
  it('writes the runs a chunk at a time, letting other work run in between and reporting progress', async () => {
    const progress: number[] = [];
    const { value: started, turns } = await turnsDuring(
      queueSweep(store, manyPoints(1000), { onProgress: (_id, queued) => progress.push(queued) }),
    );
    expect(started).toMatchObject({ planned: 2000, queued: 2000, impossibleCount: 0 });
    expect(started.runIds).toHaveLength(2000);
    expect(progress.at(-1)).toBe(2000);
    expect(progress.length).toBeGreaterThan(1);
    expect(turns).toBeGreaterThan(progress.length);
    expect(store.getSweep(started.sweepId)).toMatchObject({ status: 'running', runCounts: { queued: 2000 } });
  });

  it('is not claimed while it is being queued, and names what it is doing in its progress', async () => {
    const scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: { start: () => ({ outcome: new Promise(() => undefined), stop: () => undefined }) },
    });
    let seen: string | undefined;
    let claimedWhileQueueing = false;
    let compared = 0;
    const started = await queueSweep(
      store,
      manyPoints(1000, { axes: { learningRate: { min: 0.0001, max: 0.01, steps: 1000 }, kernelSize: [3, 99] } }),
      {
        onProgress: (sweepId, queued, total, event) => {
          // The event queueing reports without counting is the one the scheduler counts in SQL.
          expect(event).toEqual(scheduler.progress(sweepId));
          compared++;
          if (queued === 0 || queued === total) return;
          seen ??= scheduler.progress(sweepId).text;
          claimedWhileQueueing ||= store.claimNextRunnable('someone-else', 60_000) !== undefined;
        },
      },
    );
    expect(compared).toBeGreaterThan(1);
    expect(started.impossibleCount).toBe(2000);
    expect(seen).toMatch(/^queueing [\d,]+ of 2,000 runs$/);
    expect(claimedWhileQueueing).toBe(false);
    expect(scheduler.progress(started.sweepId)).toMatchObject({ status: 'running', queueing: null, text: 'run 1 of 2000' });
  });

  it('leaves nothing behind when the caller goes away before the sweep exists', async () => {
    const controller = new AbortController();
    controller.abort(new Error('the client left'));
    let created = false;
    await expect(queueSweep(store, manyPoints(1000), { signal: controller.signal, onCreated: () => (created = true) })).rejects.toThrow(
      'the client left',
    );
    expect(created).toBe(false);
    expect(store.listSweeps()).toEqual([]);
    expect(store.listRuns().total).toBe(0);
  });

  it('leaves a sweep whose process closes mid-queueing pending, with its position recorded, for the next owner', async () => {
    const controller = new AbortController();
    let sweepId = 0;
    const queueing = queueSweep(store, manyPoints(1000), {
      signal: controller.signal,
      onCreated: (id) => (sweepId = id),
      onProgress: (_id, queued) => {
        if (queued > 0) controller.abort(new Error('closing'));
      },
    });
    await expect(queueing).rejects.toThrow('closing');
    const sweep = store.getSweep(sweepId)!;
    const queued = sweep.runCounts.queued!;
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThan(2000);
    expect(sweep.status).toBe('pending');
    // One point per repeat: `next` is the first point index not queued, and every run below it is.
    expect((sweep.spec as { plan: { queueing: string; next: number } }).plan).toMatchObject({ queueing: store.owner, next: queued });
  });

  it('stops and cancels what was queued when the sweep is canceled in the middle, from any process', async () => {
    const other = RunStore.open(join(temp.dir, 'kernellab.db'));
    try {
      const queueing = queueSweep(store, manyPoints(1000), {
        onProgress: (sweepId, queued) => {
          if (queued > 0 && other.getSweep(sweepId)!.status === 'pending') other.setSweepStatus(sweepId, 'canceled');
        },
      });
      await expect(queueing).rejects.toThrow(/was canceled while it was being queued/);
      const [sweep] = store.listSweeps();
      expect(sweep!.status).toBe('canceled');
      expect(Object.keys(sweep!.runCounts)).toEqual(['canceled']);
      expect(store.claimNextRunnable()).toBeUndefined();
    } finally {
      other.close();
    }
  });

  it('cancels a big sweep a chunk at a time', async () => {
    const started = await queueSweep(store, manyPoints(1000));
    const scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: { start: () => ({ outcome: new Promise(() => undefined), stop: () => undefined }) },
    });
    const { value, turns } = await turnsDuring(scheduler.cancelSweep(started.sweepId));
    expect(value).toEqual({ canceled: 2000 });
    expect(turns).toBeGreaterThan(1);
    expect(store.getSweep(started.sweepId)).toMatchObject({ status: 'canceled', runCounts: { canceled: 2000 } });
  });

  it('tells a big cancel’s progress a few times a second, not once per chunk (each counts the sweep’s runs)', async () => {
    const started = await queueSweep(store, manyPoints(2500));
    const events = new EventBus();
    const told: number[] = [];
    events.subscribe((event) => {
      if (event.name === 'sweep.progress') told.push(event.payload.canceled);
    });
    const scheduler = new Scheduler({
      store,
      events,
      executor: { start: () => ({ outcome: new Promise(() => undefined), stop: () => undefined }) },
    });
    const began = performance.now();
    expect(await scheduler.cancelSweep(started.sweepId)).toEqual({ canceled: 5000 });
    const elapsed = performance.now() - began;
    // 10 chunks of 500: at most one event per 250 ms while canceling, and the final count.
    expect(told.length).toBeLessThanOrEqual(Math.floor(elapsed / 250) + 1);
    expect(told.at(-1)).toBe(5000);
  });

  it('previews a sweep without holding every point: counts all, lists the first 5,000', async () => {
    const { value: preview, turns } = await turnsDuring(previewSweep(manyPoints(20_000, { fold: false }), undefined, 2));
    expect(preview).toMatchObject({ planned: 40_000, trained: 40_000, derived: 0, impossible: 0, truncated: true });
    expect(preview.points).toHaveLength(5000);
    expect(preview.estimate.seconds).toBeGreaterThan(0);
    expect(turns).toBeGreaterThan(1);
  });
});

describe('a sweep run as the store takes it', () => {
  /** Every run each kind of sweep hands the store, next to what NewRun.parse makes of the same run. */
  async function runsHandedOver(spec: Parameters<typeof parseSweepSpec>[0]) {
    const handed: { given: NewRunParsed; parsed: NewRunParsed }[] = [];
    const add = store.addSweepRuns.bind(store);
    store.addSweepRuns = (sweepId, runs, mark) => {
      for (const run of runs) handed.push({ given: run, parsed: NewRun.parse({ ...run, sweepId }) });
      return add(sweepId, runs, mark);
    };
    await queueSweep(store, parseSweepSpec(spec));
    return handed;
  }

  it('equals its schema parse for grid (folded epochs), repeats, random search, subsets and TPE', async () => {
    const specs = [
      tinySweep(),
      tinySweep({ axes: { learningRate: { min: 0.0001, max: 0.01, steps: 7 }, kernelSize: [3, 29] }, repeats: 3, priority: 5 }),
      tinySweep({
        method: 'random',
        trials: 6,
        samplerSeed: 2,
        axes: { batchSize: [16, 32], learningRate: { min: 1e-4, max: 1, scale: 'log' } },
      }),
      tinySweep({ name: `  ${'long name '.repeat(19)}`, axes: { dataset: ['mnist', 'fashion-mnist'] } }),
      tinySweep({ method: 'tpe', trials: 4, samplerSeed: 4, axes: { learningRate: { min: 1e-4, max: 1, scale: 'log' } } }),
    ];
    let runs = 0;
    for (const spec of specs) {
      // What the store receives is what the schema makes of it (nothing out of bounds got through)...
      for (const { given, parsed } of await runsHandedOver(spec)) {
        expect({ ...given, sweepId: parsed.sweepId }).toEqual(parsed);
        runs++;
      }
      // ...and each point's run before its defaults are filled comes out as its parse would.
      const parsedSpec = parseSweepSpec(spec);
      for (const point of expandSweep(parsedSpec).points.filter((p) => p.role === 'train')) {
        const run = pointRun(parsedSpec, sweepLabel(parsedSpec), point, [], { sweepId: 1, experimentId: null });
        expect(parsedRun(run)).toEqual(NewRun.parse(run));
      }
    }
    expect(runs).toBeGreaterThan(30);
  });

  it('goes through the schema when a field is out of bounds, and the error names the field', () => {
    const run = { name: '   ', modelSpec: {}, dataset: 'mnist', backend: 'auto', seed: 1, hyperparameters: {} };
    expect(() => parsedRun(run)).toThrow(/name/);
    expect(() => parsedRun({ ...run, name: 'a', seed: 1.5 })).toThrow(/seed/);
    expect(parsedRun({ ...run, name: ' a ' })).toEqual(NewRun.parse({ ...run, name: ' a ' }));
  });
});

describe('sweep sizes property: whatever the axes multiply to', () => {
  // A kernel of 29 does not fit the 28-pixel input ('valid'): those points are impossible.
  const sizes = fc.record({
    steps: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.constant(100_000)),
    kernels: fc.subarray([3, 5, 29], { minLength: 1 }),
    epochs: fc.subarray([1, 2, 3], { minLength: 1 }),
    repeats: fc.integer({ min: 1, max: 3 }),
    yes: fc.boolean(),
  });

  it('refuses past the hard limit, asks above 10,000 runs, and otherwise counts every point exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(sizes, async ({ steps, kernels, epochs, repeats, yes }) => {
        const total = steps * kernels.length * epochs.length * repeats;
        const spec = parseSweepSpec(
          tinySweep({ axes: { learningRate: { min: 0.0001, max: 0.01, steps }, kernelSize: kernels, epochs }, repeats, yes }),
        );
        const preview = () => previewSweep(spec, undefined, 2);
        if (total > 1_000_000) {
          await expect(preview()).rejects.toThrow(`axes: the sweep expands to ${total.toLocaleString('en')} runs; the limit is 1,000,000`);
          return;
        }
        if (total > 10_000 && !yes) {
          await expect(preview()).rejects.toThrow('confirm with yes: true');
          return;
        }
        if (total > 20_000) {
          // Allowed with yes: counted without expanding a point (previewing it is the bench's job).
          expect(pointStream(spec).total).toBe(total);
          return;
        }
        const shown = await preview();
        const impossible = kernels.includes(29) ? total / kernels.length : 0;
        expect(shown.impossible).toBe(impossible);
        expect(shown.trained + shown.derived).toBe(total - impossible);
        expect(shown.planned).toBe(total - impossible);
        expect(shown.points).toHaveLength(Math.min(total, 5000));
        expect(shown.truncated).toBe(total > 5000);
        if (total - impossible > 0 && total <= 300) {
          const started = await queueSweep(store, spec);
          expect(started.queued).toBe(shown.trained);
          expect(store.sweepStats(started.sweepId)).toMatchObject({ counts: { queued: shown.trained }, open: shown.trained });
        }
      }),
      { numRuns: 30 },
    );
  }, 300_000);
});
