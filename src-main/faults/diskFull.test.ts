/**
 * Fault suite: the disk fills while a checkpoint is being written. The run's folder sits on a
 * small tmpfs (mounting needs root, which CI has); the database stays on the real disk. The run
 * must end failed with an error that says the disk is full, and the database must stay
 * consistent: every checkpoint row points at complete files.
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

  it('fails the run with a clear error and leaves a consistent database', async (context) => {
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
    expect(status).toBe('failed');

    const db = new Database(join(home.dir, 'kernellab.db'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const run = db.prepare('SELECT error FROM runs WHERE id = ?').get(runId) as { error: string };
      expect(run.error).toMatch(/ENOSPC|no space|disk is full/i);
      expect(run.error).toMatch(/checkpoint/i);
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
  }, 180_000);
});
