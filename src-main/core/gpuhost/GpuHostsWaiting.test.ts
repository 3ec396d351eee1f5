/**
 * `auto` in practice: while a page lending a hardware GPU waits for a run, this machine's worker
 * processes leave it the runs that pin no backend; a software (SwiftShader) page gets no such
 * precedence, a busy page none either, and a page that stops asking holds nothing for long. The
 * service test drives the real scheduler with an executor that holds its runs (nothing trains),
 * real SQLite and the real agent.* methods with a GPU-host token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GpuAdapter } from '../contract/app.ts';
import type { MethodName } from '../contract/index.ts';
import { createService, type Service } from '../service.ts';
import type { Executor, RunJob, RunOutcome } from '../sweeps/execution.ts';
import { dataDirWithMnist, tinySweep } from '../sweeps/sweepFixture.ts';
import { GpuHostsWaiting, gpuHostFirstMs } from './GpuHostsWaiting.ts';

describe('GpuHostsWaiting', () => {
  it('leaves every unpinned run to a page that just made room, then only fresh ones, and nothing once it stops asking', () => {
    const waiting = new GpuHostsWaiting(10_000);
    expect(waiting.leaveUnpinnedQueuedAfter(0)).toBeNull();
    waiting.asked('page', 100_000);
    expect(waiting.leaveUnpinnedQueuedAfter(101_000)).toBe(0);
    // It keeps asking every 3 s and takes nothing: after a window only runs queued since are its.
    for (let t = 103_000; t <= 115_000; t += 3000) waiting.asked('page', t);
    expect(waiting.leaveUnpinnedQueuedAfter(115_000)).toBe(105_000);
    // It stopped asking (a closed tab, a stuck page): after a window nothing is left to it.
    expect(waiting.leaveUnpinnedQueuedAfter(125_001)).toBeNull();
  });

  it('a page that took a run or said bye has no room', () => {
    const waiting = new GpuHostsWaiting(10_000);
    waiting.asked('page', 1000);
    waiting.busy('page');
    expect(waiting.leaveUnpinnedQueuedAfter(2000)).toBeNull();
  });
});

const agentId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const swiftShader: GpuAdapter = { api: 'webgpu', vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true };
const radeon: GpuAdapter = {
  api: 'webgpu',
  vendor: 'amd',
  architecture: 'rdna-3',
  description: 'AMD Radeon 780M',
  isFallbackAdapter: false,
};

/** An executor that trains nothing: each run waits until the test finishes it. */
function heldExecutor() {
  const started: RunJob[] = [];
  const finishers = new Map<number, (outcome: RunOutcome) => void>();
  const executor: Executor = {
    start(job) {
      started.push(job);
      return { outcome: new Promise<RunOutcome>((resolve) => finishers.set(job.run.id, resolve)), stop: () => undefined };
    },
  };
  return { executor, started, finish: (runId: number) => finishers.get(runId)!({ kind: 'completed' }) };
}

async function until(what: string, fn: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('worker processes step aside for a waiting hardware page (service)', () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  let secret: string;
  const held = heldExecutor();
  const as = <M extends MethodName>(name: M, input: unknown) => service.call(name, input, { agentToken: secret });
  const { backend: _pinned, ...hyperparameters } = tinySweep().base.hyperparameters as Record<string, unknown>;
  const queueUnpinned = async () => (await service.call('runs.start', { run: { ...tinySweep().base, hyperparameters } })).runId;
  const status = (runId: number) => service.context.store.getRun(runId)?.status;
  const startedIds = () => held.started.map((job) => job.run.id);

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-gpu-first-');
    service = createService({ dataDir: home.dir, shell: 'server', leaseMs: 60_000, executor: held.executor });
    secret = (await service.call('agents.browserGpuToken', {})).secret;
  }, 60_000);
  afterAll(async () => {
    await service.close();
    home.cleanup();
  });

  it('a SwiftShader page waiting changes nothing: a worker takes the unpinned run', async () => {
    await as('agent.hello', { agent: { id: agentId(1), host: 'a browser on Linux', backends: ['webgpu'], adapters: [swiftShader] } });
    expect(await as('agent.claim', { agentId: agentId(1) })).toMatchObject({ job: null });
    const run = await queueUnpinned();
    await until('a worker to take the run', () => startedIds().includes(run), 10_000);
    held.finish(run);
    await until('the run to complete', () => status(run) === 'completed', 10_000);
  }, 60_000);

  it('a hardware page waiting gets the unpinned run first; while it trains, workers take the next', async () => {
    await as('agent.hello', { agent: { id: agentId(2), host: 'a browser on MacIntel', backends: ['webgpu'], adapters: [radeon] } });
    expect(await as('agent.claim', { agentId: agentId(2) })).toMatchObject({ job: null });
    const first = await queueUnpinned();
    // Several scheduler ticks (1 s each): the workers leave it queued for the page.
    await pause(2500);
    expect(status(first)).toBe('queued');
    expect(startedIds()).not.toContain(first);
    const claimed = await as('agent.claim', { agentId: agentId(2) });
    expect(claimed.job).toMatchObject({ runId: first });
    const next = await queueUnpinned();
    await until('a worker to take the next run', () => startedIds().includes(next), 10_000);
    held.finish(next);
    await until('the next run to complete', () => status(next) === 'completed', 10_000);
  }, 60_000);

  it('a page that stops asking holds a run for one window at most', async () => {
    await as('agent.hello', { agent: { id: agentId(3), host: 'a browser on Windows', backends: ['webgpu'], adapters: [radeon] } });
    expect(await as('agent.claim', { agentId: agentId(3) })).toMatchObject({ job: null });
    const asked = Date.now();
    const run = await queueUnpinned();
    await pause(1500);
    expect(status(run)).toBe('queued');
    await until('a worker to take the run the page never claimed', () => startedIds().includes(run), gpuHostFirstMs + 5000);
    expect(Date.now() - asked).toBeGreaterThanOrEqual(gpuHostFirstMs);
    held.finish(run);
  }, 60_000);
});
