import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test/tempDir.ts';
import { linkMnist } from '../test/mnistHome.ts';
import { openRaw } from '../test/rawSqlite.ts';
import { KernelLabError } from './errors.ts';
import { createService, type Service } from './service.ts';
import { pausedError, type Executor, type RunJob, type RunOutcome, type StopMode } from './sweeps/execution.ts';
import { tinySweep } from './sweeps/sweepFixture.ts';

/**
 * An executor that trains nothing: each execution waits until the test ends it (`finish`) or the
 * scheduler stops it, and then takes `landMs` to land its stop, as a worker finishing its batch does.
 */
function heldExecutor(landMs = 150) {
  const started: RunJob[] = [];
  const stops: StopMode[] = [];
  const finishers = new Map<number, (outcome: RunOutcome) => void>();
  const executor: Executor = {
    start(job) {
      started.push(job);
      let resolve!: (outcome: RunOutcome) => void;
      const outcome = new Promise<RunOutcome>((r) => (resolve = r));
      finishers.set(job.run.id, resolve);
      return {
        outcome,
        stop(mode) {
          stops.push(mode);
          const landed: RunOutcome = mode === 'cancel' ? { kind: 'canceled' } : { kind: 'interrupted', error: pausedError };
          setTimeout(() => resolve(landed), landMs);
        },
      };
    },
  };
  return { executor, started, stops, finish: (runId: number, outcome: RunOutcome) => finishers.get(runId)!(outcome) };
}

const base = tinySweep().base;

