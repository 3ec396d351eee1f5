/**
 * Fault suite for issue 12's store-side defects, with real processes sharing one data folder:
 * - 3: a process stopped (SIGSTOP) past its lease, its run resumed by another process, then the
 *   first one continued (SIGCONT): the run trains in one place only and gets one final status;
 * - 12: `kernellab train` started while a sweep fills this machine's budget trains its own run,
 *   never one of the sweep's, and never beyond the budget;
 * - 13: a read-only data folder refuses to start runs, in words; a database deleted under a
 *   running service fails its health check and refuses writes; deleting a run removes its folder.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createService } from '../core/service.ts';
import { KernelLabError } from '../core/errors.ts';
import { errorBodyText } from '../../i18n/coreText.ts';
import { dataDirWithMnist, tinyModel, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { openRaw } from '../test/rawSqlite.ts';
import { cliPath, killServedChildren, peek, servedChildren, until } from '../test/servedKernellab.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
afterAll(killServedChildren);

const base = tinySweep({}).base;

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) chownTree(join(path, name), uid, gid);
}
/**
 * Stops `child` between two of its writes. SQLite cannot take a write lock back from a stopped
 * process, so one stopped inside a write transaction locks every other writer out for as long as
 * it stays stopped; that is not the fault this suite means (a process paused between writes: a
 * laptop lid, a debugger, a loaded machine), and it failed the test at random under load. Caught
 * inside one, the process is continued a moment and stopped again.
 */
async function stopBetweenWrites(child: ChildProcess, dbPath: string): Promise<void> {
  const db = openRaw(dbPath);
  db.pragma('busy_timeout = 0');
  try {
    for (let tries = 0; tries < 100; tries++) {
      child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 20));
      try {
        db.exec('BEGIN IMMEDIATE');
        db.exec('ROLLBACK');
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      }
      child.kill('SIGCONT');
      await new Promise((r) => setTimeout(r, 10 + 7 * (tries % 6)));
    }
    throw new Error('the first process held a write each time it was stopped, 100 times');
  } finally {
    db.close();
  }
}

function startInput(epochs: number, extra: object = {}) {
  return { run: { ...base, subset: { train: 2000, test: 100 }, hyperparameters: { ...base.hyperparameters, epochs } }, ...extra };
}

