/**
 * A sweep being queued in the background survives SIGKILL of `kernellab serve` (issue 12): the
 * next serve on the same data folder queues the rest, each planned run exactly once.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDataDir } from '../home.ts';
import { killServedChildren, peek, serveKernellab, until } from '../../test/servedKernellab.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { tinySweep } from './sweepFixture.ts';

let temp: { dir: string; cleanup: () => void } | undefined;

afterAll(() => {
  killServedChildren();
  temp?.cleanup();
});

const points = 30_000;
const repeats = 10;

describe('a sweep killed mid-queueing', () => {
  it('is queued to the end by the next serve: every planned run exactly once', async () => {
    temp = makeTempDir('kernellab-queueing-restart-');
    const layout = ensureDataDir(join(temp.dir, 'home'));
    const dbPath = layout.database;
    // Queued for agents, so nothing trains here; the queueing is the same as for this machine.
    const spec = tinySweep({ axes: { learningRate: { min: 0.0001, max: 0.01, steps: points / repeats } }, repeats, yes: true });
    const first = await serveKernellab(layout.root);
    const started = await first.call<{ sweepId: number; queued: number; planned: number; queueing: boolean }>('sweeps.start', {
      spec,
      runsOn: 'agents',
    });
    expect(started).toMatchObject({ planned: points, queueing: true });
    expect(started.queued).toBeLessThan(points);

    const count = () => peek<{ n: number }>(dbPath, 'SELECT count(*) AS n FROM runs WHERE sweep_id = ?', started.sweepId)[0]!.n;
    await until('more runs queued after the answer, not all', () => {
      const n = count();
      return n > started.queued && n < points ? n : undefined;
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = count();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(points);
    const [left] = peek<{ status: string; next: number }>(
      dbPath,
      "SELECT status, json_extract(spec, '$.plan.next') AS next FROM sweeps WHERE id = ?",
      started.sweepId,
    );
    // One run per point (a single epochs value): the recorded position is exactly what was queued.
    expect(left).toEqual({ status: 'pending', next: atKill });

    const second = await serveKernellab(layout.root);
    try {
      const done = await until(
        'the rest of the sweep to be queued',
        async () => {
          const p = await second.call<{ status: string; queueing: unknown; queued: number }>('sweeps.progress', { id: started.sweepId });
          return p.queueing === null ? p : undefined;
        },
        300_000,
      );
      expect(done).toMatchObject({ status: 'running', queued: points });
      const [runs] = peek<{ n: number; different: number; seeds: number }>(
        dbPath,
        `SELECT count(*) AS n, count(DISTINCT hyperparameters || '|' || seed) AS different, count(DISTINCT seed) AS seeds
         FROM runs WHERE sweep_id = ?`,
        started.sweepId,
      );
      expect(runs).toEqual({ n: points, different: points, seeds: repeats });
      const [lr] = peek<{ lo: number; hi: number; n: number }>(
        dbPath,
        `SELECT min(json_extract(hyperparameters, '$.learningRate')) AS lo, max(json_extract(hyperparameters, '$.learningRate')) AS hi,
                count(DISTINCT json_extract(hyperparameters, '$.learningRate')) AS n
         FROM runs WHERE sweep_id = ?`,
        started.sweepId,
      );
      expect(lr).toEqual({ lo: 0.0001, hi: 0.01, n: points / repeats });
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 420_000);
});
