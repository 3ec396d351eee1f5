/**
 * Fault suite: SIGKILL the serving process mid-sweep five times, restarting it each time. The
 * database must pass integrity_check after every kill, no queued run may be lost or run twice,
 * and the interrupted runs, resumed from checkpoints, must end with exactly the metrics of the
 * same sweep run without interruption.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../core/random.ts';
import { createService } from '../core/service.ts';
import { dataDirWithMnist, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { killServedChildren, peek, serveKernellab, until } from '../test/servedKernellab.ts';

interface RunRow {
  id: number;
  status: string;
  error: string | null;
  kernel: string;
  epochs: string;
  derived: number | null;
}
interface FinalMetric {
  kernel: string;
  epochs: string;
  accuracy: number;
  loss: number;
}

const runRows = `SELECT r.id, r.status, r.error, r.derived_from_run_id AS derived,
    (SELECT value FROM params p WHERE p.run_id = r.id AND p.key = 'kernelSize') AS kernel,
    (SELECT value FROM params p WHERE p.run_id = r.id AND p.key = 'epochs') AS epochs
  FROM runs r ORDER BY r.id`;
const finalMetrics = `SELECT
    (SELECT value FROM params p WHERE p.run_id = e.run_id AND p.key = 'kernelSize') AS kernel,
    (SELECT value FROM params p WHERE p.run_id = e.run_id AND p.key = 'epochs') AS epochs,
    e.accuracy, e.loss
  FROM evaluations e WHERE e.split = 'test' ORDER BY kernel, epochs`;
const epochsDone = "SELECT count(*) AS n FROM metrics WHERE key = 'loss'";

const spec = tinySweep({ axes: { kernelSize: [3, 5, 7], epochs: [2, 4] } });
spec.base.subset = { train: 600, test: 100 };

afterAll(killServedChildren);

describe('fault suite: the serving process killed mid-sweep, five times', () => {
  it('loses nothing, runs nothing twice, and resumes to the uninterrupted metrics', async () => {
    const home = await dataDirWithMnist('kernellab-servekill-');
    const reference = await dataDirWithMnist('kernellab-servekill-ref-');
    try {
      const dbPath = join(home.dir, 'kernellab.db');
      const random = new SeededRandom(5);
      let sweepId: number | undefined;
      for (let kill = 0; kill < 5; kill++) {
        const served = await serveKernellab(home.dir);
        if (sweepId === undefined) sweepId = (await served.call<{ sweepId: number }>('sweeps.start', { spec })).sweepId;
        else await served.call('sweeps.resume', {});
        // Let it make progress (at least one more epoch recorded), then kill it at a random moment.
        const before = peek<{ n: number }>(dbPath, epochsDone)[0]!.n;
        const progressed = await until(`progress after restart ${kill}`, async () => {
          const now = peek<{ n: number }>(dbPath, epochsDone)[0]!.n;
          if (now > before) return true;
          const p = await served.call<{ status: string }>('sweeps.progress', { id: sweepId });
          return p.status === 'completed' ? false : undefined;
        });
        if (!progressed) break; // finished before this kill: nothing left to interrupt
        await new Promise((r) => setTimeout(r, random.int(400)));
        served.child.kill('SIGKILL');
        await served.exited;
        const db = new Database(dbPath, { readonly: true });
        expect(db.pragma('integrity_check', { simple: true }), `after kill ${kill + 1}`).toBe('ok');
        db.close();
      }

      const last = await serveKernellab(home.dir);
      await last.call('sweeps.resume', {});
      await until('the sweep to finish', async () => {
        const p = await last.call<{ status: string }>('sweeps.progress', { id: sweepId });
        return p.status === 'completed' || p.status === 'failed' ? p : undefined;
      });
      last.child.kill('SIGTERM');
      await last.exited;

      // Exactly one completed run per point: nothing lost, nothing run twice.
      const rows = peek<RunRow>(dbPath, runRows);
      expect(rows.filter((r) => r.status !== 'completed')).toEqual([]);
      const points = rows.map((r) => `${r.kernel}×${r.epochs}`).sort();
      expect(points).toEqual(['3×2', '3×4', '5×2', '5×4', '7×2', '7×4']);

      // The same sweep without interruption, in-process, gives the very same final metrics.
      const service = createService({ dataDir: reference.dir, shell: 'server' });
      try {
        const { sweepId: refId } = await service.call('sweeps.start', { spec });
        await until('the reference sweep', async () => {
          const p = await service.call('sweeps.progress', { id: refId });
          return p.status === 'completed' || p.status === 'failed' ? p : undefined;
        });
      } finally {
        await service.close();
      }
      const expected = peek<FinalMetric>(join(reference.dir, 'kernellab.db'), finalMetrics);
      const actual = peek<FinalMetric>(dbPath, finalMetrics);
      expect(expected).toHaveLength(6);
      expect(actual).toEqual(expected);
    } finally {
      home.cleanup();
      reference.cleanup();
    }
  }, 600_000);
});
