import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { sweepsMethods } from '../contract/sweeps.ts';
import { RunStore } from '../db/RunStore.ts';
import { EventBus } from '../events.ts';
import { queueSweep } from './queueing.ts';
import type { Executor, RunJob } from './execution.ts';
import { Scheduler } from './scheduler.ts';
import { threadsPerRun } from './workerBudget.ts';
import { tinySweep } from './sweepFixture.ts';
import { parseSweepSpec } from './sweepSpec.ts';

describe('threads per run', () => {
  it('gives a run alone every core and divides the cores among a sweep’s workers, at least one each', () => {
    expect(threadsPerRun(16, 4, true)).toBe(16);
    expect(threadsPerRun(16, 4, false)).toBe(4);
    expect(threadsPerRun(16, 3, false)).toBe(5);
    expect(threadsPerRun(2, 4, false)).toBe(1);
    expect(threadsPerRun(2, 1, false)).toBe(2);
  });

  let temp: { dir: string; cleanup: () => void };
  let store: RunStore;
  let scheduler: Scheduler | undefined;
  let other: Scheduler | undefined;
  beforeEach(() => {
    temp = makeTempDir('kernellab-threads-');
    store = RunStore.open(join(temp.dir, 'kernellab.db'));
  });
  afterEach(async () => {
    await scheduler?.close();
    await other?.close();
    scheduler = undefined;
    other = undefined;
    store.close();
    temp.cleanup();
  });

  /** Records each job and completes its run at once, as a worker that trained instantly would. */
  const recording = (jobs: RunJob[]): Executor => ({
    start: (job) => {
      jobs.push(job);
      return { outcome: Promise.resolve({ kind: 'completed' }), stop: () => undefined };
    },
  });

  it('hands the threads to each job: all cores for a lone run, a share for runs of a sweep', async () => {
    const jobs: RunJob[] = [];
    scheduler = new Scheduler({
      store,
      events: new EventBus(),
      executor: recording(jobs),
      concurrency: { wasm: 2 },
      pollMs: 50,
      maxWorkers: 8,
    });
    await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3] } })));
    scheduler.start();
    await scheduler.whenIdle();
    expect(jobs.map((j) => j.threads)).toEqual([availableParallelism()]);

    await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5, 7] } })));
    scheduler.pump();
    await scheduler.whenIdle();
    // The first two start while another waits: a share each, whatever finishes when.
    const share = threadsPerRun(availableParallelism(), 2, false);
    expect(jobs.slice(1, 3).map((j) => j.threads)).toEqual([share, share]);
    expect(jobs).toHaveLength(4);
  });

  it('gives each run the threads the user set: the machine’s setting, this process’s over it, automatic again with null', async () => {
    const jobs: RunJob[] = [];
    const make = () => new Scheduler({ store, events: new EventBus(), executor: recording(jobs), pollMs: 50, maxWorkers: 8 });
    scheduler = make();
    // Another process on the same data folder (the app beside `kernellab train`).
    other = make();
    scheduler.start();
    const trainOne = async () => {
      await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3] } })));
      scheduler!.pump();
      await scheduler!.whenIdle();
      return jobs.at(-1)!.threads;
    };
    expect(scheduler.concurrency()).toMatchObject({ threadsSetting: null, threadsThisProcess: null });
    expect(scheduler.concurrency().threads.alone).toBe(availableParallelism());

    scheduler.setBudget({ threads: 3 });
    expect(await trainOne()).toBe(3);
    expect(other.concurrency()).toMatchObject({ threadsSetting: 3, threads: { alone: 3, shared: 3 } });

    other.setBudget({ threads: 1 }, 'wasm', 'process');
    expect(other.concurrency()).toMatchObject({ threadsSetting: 3, threadsThisProcess: 1, threads: { alone: 1, shared: 1 } });
    expect(await trainOne()).toBe(3);

    scheduler.setBudget({ threads: null });
    expect(await trainOne()).toBe(availableParallelism());
    expect(other.concurrency().threadsSetting).toBeNull();
  });

  it('refuses more threads than the CPUs, in words, and changes nothing else with them', () => {
    scheduler = new Scheduler({ store, events: new EventBus(), executor: recording([]), pollMs: 50, maxWorkers: 4 });
    const before = scheduler.budget().wasm;
    expect(() => scheduler!.setBudget({ workers: 1, threads: 5 })).toThrow(
      'threads: 5 is more threads per run than this machine has CPUs (4)',
    );
    expect(scheduler.budget().wasm).toBe(before);
    expect(scheduler.concurrency().threadsSetting).toBeNull();
    const input = sweepsMethods['sweeps.setConcurrency'].input;
    expect(input.safeParse({}).error?.issues[0]).toMatchObject({ path: ['workers'], message: 'give workers, threads or both' });
    expect(input.safeParse({ threads: 0 }).success).toBe(false);
    expect(input.safeParse({ threads: null }).success).toBe(true);
  });
});
