/**
 * `kernellab call` from a shell, as real CLI processes: it answers one request and exits, so what it
 * queues is left queued (never claimed and interrupted by its own exit) for a process that stays,
 * and it says so.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkMnist } from '../test/mnistHome.ts';
import { cliPath, killServedChildren, peek, serveKernellab, until } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';

let temp: { dir: string; cleanup: () => void };
let home: string;
beforeAll(async () => {
  temp = makeTempDir('kernellab-call-');
  home = join(temp.dir, 'home');
  // runs.start and sweeps.start refuse a dataset that is not on the machine.
  await linkMnist(home);
});
afterAll(() => {
  killServedChildren();
  temp.cleanup();
});

function kernellab(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, '--home', home, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const runsOnDisk = () =>
  peek<{ id: number; status: string; attempt: number }>(join(home, 'kernellab.db'), 'SELECT id, status, attempt FROM runs ORDER BY id');
const base = { preset: 'lenet5-relu', dataset: 'mnist' };

describe('kernellab call', () => {
  it('queues a sweep and a run without training them, says who will, and a server then takes them', { timeout: 180_000 }, async () => {
    const sweep = kernellab('call', 'sweeps.start', JSON.stringify({ spec: { base, axes: { kernelSize: [3, 5] } } }));
    expect(sweep.code, sweep.err).toBe(0);
    expect(JSON.parse(sweep.out)).toMatchObject({ queued: 2 });
    expect(sweep.err).toContain('`kernellab call` does not train');

    const run = kernellab('call', 'runs.start', JSON.stringify({ run: base }));
    expect(run.code, run.err).toBe(0);
    expect(run.err).toContain('the app or `kernellab serve` on this data folder trains it');

    // Left queued, never claimed: not 'interrupted' by the exit of the process that queued them.
    expect(runsOnDisk()).toEqual([1, 2, 3].map((id) => ({ id, status: 'queued', attempt: 0 })));

    // A request that queues nothing says nothing about training.
    const list = kernellab('call', 'runs.list', '{}');
    expect(list.code, list.err).toBe(0);
    expect(list.err).toBe('');

    const served = await serveKernellab(home);
    try {
      await served.call('sweeps.setConcurrency', { workers: 1 });
      await until('the server to claim a queued run', () => (runsOnDisk().some((r) => r.attempt > 0) ? true : undefined), 60_000);
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
    }
  });
});