async function until(what: string, fn: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let temp: { dir: string; cleanup: () => void };
let services: Service[];
beforeEach(async () => {
  temp = makeTempDir('kernellab-service-');
  services = [];
  // runs.start refuses a dataset that is not on the machine.
  await linkMnist(join(temp.dir, 'home'));
});
afterEach(async () => {
  for (const service of services) await service.close();
  temp.cleanup();
});

function open(shell: 'cli' | 'server', executor: Executor, options: { trains?: boolean } = {}): Service {
  const service = createService({ dataDir: join(temp.dir, 'home'), shell, executor, ...options });
  services.push(service);
  return service;
}

const statusOnDisk = (runId: number) => {
  const db = openRaw(join(temp.dir, 'home', 'kernellab.db'));
  try {
    return db.prepare('SELECT status, error FROM runs WHERE id = ?').get(runId) as { status: string; error: string | null };
  } finally {
    db.close();
  }
};

describe('a service is built, started and stopped explicitly', () => {
  it('runs queued work from the start in the server, and close() interrupts it and waits for its worker before the database closes', async () => {
    // Queued by `kernellab call`, which answers and quits without training anything.
    const cli = open('cli', heldExecutor().executor, { trains: false });
    const { runId } = await cli.call('runs.start', { run: base });
    await cli.close();
    expect(statusOnDisk(runId).status).toBe('queued');

    const held = heldExecutor();
    const server = open('server', held.executor);
    await until('the server to claim the queued run', () => held.started.length === 1);
    expect(held.started[0]!.run.id).toBe(runId);

    let closed = false;
    const closing = server.close().then(() => (closed = true));
    await until('the run to be asked to stop', () => held.stops.length === 1);
    expect(held.stops).toEqual(['interrupt']);
    // The worker has not landed its stop yet: the service is still closing, the database open.
    expect(closed).toBe(false);
    expect(server.context.store.isOpen).toBe(true);
    await closing;
    expect(server.context.store.isOpen).toBe(false);
    expect(statusOnDisk(runId)).toEqual({ status: 'interrupted', error: pausedError });
    // Closing again is the same stop, not a second one.
    await server.close();
    expect(held.stops).toEqual(['interrupt']);
  });

  it("the CLI's scheduler claims nothing until a command queues work, and then only its own", async () => {
    // A run queued by someone else (a `kernellab call`), waiting for any process.
    const app = createService({ dataDir: join(temp.dir, 'home'), shell: 'cli', executor: heldExecutor().executor, trains: false });
    const { runId: theirs } = await app.call('runs.start', { run: base, name: 'theirs' });
    await app.close();

    const held = heldExecutor();
    const cli = open('cli', held.executor);
    cli.context.scheduler.pump();
    expect(held.started).toEqual([]);
    const { runId: mine } = await cli.call('runs.start', { run: base, runHere: true });
    await until('the CLI to claim its run', () => held.started.length === 1);
    expect(held.started.map((j) => j.run.id)).toEqual([mine]);
    expect(statusOnDisk(theirs).status).toBe('queued');
  });

  it('a CLI process trains the runs it queues or resumes itself, reserved for it or not; one that only answers trains nothing', async () => {
    const answering = heldExecutor();
    const call = open('cli', answering.executor, { trains: false });
    const { runId: queuedByCall } = await call.call('runs.start', { run: base });
    await call.close();
    expect(answering.started).toEqual([]);
    expect(statusOnDisk(queuedByCall).status).toBe('queued');

    const held = heldExecutor();
    const cli = open('cli', held.executor);
    const { runId } = await cli.call('runs.start', { run: base });
    await until('the CLI to claim the run it queued', () => held.started.length === 1);
    expect(held.started.map((j) => j.run.id)).toEqual([runId]);
    expect(await cli.call('runs.pause', { id: runId })).toEqual({ paused: true });
    await until('the pause to land', () => statusOnDisk(runId).status === 'interrupted');
    expect(await cli.call('runs.resume', { id: runId })).toEqual({ requeued: true });
    await until('the CLI to claim the run it resumed', () => held.started.length === 2);
    expect(held.started.map((j) => j.run.id)).toEqual([runId, runId]);
    // Queued by another process, and not this one's to train.
    expect(statusOnDisk(queuedByCall).status).toBe('queued');
  });

  it('runs.wait answers when the run ends, after its timeout while it runs, and at once when the service closes', async () => {
    const held = heldExecutor();
    const cli = open('cli', held.executor);
    const { runId } = await cli.call('runs.start', { run: base, runHere: true });
    await until('the run to start', () => held.started.length === 1);

    const began = Date.now();
    expect(await cli.call('runs.wait', { id: runId, timeoutSeconds: 1 })).toEqual({ id: runId, status: 'running', ended: false });
    expect(Date.now() - began).toBeGreaterThanOrEqual(900);

    const waiting = cli.call('runs.wait', { id: runId });
    held.finish(runId, { kind: 'completed' });
    expect(await waiting).toEqual({ id: runId, status: 'completed', ended: true });

    await expect(cli.call('runs.wait', { id: 10_000 })).rejects.toThrow('Run 10000 does not exist');

    const second = await cli.call('runs.start', { run: base, runHere: true });
    await until('the second run to start', () => held.started.length === 2);
    const cut = cli.call('runs.wait', { id: second.runId });
    await cli.close();
    // The wait ends with the service; the run was interrupted by the close, after the answer.
    expect(await cut).toEqual({ id: second.runId, status: 'running', ended: false });
    expect(statusOnDisk(second.runId).status).toBe('interrupted');
  });

  it('refuses a call after close() and says why', async () => {
    const cli = open('cli', heldExecutor().executor);
    await cli.close();
    const error = await cli.call('runs.list', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KernelLabError);
    expect(error).toMatchObject({ code: 'unavailable', message: 'KernelLab is shutting down; runs.list was not run' });
  });
});

describe('runs pinned to a browser GPU (webgpu, webgl)', () => {
  const onGpu = (backend: 'webgpu' | 'webgl') => ({ ...base, hyperparameters: { ...base.hyperparameters, backend } });

  it('wait in the queue saying for what, while worker processes train the others, and can be canceled', async () => {
    const held = heldExecutor();
    const server = open('server', held.executor);
    const { runId: gpu } = await server.call('runs.start', { run: onGpu('webgpu') });
    const { runId: plain } = await server.call('runs.start', { run: base });
    await until('the server to claim the wasm run', () => held.started.length === 1);
    expect(held.started.map((j) => j.run.id)).toEqual([plain]);
    held.finish(plain, { kind: 'completed' });
    await until('the wasm run to end', () => statusOnDisk(plain).status === 'completed');
    // Nothing here claims it however long it waits: the scheduler polls the queue again and again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(held.started.map((j) => j.run.id)).toEqual([plain]);
    const waiting = await server.call('runs.get', { id: gpu });
    expect(waiting).toMatchObject({ status: 'queued', backend: 'webgpu' });
    expect(waiting.params.backend).toBe('webgpu');
    await server.call('runs.cancel', { id: gpu });
    expect(statusOnDisk(gpu).status).toBe('canceled');
  });

  it('is not reserved for the CLI process that queued it (a page trains it), and a sweep may vary backend over them', async () => {
    const held = heldExecutor();
    const cli = open('cli', held.executor);
    const { runId } = await cli.call('runs.start', { run: onGpu('webgl'), runHere: true });
    const db = openRaw(join(temp.dir, 'home', 'kernellab.db'));
    try {
      expect(db.prepare('SELECT reserved_for FROM runs WHERE id = ?').pluck().get(runId)).toBeNull();
    } finally {
      db.close();
    }
    const preview = await cli.call('sweeps.preview', { spec: { ...tinySweep(), axes: { backend: ['webgpu', 'wasm'] } } });
    expect(preview.points.map((p) => p.values.backend)).toEqual(['webgpu', 'wasm']);
    const refused = await cli
      .call('runs.start', { run: { ...base, hyperparameters: { ...base.hyperparameters, backend: 'metal' } } })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KernelLabError);
    expect((refused as Error).message).toContain('backend');
    expect(held.started).toEqual([]);
  });
});
