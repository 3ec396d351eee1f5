/**
 * A browser lending its GPU, as the server sees it: a GPU-host token (agents.browserGpuToken) opens
 * the agent.* methods for runs pinned to webgpu or webgl, in any sweep or none, and nothing else;
 * the run's splits come prepared by the server (the same images a worker process would train on).
 * Real SQLite file, real MNIST in the data folder; the events are written by hand (the e2e spec
 * e2e/browserGpu.browser.spec.ts trains in a real page).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hyperparameters } from '../contract/training.ts';
import type { MethodName } from '../contract/index.ts';
import { createService, type Service } from '../service.ts';
import { dataDirWithMnist, tinySweep } from '../sweeps/sweepFixture.ts';
import { prepareData } from '../training/trainingData.ts';
import { maxGpuHostTokens } from '../db/agentRegistry.ts';
import { decodeRunData } from './runDataCodec.ts';

const agentId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const page = (n: number, backends: ('webgpu' | 'webgl')[]) => ({ id: agentId(n), host: `a browser ${n}`, backends });

describe("a browser's GPU host", () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  let secret: string;
  let gpuRun: number;
  let wasmRun: number;
  let sweepId: number;
  const as = <M extends MethodName>(token: string | undefined, name: M, input: unknown) =>
    service.call(name, input, token === undefined ? {} : { agentToken: token });

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-browser-gpu-');
    service = createService({ dataDir: home.dir, shell: 'cli', leaseMs: 60_000, trains: false });
    const base = tinySweep().base;
    wasmRun = (await service.call('runs.start', { run: base })).runId;
    gpuRun = (await service.call('runs.start', { run: { ...base, hyperparameters: { ...base.hyperparameters, backend: 'webgpu' } } }))
      .runId;
    sweepId = (await service.call('sweeps.start', { spec: tinySweep({ axes: { backend: ['webgl', 'wasm'] } }) })).sweepId;
    secret = (await service.call('agents.browserGpuToken', {})).secret;
  });
  afterAll(async () => {
    await service.close();
    home.cleanup();
  });

  it('claims only runs pinned to a backend the page has, single or of a running sweep', async () => {
    const hello = await as(secret, 'agent.hello', { agent: page(1, ['webgpu', 'webgl']) });
    expect(hello).toMatchObject({ sweepId: null, datasets: {} });
    await as(secret, 'agent.hello', { agent: page(2, ['webgl']) });
    await as(secret, 'agent.hello', { agent: page(3, ['webgpu']) });

    const first = await as(secret, 'agent.claim', { agentId: agentId(2) });
    const sweepRun = first.job!;
    expect(sweepRun).toMatchObject({ sweepId, hyperparameters: { backend: 'webgl' } });
    const second = await as(secret, 'agent.claim', { agentId: agentId(1) });
    expect(second.job).toMatchObject({ runId: gpuRun, sweepId: null, hyperparameters: { backend: 'webgpu' } });
    const none = await as(secret, 'agent.claim', { agentId: agentId(3) });
    expect(none).toMatchObject({
      job: null,
      reason: 'no run pinned to webgpu or webgl is queued',
      reasonCode: { code: 'agent_claim_no_gpu_run', params: {} },
      done: false,
    });
    // The wasm runs stay for worker processes.
    expect(service.context.store.getRun(wasmRun)?.status).toBe('queued');
    expect((await service.call('agents.list', {})).find((a) => a.id === agentId(1))).toMatchObject({ sweepId: null, runId: gpuRun });
  });

  it("hands the held run's prepared splits, the images a worker process would train on, and refuses dataset files", async () => {
    const job = (await as(secret, 'agent.claim', { agentId: agentId(1) })).job!;
    const chunks: Buffer[] = [];
    let offset = 0;
    let total = Infinity;
    while (offset < total) {
      const chunk = await as(secret, 'agent.fetchFile', { target: { kind: 'runData', lease: job.lease }, offset, length: 200_000 });
      chunks.push(Buffer.from(chunk.data, 'base64'));
      offset += chunk.bytes;
      total = chunk.total;
    }
    const data = decodeRunData(new Uint8Array(Buffer.concat(chunks)));
    const run = service.context.store.getRun(job.runId)!;
    const expected = await prepareData({
      datasetsDir: join(home.dir, 'datasets'),
      dataset: 'mnist',
      subset: run.environment.subset as { trainPerClass?: number; testPerClass?: number },
      hyperparameters: Hyperparameters.parse(run.hyperparameters),
    });
    expect([data.train.count, data.validation?.count, data.test.count]).toEqual([
      expected.train.count,
      expected.validation?.count,
      expected.test.count,
    ]);
    expect(Buffer.from(data.train.images).equals(Buffer.from(expected.train.images))).toBe(true);
    expect(Array.from(data.validation!.labels)).toEqual(Array.from(expected.validation!.labels));
    expect(Array.from(data.testIndices ?? [])).toEqual(Array.from(expected.testIndices ?? []));

    await expect(
      as(secret, 'agent.fetchFile', { target: { kind: 'dataset', dataset: 'mnist', name: 'manifest.json' }, offset: 0, length: 10 }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });

  it('records the adapter it trained on, and a single run it gives back goes to the queue again for the next page', async () => {
    const job = (await as(secret, 'agent.claim', { agentId: agentId(1) })).job!;
    const device = 'WebGPU on google swiftshader — software adapter (SwiftShader), not a GPU';
    const adapter = { vendor: 'google', architecture: 'swiftshader', description: '', isFallbackAdapter: true };
    await as(secret, 'agent.report', {
      lease: job.lease,
      firstSeq: 1,
      events: [{ type: 'started', backend: 'webgpu', device, runtime: { threads: 1, adapter } }],
    });
    expect(service.context.store.getRun(job.runId)).toMatchObject({ backend: 'webgpu', device });
    const ended = await as(secret, 'agent.finish', {
      lease: job.lease,
      lastSeq: 1,
      outcome: { kind: 'interrupted', error: 'paused in the browser that trained it' },
    });
    expect(ended).toMatchObject({ held: true, status: 'interrupted', requeued: true });
    expect(service.context.store.getRun(job.runId)?.status).toBe('queued');
    const again = (await as(secret, 'agent.claim', { agentId: agentId(3) })).job!;
    expect(again).toMatchObject({ runId: job.runId, resume: true, lease: { attempt: job.lease.attempt + 1 } });
  });

  it('is canceled from the app while the page trains it: the page hears stop with its next heartbeat', async () => {
    const job = (await as(secret, 'agent.claim', { agentId: agentId(3) })).job!;
    expect(job.runId).toBe(gpuRun);
    expect(await service.call('runs.cancel', { id: gpuRun })).toEqual({ status: 'running' });
    expect(await as(secret, 'agent.heartbeat', { lease: job.lease })).toEqual({ held: true, stop: 'cancel' });
    expect(await as(secret, 'agent.finish', { lease: job.lease, lastSeq: 0, outcome: { kind: 'canceled' } })).toMatchObject({
      held: true,
      status: 'canceled',
      requeued: false,
    });
    expect(service.context.store.getRun(gpuRun)?.status).toBe('canceled');
  });

  it("leaves a cluster agent's claims as they were: its sweep's runs its backends can train", async () => {
    const sweepToken = (await service.call('agents.createToken', { sweepId })).secret;
    const hello = await as(sweepToken, 'agent.hello', { agent: { id: agentId(9), host: 'node9', job: 'slurm 1_1', backends: ['wasm'] } });
    expect(hello.sweepId).toBe(sweepId);
    const claimed = await as(sweepToken, 'agent.claim', { agentId: agentId(9) });
    expect(claimed.job).toMatchObject({ sweepId, hyperparameters: { backend: 'wasm' } });
    // The GPU-host token does not reach it: webgpu/webgl only.
    await as(secret, 'agent.hello', { agent: page(4, ['webgpu', 'webgl']) });
    expect((await as(secret, 'agent.claim', { agentId: agentId(4) })).job).toBeNull();
  });
});

describe("a browser GPU host's tokens", () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  const hello = (secret: string, n: number) => service.call('agent.hello', { agent: page(n, ['webgpu']) }, { agentToken: secret });

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-gpu-tokens-');
    service = createService({ dataDir: home.dir, shell: 'cli', leaseMs: 1500, trains: false });
  });
  afterAll(async () => {
    await service.close();
    home.cleanup();
  });

  it('is revoked when its page says bye: it opens nothing afterwards', async () => {
    const { secret, token } = await service.call('agents.browserGpuToken', {});
    await hello(secret, 1);
    await service.call('agent.bye', { agentId: agentId(1), reason: 'the page stopped lending its GPU' }, { agentToken: secret });
    expect((await service.call('agents.tokens', {})).find((t) => t.id === token.id)?.revokedAt).not.toBeNull();
    await expect(service.call('agent.claim', { agentId: agentId(1) }, { agentToken: secret })).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it(
    'stays within maxGpuHostTokens live, refusing one more in words, and revokes tokens unused for a lease first',
    { timeout: 30_000 },
    async () => {
      const live = () => service.call('agents.tokens', {}).then((all) => all.filter((t) => t.sweepId === null && t.revokedAt === null));
      const made = [];
      for (let i = 0; i < maxGpuHostTokens; i++) made.push(await service.call('agents.browserGpuToken', {}));
      expect(await live()).toHaveLength(maxGpuHostTokens);
      await expect(service.call('agents.browserGpuToken', {})).rejects.toThrow(
        `${maxGpuHostTokens} browsers lend their GPU already (at most ${maxGpuHostTokens} GPU-host tokens); stop lending in another tab first`,
      );
      // One page keeps calling; the others' tabs closed without bye.
      const keeper = made[0]!;
      // Abandoned: unused for a lease (1.5 s) beyond the 5 s its last use may lag.
      for (let t = 0; t < 8; t++) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        await hello(keeper.secret, 50);
      }
      const fresh = await service.call('agents.browserGpuToken', {});
      expect((await live()).map((t) => t.id).sort((a, b) => a - b)).toEqual([keeper.token.id, fresh.token.id]);
      await expect(hello(made[1]!.secret, 51)).rejects.toMatchObject({ code: 'unauthorized' });
    },
  );
});
