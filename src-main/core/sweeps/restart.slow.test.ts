import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { cliPath as cli, killServedChildren, peek, serveKernellab, servedChildren as children, until } from '../../test/servedKernellab.ts';
import { dataDirWithMnist, tinySweep } from './sweepFixture.ts';

let home: { dir: string; cleanup: () => void } | undefined;

afterAll(() => {
  killServedChildren();
  home?.cleanup();
});

interface Row {
  id: number;
  status: string;
  derived_from_run_id: number | null;
  derived_epochs: number | null;
  environment: string;
  checkpoints: number;
}

const rows = (dbPath: string): Row[] =>
  peek<Row>(
    dbPath,
    `SELECT r.id, r.status, r.derived_from_run_id, r.derived_epochs, r.environment,
            (SELECT count(*) FROM checkpoints c WHERE c.run_id = r.id) AS checkpoints
     FROM runs r ORDER BY r.id`,
  );

describe('a sweep survives SIGKILL of the process that schedules it', () => {
  it('queued runs stay queued, interrupted runs resume from checkpoints, nothing lost or run twice', async () => {
    home = await dataDirWithMnist('kernellab-restart-');
    const dbPath = join(home.dir, 'kernellab.db');
    const first = await serveKernellab(home.dir);
    await first.call('sweeps.setConcurrency', { workers: 2 });
    // Three kernel sizes × epochs (2, 4): three trained runs of 4 epochs, three derived.
    const spec = tinySweep({ axes: { kernelSize: [3, 5, 7], epochs: [2, 4] } });
    spec.base.subset = { train: 600, test: 100 };
    const started = await first.call<{ sweepId: number; queued: number; planned: number }>('sweeps.start', { spec });
    expect(started).toMatchObject({ queued: 3, planned: 6 });

    // Kill while one run is mid-training (past its first checkpoint) and another still waits.
    await until('a running run with a checkpoint and a queued one', () => {
      const all = rows(dbPath);
      const running = all.find((r) => r.status === 'running' && r.checkpoints > 0 && r.derived_from_run_id === null);
      return running && all.some((r) => r.status === 'queued') ? running : undefined;
    });
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = rows(dbPath);
    const wasRunning = atKill.filter((r) => r.status === 'running').map((r) => r.id);
    const wasQueued = atKill.filter((r) => r.status === 'queued').map((r) => r.id);
    expect(wasRunning.length).toBeGreaterThan(0);
    expect(wasQueued.length).toBeGreaterThan(0);

    const second = await serveKernellab(home.dir);
    // On open the dead process's runs became interrupted; queued ones are still queued.
    const afterRestart = rows(dbPath);
    for (const id of wasRunning) expect(afterRestart.find((r) => r.id === id)!.status).toMatch(/interrupted|completed/);
    const resumed = await second.call<{ sweepIds: number[]; requeued: number }>('sweeps.resume', {});
    expect(resumed.sweepIds).toEqual([started.sweepId]);
    await until('the sweep to finish', async () => {
      const p = await second.call<{ status: string }>('sweeps.progress', { id: started.sweepId });
      return p.status === 'completed' || p.status === 'failed' ? p : undefined;
    });

    const final = rows(dbPath);
    expect(final).toHaveLength(6);
    expect(final.every((r) => r.status === 'completed')).toBe(true);
    const trained = final.filter((r) => r.derived_from_run_id === null);
    const derived = final.filter((r) => r.derived_from_run_id !== null);
    expect(trained).toHaveLength(3);
    expect(derived.map((r) => r.derived_epochs)).toEqual([2, 2, 2]);
    expect(new Set(derived.map((r) => r.derived_from_run_id))).toEqual(new Set(trained.map((r) => r.id)));
    // The interrupted run continued from its checkpoint rather than starting over.
    for (const id of wasRunning) {
      const env = JSON.parse(final.find((r) => r.id === id)!.environment) as { resumeFromCheckpoint?: boolean };
      expect(env.resumeFromCheckpoint).toBe(true);
    }
    const db = new Database(dbPath, { readonly: true });
    const losses = db.prepare("SELECT run_id, count(*) AS n FROM metrics WHERE key = 'loss' GROUP BY run_id").all() as {
      run_id: number;
      n: number;
    }[];
    db.close();
    for (const r of trained) expect(losses.find((l) => l.run_id === r.id)?.n).toBe(4);
    second.child.kill('SIGTERM');
    await second.exited;
  }, 300_000);

  it('`kernellab sweep` killed mid-sweep is finished by `kernellab sweep resume` (exit 0)', async () => {
    const other = await dataDirWithMnist('kernellab-restart-cli-');
    try {
      const dbPath = join(other.dir, 'kernellab.db');
      const spec = tinySweep({ axes: { kernelSize: [3, 5, 7], epochs: [2, 4] } });
      spec.base.subset = { train: 600, test: 100 };
      const specFile = join(other.dir, 'sweep.json');
      writeFileSync(specFile, JSON.stringify(spec));
      const child = spawn(process.execPath, [cli, '--home', other.dir, 'sweep', specFile, '--workers', '1'], { stdio: 'ignore' });
      children.push(child);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await until('a completed run and a running one with a checkpoint', () => {
        let all: Row[];
        try {
          all = rows(dbPath);
        } catch {
          return undefined; // not created or not migrated yet
        }
        return all.some((r) => r.status === 'completed') && all.some((r) => r.status === 'running' && r.checkpoints > 0) ? true : undefined;
      });
      child.kill('SIGKILL');
      await exited;
      expect(rows(dbPath).some((r) => r.status === 'queued')).toBe(true);

      const resume = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        const r = spawn(process.execPath, [cli, '--home', other.dir, 'sweep', 'resume', '--workers', '2'], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        children.push(r);
        let stdout = '';
        r.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        r.once('exit', (code) => resolve({ code, stdout }));
      });
      expect(resume.stdout).toMatch(/completed, 6 of 6 completed/);
      expect(resume.code).toBe(0);
      const final = rows(dbPath);
      expect(final).toHaveLength(6);
      expect(final.every((r) => r.status === 'completed')).toBe(true);
    } finally {
      other.cleanup();
    }
  }, 300_000);
});