describe('fault suite: leases that fence (defect 3)', () => {
  it('a process stopped past its lease neither trains nor records the run another process resumed', async () => {
    const home = await dataDirWithMnist('kernellab-lease-');
    const dbPath = join(home.dir, 'kernellab.db');
    const leaseMs = 2000;
    const epochs = 16;
    try {
      const holder = spawn(process.execPath, [fixture('leaseHolder.ts'), home.dir, String(leaseMs), JSON.stringify(startInput(epochs))], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      servedChildren.push(holder);
      let out = '';
      holder.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      holder.stderr!.on('data', (c: Buffer) => (out += c.toString()));
      const runId = await until('the first process to start its run', () => /run (\d+)/.exec(out)?.[1]);
      const lossCount = () =>
        peek<{ n: number }>(dbPath, "SELECT count(*) AS n FROM metrics WHERE run_id = ? AND key = 'loss'", Number(runId))[0]!.n;
      await until('two epochs recorded by the first process', () => (lossCount() >= 2 ? true : undefined), 120_000);

      await stopBetweenWrites(holder, dbPath);
      // Past the lease: the stopped process's worker has ended on its watchdog, and its lease expired.
      await new Promise((r) => setTimeout(r, leaseMs + 1500));
      const second = createService({ dataDir: home.dir, shell: 'server', leaseMs });
      try {
        expect(peek<{ status: string }>(dbPath, 'SELECT status FROM runs WHERE id = ?', Number(runId))[0]!.status).toBe('interrupted');
        expect(await second.call('runs.resume', { id: Number(runId) })).toEqual({ requeued: true });
        const resumedAt = lossCount();
        await until('the second process to record an epoch', () => (lossCount() > resumedAt ? true : undefined), 120_000);
        holder.kill('SIGCONT');
        await until(
          'the run to end',
          () => {
            const [run] = peek<{ status: string }>(dbPath, 'SELECT status FROM runs WHERE id = ?', Number(runId));
            return run!.status === 'running' || run!.status === 'queued' ? undefined : run;
          },
          180_000,
        );
        const detail = await second.call('runs.get', { id: Number(runId) });
        expect(detail).toMatchObject({ status: 'completed', error: null });
        const [row] = peek<{ attempt: number; worker_owner: string | null }>(
          dbPath,
          'SELECT attempt, worker_owner FROM runs WHERE id = ?',
          Number(runId),
        );
        expect(row).toEqual({ attempt: 2, worker_owner: null });
        // Each checkpoint recorded once: nothing from the stale process after it lost the run.
        const keys = detail.checkpoints.map((c) => `${c.kind}@${c.epoch}`);
        expect(keys).toEqual([...new Set(keys)]);
        const loss = detail.summary.find((m) => m.key === 'loss')!;
        expect(loss.lastStep).toBe(epochs);
        const series = await second.call('runs.metrics', { id: Number(runId), keys: ['loss'] });
        expect(series.series.loss!.map((p) => p.epoch)).toEqual(Array.from({ length: epochs }, (_, i) => i + 1));
        // The first process is alive and well, and says why it let go.
        expect(holder.exitCode).toBeNull();
        expect(out).toContain(`run ${runId} is no longer held by this process`);
      } finally {
        await second.close();
        holder.kill('SIGTERM');
        await new Promise((r) => holder.once('exit', r));
      }
    } finally {
      home.cleanup();
    }
  }, 300_000);
});

describe('fault suite: one worker budget per machine (defect 12)', () => {
  it('kernellab train trains its own run only, and waits for a free slot while a sweep fills the machine', async () => {
    const home = await dataDirWithMnist('kernellab-budget-');
    const dbPath = join(home.dir, 'kernellab.db');
    const modelFile = join(home.dir, 'tiny.json');
    writeFileSync(modelFile, JSON.stringify(tinyModel));
    const service = createService({ dataDir: home.dir, shell: 'server' });
    try {
      await service.call('sweeps.setConcurrency', { workers: 1 });
      const spec = tinySweep({ axes: { kernelSize: [3, 5] }, fold: false });
      spec.base.subset = { train: 2000, test: 100 };
      spec.base.hyperparameters = { ...spec.base.hyperparameters, epochs: 3 };
      const { sweepId, runIds } = await service.call('sweeps.start', { spec });
      await until('the sweep to start', () => (peek(dbPath, "SELECT 1 FROM runs WHERE status = 'running'").length > 0 ? true : undefined));

      let maxRunning = 0;
      const sampler = setInterval(() => {
        const [row] = peek<{ n: number }>(
          dbPath,
          "SELECT count(*) AS n FROM runs WHERE status = 'running' AND derived_from_run_id IS NULL",
        );
        maxRunning = Math.max(maxRunning, row!.n);
      }, 25);
      const train = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          [
            cliPath,
            '--home',
            home.dir,
            'train',
            '--model',
            modelFile,
            '--dataset',
            'mnist',
            '--subset',
            '300',
            '--test-subset',
            '100',
            '--learning-rate',
            '0.01',
            '--epochs',
            '1',
            '--backend',
            'wasm',
            '--json',
          ],
          { timeout: 240_000 },
          (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      clearInterval(sampler);
      expect(train.code, train.stderr).toBe(0);
      const trained = JSON.parse(train.stdout) as { id: number; status: string };
      expect(trained.status).toBe('completed');
      expect(runIds).not.toContain(trained.id);
      expect(maxRunning).toBe(1);
      await until('the sweep to finish', async () => {
        const p = await service.call('sweeps.progress', { id: sweepId });
        return p.status === 'completed' || p.status === 'failed' ? p : undefined;
      });
      // Every sweep run was trained by the serving process, none by the CLI.
      const owners = peek<{ attempt: number; status: string }>(dbPath, `SELECT attempt, status FROM runs WHERE sweep_id = ?`, sweepId);
      expect(owners.every((r) => r.status === 'completed' && r.attempt === 1)).toBe(true);
      expect((await service.call('sweeps.concurrency', {})).perBackend.wasm).toBe(1);
    } finally {
      await service.close();
      home.cleanup();
    }
  }, 300_000);
});

describe('fault suite: a data folder that cannot take writes (defect 13)', () => {
  it('refuses to start a run while the runs folder is read-only, saying why, and fails health', async (context) => {
    if (process.getuid?.() !== 0) {
      // Permissions bind only an unprivileged process; tests that run as root switch to nobody.
      console.log('read-only runs folder test SKIPPED: needs root to run the service as user nobody');
      context.skip();
    }
    const home = await dataDirWithMnist('kernellab-readonly-');
    try {
      // The service's user (nobody) owns the data folder and its database; only runs/ is not its own.
      await createService({ dataDir: home.dir, shell: 'cli' }).close();
      chmodSync(join(home.dir, '..'), 0o755);
      chownTree(home.dir, 65534, 65534);
      chownSync(join(home.dir, 'runs'), 0, 0);
      chmodSync(join(home.dir, 'runs'), 0o555);
      const result = spawnSync(process.execPath, [fixture('startAs.ts'), home.dir, JSON.stringify(startInput(1))], {
        encoding: 'utf8',
        uid: 65534,
        gid: 65534,
      });
      expect(result.status, result.stderr).toBe(0);
      const outcome = JSON.parse(result.stdout) as {
        started?: boolean;
        message?: string;
        ko?: string;
        health?: { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
      };
      expect(outcome.message).toMatch(/Cannot start training: the data folder .*runs is not writable \(EACCES\); make it writable/);
      expect(outcome.ko).toBe(
        `학습을 시작할 수 없습니다: 데이터 폴더 ${join(home.dir, 'runs')}에 쓸 수 없습니다(EACCES). 쓸 수 있게 하거나 --home으로 다른 폴더를 고르세요.`,
      );
      expect(outcome.started).toBe(false);
      expect(outcome.health?.ok).toBe(false);
      expect(outcome.health?.checks.find((c) => c.name === 'runs')).toMatchObject({ ok: false });
      expect(peek(join(home.dir, 'kernellab.db'), 'SELECT id FROM runs')).toEqual([]);
    } finally {
      chmodSync(join(home.dir, 'runs'), 0o755);
      home.cleanup();
    }
  }, 120_000);

  it('fails health and refuses writes, loudly, once the database is deleted under a running service', async () => {
    const home = await dataDirWithMnist('kernellab-deleted-db-');
    const service = createService({ dataDir: home.dir, shell: 'server' });
    try {
      expect((await service.call('app.health', {})).ok).toBe(true);
      const dbPath = join(home.dir, 'kernellab.db');
      for (const file of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) rmSync(file, { force: true });
      const health = await service.call('app.health', {});
      expect(health.ok).toBe(false);
      expect(health.checks.find((c) => c.name === 'database')!.detail).toMatch(/was deleted while KernelLab had it open/);
      const refused = await service.call('runs.start', startInput(1)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(KernelLabError);
      expect((refused as Error).message).toMatch(/Cannot start training: The database .* was deleted/);
      const ko = errorBodyText((refused as KernelLabError).toBody(), 'ko');
      expect(ko).toMatch(/^학습을 시작할 수 없습니다: /);
      expect(ko.replace(dbPath, '').replace(/KernelLab/g, '')).not.toMatch(/[A-Za-z]{3,}/);
      await expect(service.call('experiments.create', { name: 'lost' })).rejects.toThrow(
        /was deleted while KernelLab had it open.*nothing was written/,
      );
    } finally {
      await service.close();
      home.cleanup();
    }
  }, 60_000);

  it('removes the run folder with the run', async () => {
    const home = await dataDirWithMnist('kernellab-delete-run-');
    const service = createService({ dataDir: home.dir, shell: 'server' });
    try {
      const { runId } = await service.call('runs.start', startInput(1));
      const run = await until('the run to finish', async () => {
        const r = await service.call('runs.get', { id: runId });
        return ['completed', 'failed'].includes(r.status) ? r : undefined;
      });
      expect(run.status).toBe('completed');
      const folder = join(home.dir, 'runs', run.uuid);
      expect(readdirSync(join(folder, 'checkpoints'))).toContain('last');
      expect(await service.call('runs.delete', { id: runId })).toEqual({ deleted: true });
      expect(existsSync(folder)).toBe(false);
    } finally {
      await service.close();
      home.cleanup();
    }
  }, 120_000);
});
