/**
 * Fault suite: the disk fills while a checkpoint is being written. The run's folder sits on a
 * small tmpfs (mounting needs root, which CI has); the database stays on the real disk. The run
 * must stop with an error that says the disk is full, resumable (interrupted, not failed: issue 12,
 * a full or read-only disk is not the run's fault), the database must stay consistent (every
 * checkpoint row points at complete files), and once there is space again the run resumes from
 * its last checkpoint and completes.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KernelLabEvent } from '../core/contract/index.ts';
import { createService, type Service } from '../core/service.ts';
import { dataDirWithMnist, tinySweep } from '../core/sweeps/sweepFixture.ts';

function tryMount(dir: string, size: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
  }
}

describe('fault suite: a disk that fills during a checkpoint write', () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service | undefined;
  let runsDir: string;
  let mountError: string | undefined;

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-diskfull-');
    runsDir = join(home.dir, 'runs');
    mkdirSync(runsDir, { recursive: true });
    // ~150 k parameters: weights plus Adam's two slots make a checkpoint of about 1.8 MB.
    mountError = tryMount(runsDir, '1m');
    if (mountError) console.log(`disk-full fault test SKIPPED: cannot mount a small tmpfs here (${mountError}); it needs root`);
  });
  afterAll(async () => {
    await service?.close();
    if (!mountError) execFileSync('umount', [runsDir]);
    home.cleanup();
  });

  it('stops the run resumably with a clear error, leaves a consistent database, and completes once there is space', async (context) => {
    if (mountError) context.skip();
    service = createService({ dataDir: home.dir, shell: 'server' });
    const events: KernelLabEvent[] = [];
    service.events.subscribe((e) => events.push(e));
    const base = tinySweep({}).base;
    const tiny = base.model as { layers: unknown[] };
    const model = { ...tiny, layers: [...tiny.layers.slice(0, 3), { type: 'dense' as const, units: 1024 }] };
    const { runId } = await service.call('runs.start', {
      run: { ...base, model, hyperparameters: { ...base.hyperparameters, epochs: 2 } },
    });

    const end = Date.now() + 120_000;
    let status: string | undefined;
    while (Date.now() < end) {
      const last = events.filter((e) => e.name === 'run.updated' && (e.payload as { runId: number }).runId === runId).pop();
      status = (last?.payload as { status: string } | undefined)?.status;
      if (status && !['queued', 'running'].includes(status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('interrupted');

    const db = new Database(join(home.dir, 'kernellab.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const run = db.prepare('SELECT error FROM runs WHERE id = ?').get(runId) as { error: string };
      expect(run.error).toMatch(/ENOSPC|no space|disk is full/i);
      expect(run.error).toMatch(/checkpoint/i);
      expect(run.error).toMatch(/resume the run/);
      // Whatever checkpoint rows exist point at complete files with the recorded size and hash.
      const rows = db.prepare('SELECT path, bytes, sha256 FROM checkpoints WHERE run_id = ?').all(runId) as {
        path: string;
        bytes: number;
        sha256: string;
      }[];
      for (const row of rows) {
        const file = row.path.startsWith('/') ? row.path : join(home.dir, row.path);
        expect(existsSync(file), file).toBe(true);
        if (statSync(file).isFile()) {
          expect(statSync(file).size).toBe(row.bytes);
          expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(row.sha256);
        }
      }
    } finally {
      db.close();
    }
    // And no half-written checkpoint folder is left filling the disk.
    const leftovers = readdirSync(runsDir, { recursive: true })
      .map(String)
      .filter((p) => /\.tmp-|\.old-/.test(p));
    expect(leftovers).toEqual([]);

    // Space freed: the run resumes from its last checkpoint and completes.
    execFileSync('mount', ['-o', 'remount,size=64m', runsDir]);
    expect(await service.call('runs.resume', { id: runId })).toEqual({ requeued: true });
    const finished = await new Promise<string>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('the resumed run did not finish')), 120_000);
      const check = setInterval(() => {
        void service!.call('runs.get', { id: runId }).then((r) => {
          if (!['queued', 'running'].includes(r.status)) {
            clearInterval(check);
            clearTimeout(deadline);
            resolve(r.status);
          }
        });
      }, 100);
    });
    expect(finished).toBe('completed');
  }, 180_000);
});

describe('fault suite: a runs folder that turns read-only mid-run', () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service | undefined;
  let runsDir: string;
  let mountError: string | undefined;
  let mounted = false;

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-readonly-run-');
    runsDir = join(home.dir, 'runs');
    mkdirSync(runsDir, { recursive: true });
    // A bind mount of the folder onto itself, remounted read-only below: EROFS even for root.
    try {
      execFileSync('mount', ['--bind', runsDir, runsDir], { stdio: 'pipe' });
      mounted = true;
    } catch (error) {
      mountError = (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message;
      console.log(`read-only runs folder fault test SKIPPED: cannot bind-mount here (${mountError}); it needs root`);
    }
  });
  afterAll(async () => {
    await service?.close();
    if (mounted) execFileSync('umount', [runsDir]);
    home.cleanup();
  });

  it('stops the run resumably, naming the folder, and it completes once the folder is writable again', async (context) => {
    if (mountError) context.skip();
    service = createService({ dataDir: home.dir, shell: 'server' });
    const base = tinySweep({}).base;
    let firstProgress!: () => void;
    const progressing = new Promise<void>((resolve) => (firstProgress = resolve));
    service.events.subscribe((e) => {
      if (e.name === 'run.progress') firstProgress();
    });
    const { runId } = await service.call('runs.start', {
      run: { ...base, subset: { train: 3000, test: 100 }, hyperparameters: { ...base.hyperparameters, epochs: 3 } },
    });
    await progressing;
    execFileSync('mount', ['-o', 'remount,bind,ro', runsDir]);
    const stopped = await waitForEnd(service, runId);
    expect(stopped.status).toBe('interrupted');
    expect(stopped.error).toMatch(
      /Could not write the checkpoint .*: the data folder is not writable \(EROFS\)\. Make it writable, then resume the run\./,
    );

    execFileSync('mount', ['-o', 'remount,bind,rw', runsDir]);
    expect(await service.call('runs.resume', { id: runId })).toEqual({ requeued: true });
    expect((await waitForEnd(service, runId)).status).toBe('completed');
  }, 180_000);
});

async function waitForEnd(service: Service, runId: number): Promise<{ status: string; error: string | null }> {
  const end = Date.now() + 120_000;
  while (Date.now() < end) {
    const run = await service.call('runs.get', { id: runId });
    if (!['queued', 'running'].includes(run.status)) return run;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`run ${runId} did not end`);
}
