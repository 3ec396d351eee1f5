import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { RunStore } from '../db/RunStore.ts';
import { EventBus } from '../events.ts';
import { queueSweep } from './queueing.ts';
import type { Executor, RunJob } from './execution.ts';
import { Scheduler, threadsPerRun } from './scheduler.ts';
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
  beforeEach(() => {
    temp = makeTempDir('kernellab-threads-');
    store = RunStore.open(join(temp.dir, 'kernellab.db'));
  });
  afterEach(async () => {
    await scheduler?.close();
    scheduler = undefined;
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
});
