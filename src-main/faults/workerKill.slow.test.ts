/**
 * Fault suite: SIGKILL the training worker at random points of 20 runs. Every run must end
 * `failed` with every metric point it reported before dying, and the scheduler must go on to
 * run the next one.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelLabEvent } from '../core/contract/index.ts';
import { SeededRandom } from '../core/random.ts';
import { createService, type Service } from '../core/service.ts';
import { dataDirWithMnist, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { forkWorker, type WorkerHandle } from '../core/workerHost.ts';

const base = tinySweep({}).base;
const runInput = {
  run: { ...base, subset: { train: 600, test: 100 }, hyperparameters: { ...base.hyperparameters, epochs: 6 } },
};

describe('fault suite: killed training workers', () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  const launched: WorkerHandle[] = [];
  const events: KernelLabEvent[] = [];

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-fault-');
    service = createService({
      dataDir: home.dir,
      shell: 'server',
      // The real fork, remembered so the test can kill exactly the worker of the current run.
      launchWorker: (entry, args, env) => {
        const handle = forkWorker(entry, args, env);
        launched.push(handle);
        return handle;
      },
    });
    service.events.subscribe((event) => events.push(event));
  });
  afterAll(async () => {
    await service.close();
    home.cleanup();
  });

  function statusOf(runId: number): string | undefined {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i]!;
      if (e.name === 'run.updated' && (e.payload as { runId: number }).runId === runId) return (e.payload as { status: string }).status;
    }
    return undefined;
  }
  const pointsSeen = (runId: number) =>
    events
      .filter((e) => e.name === 'metrics.appended' && (e.payload as { runId: number }).runId === runId)
      .reduce((n, e) => n + (e.payload as { points: unknown[] }).points.length, 0);

  async function until<T>(what: string, fn: () => T | undefined, timeoutMs = 60_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const value = fn();
      if (value !== undefined) return value;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('ends each of 20 killed runs failed with the metrics it reported, and keeps scheduling', async () => {
    const random = new SeededRandom(2024);
    const killedAfterPoints: number[] = [];
    for (let i = 0; i < 20; i++) {
      const workersBefore = launched.length;
      const { runId } = await service.call('runs.start', { ...runInput, name: `fault ${i}` });
      const worker = await until(`worker of run ${runId}`, () => launched[workersBefore]);
      // Kill points: right after spawn, or after some metric messages, plus a random delay.
      const afterMessages = random.int(4);
      await until(`run ${runId} to report ${afterMessages} batches of metrics`, () => {
        const seen = events.filter((e) => e.name === 'metrics.appended' && (e.payload as { runId: number }).runId === runId).length;
        return seen >= afterMessages ? true : undefined;
      });
      await new Promise((r) => setTimeout(r, random.int(250)));
      worker.kill('SIGKILL');
      const status = await until(`run ${runId} to end`, () => {
        const s = statusOf(runId);
        return s && !['queued', 'running'].includes(s) ? s : undefined;
      });
      expect(status, `run ${runId}`).toBe('failed');

      const db = new Database(join(home.dir, 'kernellab.db'), { readonly: true });
      try {
        const stored = db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id = ?').get(runId) as { n: number };
        const run = db.prepare('SELECT status, error FROM runs WHERE id = ?').get(runId) as { status: string; error: string };
        // Every point the worker reported before it died was written, and nothing else.
        expect(stored.n, `run ${runId} metric points`).toBe(pointsSeen(runId));
        expect(run.status).toBe('failed');
        expect(run.error).toMatch(/SIGKILL|exited/);
      } finally {
        db.close();
      }
      killedAfterPoints.push(pointsSeen(runId));
    }
    // The kill points were spread: some runs died before reporting anything, some after.
    expect(killedAfterPoints.some((n) => n === 0)).toBe(true);
    expect(killedAfterPoints.some((n) => n > 0)).toBe(true);

    // The scheduler is still working: the next run completes.
    const { runId } = await service.call('runs.start', {
      run: { ...runInput.run, hyperparameters: { ...runInput.run.hyperparameters, epochs: 1 } },
    });
    const status = await until(
      `run ${runId} to complete`,
      () => {
        const s = statusOf(runId);
        return s && !['queued', 'running'].includes(s) ? s : undefined;
      },
      120_000,
    );
    expect(status).toBe('completed');
  }, 600_000);
});
