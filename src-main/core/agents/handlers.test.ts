/**
 * The agent protocol through the service, as a remote executor drives it (no training: events are
 * written by hand). Real SQLite file, real MNIST in the data folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent, AgentLease, MethodName } from '../contract/index.ts';
import { createService, type Service } from '../service.ts';
import { dataDirWithMnist, tinySweep } from '../sweeps/sweepFixture.ts';
import { maxLiveAgents } from '../db/agentRegistry.ts';
import { openRaw } from '../../test/rawSqlite.ts';
import { coreTextOf } from '../../../i18n/coreText.ts';

const agentId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const identity = (n: number, maxRuns: number | null = null) => ({
  id: agentId(n),
  host: `node${n}`,
  job: `slurm 9_${n}`,
  backends: ['wasm' as const],
  maxRuns,
});

const epoch = (e: number, loss: number): AgentEvent => ({
  type: 'epoch',
  epoch: e,
  values: { loss, accuracy: 0.5, val_loss: 'NaN', val_accuracy: null },
});

describe('agent methods', () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  let sweepA: number;
  let sweepB: number;
  let tokenA: string;
  let tokenB: string;
  const as = <M extends MethodName>(token: string | undefined, name: M, input: unknown) =>
    service.call(name, input, token === undefined ? {} : { agentToken: token });

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-agents-');
    service = createService({ dataDir: home.dir, shell: 'cli', leaseMs: 60_000 });
    sweepA = (await service.call('sweeps.start', { spec: tinySweep({ name: 'A' }), runsOn: 'agents' })).sweepId;
    sweepB = (await service.call('sweeps.start', { spec: tinySweep({ name: 'B', axes: { kernelSize: [3] } }), runsOn: 'agents' })).sweepId;
    tokenA = (await service.call('agents.createToken', { sweepId: sweepA })).secret;
    tokenB = (await service.call('agents.createToken', { sweepId: sweepB })).secret;
  });
  afterAll(async () => {
    await service.close();
    home.cleanup();
  });

  it('keeps only the SHA-256 of a token, and refuses calls without one, with a wrong one or a revoked one', async () => {
    const raw = openRaw(join(home.dir, 'kernellab.db'));
    const stored = raw.prepare('SELECT secret_sha256 FROM agent_tokens ORDER BY id').pluck().all() as string[];
    raw.close();
    expect(stored).toEqual([tokenA, tokenB].map((t) => createHash('sha256').update(t).digest('hex')));
    expect(JSON.stringify(await service.call('agents.tokens', {}))).not.toContain(tokenA);

    await expect(as(undefined, 'agent.hello', { agent: identity(1) })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(as('kla_' + 'x'.repeat(43), 'agent.hello', { agent: identity(1) })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(as('not-a-token', 'agent.hello', { agent: identity(1) })).rejects.toMatchObject({ code: 'unauthorized' });
    const spare = await service.call('agents.createToken', { sweepId: sweepA });
    expect((await as(spare.secret, 'agent.hello', { agent: identity(50) })).sweepId).toBe(sweepA);
    expect(await service.call('agents.revokeToken', { id: spare.token.id })).toEqual({ revoked: true });
    await expect(as(spare.secret, 'agent.claim', { agentId: agentId(50) })).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it('keeps this machine off a sweep sent to agents', () => {
    expect(service.context.store.claimNextRunnable()).toBeUndefined();
  });

  it('hands each run to one agent, a retried claim returns the run held, and a token reaches only its sweep', async () => {
    const hello = await as(tokenA, 'agent.hello', { agent: identity(1) });
    expect(hello.sweepId).toBe(sweepA);
    expect(hello.datasets.mnist?.[0]?.name).toBe('manifest.json');
    await as(tokenA, 'agent.hello', { agent: identity(2, 1) });
    const first = await as(tokenA, 'agent.claim', { agentId: agentId(1) });
    const again = await as(tokenA, 'agent.claim', { agentId: agentId(1) });
    const second = await as(tokenA, 'agent.claim', { agentId: agentId(2) });
    expect(first.job?.sweepId).toBe(sweepA);
    expect(again.job?.lease).toEqual(first.job?.lease);
    expect(again.reason).toBe('already held');
    expect(second.job?.runId).not.toBe(first.job?.runId);
    // --count 1: agent 2 holds its one run; once it is done it gets no other.
    expect((await service.call('agents.list', { sweepId: sweepA })).map((a) => [a.host, a.runId, a.state])).toEqual(
      expect.arrayContaining([
        ['node1', first.job!.runId, 'active'],
        ['node2', second.job!.runId, 'active'],
      ]),
    );

    // Sweep B's agent cannot act on sweep A's runs, nor pose as A's agents.
    await as(tokenB, 'agent.hello', { agent: identity(3) });
    const lease = first.job!.lease;
    await expect(as(tokenB, 'agent.report', { lease, firstSeq: 1, events: [epoch(1, 1)] })).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(
      as(tokenB, 'agent.report', { lease: { ...lease, agentId: agentId(3) }, firstSeq: 1, events: [epoch(1, 1)] }),
    ).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(as(tokenB, 'agent.hello', { agent: identity(1) })).rejects.toMatchObject({ code: 'conflict' });
    const bClaim = await as(tokenB, 'agent.claim', { agentId: agentId(3) });
    expect(bClaim.job?.sweepId).toBe(sweepB);
    // The browser side's methods are not open to an agent token: the service ignores it for them.
    expect(service.context.store.getRun(first.job!.runId)?.workerOwner).toBe(`agent:${agentId(1)}`);
  });

  it('records every event once, whatever is repeated, and refuses a gap', async () => {
    const job = (await as(tokenA, 'agent.claim', { agentId: agentId(1) })).job!;
    const lease: AgentLease = job.lease;
    const started: AgentEvent = { type: 'started', backend: 'wasm', device: 'node1 cpu', runtime: { threads: 2 } };
    const r1 = await as(tokenA, 'agent.report', { lease, firstSeq: 1, events: [started, epoch(1, 2.5)] });
    expect(r1).toMatchObject({ held: true, recordedSeq: 2, stop: null });
    // The same report again (its answer was lost), then one overlapping it.
    expect((await as(tokenA, 'agent.report', { lease, firstSeq: 1, events: [started, epoch(1, 2.5)] })).recordedSeq).toBe(2);
    expect((await as(tokenA, 'agent.report', { lease, firstSeq: 2, events: [epoch(1, 2.5), epoch(2, 1.5)] })).recordedSeq).toBe(3);
    await expect(as(tokenA, 'agent.report', { lease, firstSeq: 6, events: [epoch(3, 1)] })).rejects.toMatchObject({ code: 'conflict' });
    const series = service.context.store.metricSeries(job.runId).series;
    expect(series.loss?.map((p) => [p.step, p.value])).toEqual([
      [1, 2.5],
      [2, 1.5],
    ]);
    expect(series.val_loss?.map((p) => p.value)).toEqual(['NaN', 'NaN']);
    expect(series.val_accuracy).toBeUndefined();
    expect(service.context.store.getRun(job.runId)).toMatchObject({ backend: 'wasm', device: 'node1 cpu' });
  });

  it('takes checkpoint files before the event that names them, and hands the checkpoint to the next holder', async () => {
    const job = (await as(tokenA, 'agent.claim', { agentId: agentId(1) })).job!;
    const lease = job.lease;
    const bytes = Buffer.from(
      '{"history":[{"epoch":1,"loss":2.5,"accuracy":0.5,"val_loss":null,"val_accuracy":null},{"epoch":2,"loss":1.5,"accuracy":0.5,"val_loss":null,"val_accuracy":null}]}',
    );
    const file = { name: 'state.json', bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    const checkpoint: AgentEvent = { type: 'checkpoint', epoch: 2, kind: 'last', files: [file], metric: null, value: null };
    await expect(as(tokenA, 'agent.report', { lease, firstSeq: 4, events: [checkpoint] })).rejects.toMatchObject({ code: 'conflict' });
    const half = bytes.length >> 1;
    const part = await as(tokenA, 'agent.uploadFile', {
      lease,
      epoch: 2,
      kind: 'last',
      parts: [{ file, offset: 0, data: bytes.subarray(0, half).toString('base64') }],
    });
    expect(part).toEqual({ held: true, files: [{ name: 'state.json', received: half, complete: false }] });
    // The same chunk again (its answer was lost), then the rest.
    await as(tokenA, 'agent.uploadFile', {
      lease,
      epoch: 2,
      kind: 'last',
      parts: [{ file, offset: 0, data: bytes.subarray(0, half).toString('base64') }],
    });
    const whole = await as(tokenA, 'agent.uploadFile', {
      lease,
      epoch: 2,
      kind: 'last',
      parts: [{ file, offset: half, data: bytes.subarray(half).toString('base64') }],
    });
    expect(whole.files[0]?.complete).toBe(true);
    expect((await as(tokenA, 'agent.report', { lease, firstSeq: 4, events: [checkpoint] })).recordedSeq).toBe(4);
    expect((await as(tokenA, 'agent.report', { lease, firstSeq: 4, events: [checkpoint] })).recordedSeq).toBe(4);
    const detail = service.context.store.runDetail(job.runId);
    expect(detail.checkpoints).toHaveLength(1);
    expect(readFileSync(join(detail.checkpoints[0]!.path, 'state.json'))).toEqual(bytes);

    // Preempted: reported interrupted, queued again to resume; the next agent gets the checkpoint.
    await expect(
      as(tokenA, 'agent.finish', { lease, lastSeq: 9, outcome: { kind: 'interrupted', error: 'SIGTERM' } }),
    ).rejects.toMatchObject({
      code: 'conflict',
    });
    // An unknown code in the outcome's coded sentence is refused, naming the field, and ends nothing.
    await expect(
      as(tokenA, 'agent.finish', {
        lease,
        lastSeq: 4,
        outcome: { kind: 'interrupted', error: 'SIGTERM', errorText: { code: 'no_such_code', params: {} } },
      }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/outcome\.errorText/) });
    // The agent sends the sentence with its code (as a local run's outcome has it); both are stored.
    const ended = await as(tokenA, 'agent.finish', {
      lease,
      lastSeq: 4,
      outcome: {
        kind: 'interrupted',
        error: 'paused; resume to continue from the last checkpoint',
        errorText: { code: 'run_paused', params: {} },
      },
    });
    expect(ended).toEqual({ held: true, status: 'interrupted', requeued: true });
    const stored = openRaw(join(home.dir, 'kernellab.db'));
    try {
      expect(stored.prepare('SELECT error_code FROM runs WHERE id = ?').pluck().get(job.runId)).toBe(
        JSON.stringify({ code: 'run_paused', params: {} }),
      );
    } finally {
      stored.close();
    }
    expect(await as(tokenA, 'agent.finish', { lease, lastSeq: 4, outcome: { kind: 'interrupted', error: 'SIGTERM' } })).toEqual({
      held: true,
      status: 'interrupted',
      requeued: false,
    });
    await as(tokenA, 'agent.hello', { agent: identity(4) });
    const next = (await as(tokenA, 'agent.claim', { agentId: agentId(4) })).job!;
    expect(next.runId).toBe(job.runId);
    expect(next.lease.attempt).toBe(lease.attempt + 1);
    expect(next).toMatchObject({ resume: true, recordedEpochs: 2, recordedSeq: 0 });
    expect(next.checkpoint).toEqual([file]);
    const chunk = await as(tokenA, 'agent.fetchFile', {
      target: { kind: 'checkpoint', lease: next.lease, name: 'state.json' },
      offset: 0,
      length: 1 << 20,
    });
    expect(Buffer.from(chunk.data, 'base64')).toEqual(bytes);
    // The old holder's lease is gone: what it still sends is refused, nothing written.
    expect(await as(tokenA, 'agent.report', { lease, firstSeq: 5, events: [epoch(3, 0.1)] })).toMatchObject({ held: false });
    expect(service.context.store.metricSeries(job.runId).series.loss).toHaveLength(2);
    expect(existsSync(join(detail.checkpoints[0]!.path, 'state.json'))).toBe(true);
  });

  it("stops an agent's run its sweep's pruner stops, and records it pruned", async () => {
    const spec = tinySweep({
      name: 'pruned',
      axes: { kernelSize: [3, 5] },
      fold: false,
      pruner: { type: 'median', startupTrials: 0, warmupEpochs: 0 },
      optimize: { metric: 'val_accuracy', direction: 'maximize' },
    });
    spec.base.hyperparameters = { ...spec.base.hyperparameters, epochs: 3 };
    const { sweepId } = await service.call('sweeps.start', { spec, runsOn: 'agents' });
    const token = (await service.call('agents.createToken', { sweepId })).secret;
    await as(token, 'agent.hello', { agent: identity(7) });
    await as(token, 'agent.hello', { agent: identity(8) });
    const good = (await as(token, 'agent.claim', { agentId: agentId(7) })).job!;
    const poor = (await as(token, 'agent.claim', { agentId: agentId(8) })).job!;
    const at = (epoch: number, v: number): AgentEvent => ({ type: 'epoch', epoch, values: { loss: 1, val_accuracy: v } });
    // The median rule compares with completed runs: one finishes first, at 0.9 every epoch.
    expect(
      (await as(token, 'agent.report', { lease: good.lease, firstSeq: 1, events: [at(1, 0.9), at(2, 0.9), at(3, 0.9)] })).stop,
    ).toBeNull();
    expect(await as(token, 'agent.finish', { lease: good.lease, lastSeq: 3, outcome: { kind: 'completed' } })).toMatchObject({
      status: 'completed',
    });
    expect((await as(token, 'agent.report', { lease: poor.lease, firstSeq: 1, events: [at(1, 0.1)] })).stop).toBe('cancel');
    const ended = await as(token, 'agent.finish', { lease: poor.lease, lastSeq: 1, outcome: { kind: 'canceled' } });
    expect(ended).toMatchObject({ held: true, status: 'pruned' });
    expect(service.context.store.getRun(poor.runId)?.status).toBe('pruned');
  });

  it('asks the agent to stop when its run or its sweep is canceled or paused, and recovers a silent agent’s run', async () => {
    const bJob = (await as(tokenB, 'agent.claim', { agentId: agentId(3) })).job!;
    expect((await as(tokenB, 'agent.heartbeat', { lease: bJob.lease })).stop).toBeNull();
    await service.call('sweeps.pause', { id: sweepB });
    expect((await as(tokenB, 'agent.heartbeat', { lease: bJob.lease })).stop).toBe('interrupt');
    await service.call('runs.cancel', { id: bJob.runId });
    expect((await as(tokenB, 'agent.heartbeat', { lease: bJob.lease })).stop).toBe('cancel');
    const ended = await as(tokenB, 'agent.finish', { lease: bJob.lease, lastSeq: 0, outcome: { kind: 'canceled' } });
    expect(ended).toMatchObject({ held: true, status: 'canceled', requeued: false });

    // An agent that goes silent loses its run when the lease runs out, and the run is queued again.
    const aJob = (await as(tokenA, 'agent.claim', { agentId: agentId(4) })).job!;
    const store = service.context.store;
    expect(store.recoverInterrupted(Date.now() + 61_000)).toContain(aJob.runId);
    expect((await as(tokenA, 'agent.heartbeat', { lease: aJob.lease })).held).toBe(false);
  });

  it('refuses what an agent sends past its bounds, naming the field, and records none of it', async () => {
    const { sweepId } = await service.call('sweeps.start', {
      spec: tinySweep({ name: 'bounds', axes: { kernelSize: [3] } }),
      runsOn: 'agents',
    });
    const made = await service.call('agents.createToken', { sweepId });
    const token = made.secret;
    await as(token, 'agent.hello', { agent: identity(20) });
    const job = (await as(token, 'agent.claim', { agentId: agentId(20) })).job!;
    const lease = job.lease;
    const epochs = job.hyperparameters.epochs as number;
    const refused = async (name: MethodName, input: unknown, field: RegExp) => {
      const error = await as(token, name, input).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      );
      expect(error?.code, `${name} ${JSON.stringify(input).slice(0, 200)}`).toMatch(/invalid_input|too_large/);
      expect(error?.message).toMatch(field);
      return error!;
    };

    // Events: an epoch past the run's own, a metric name that is not one, an oversized runtime, a confusion matrix that is not square, a checkpoint naming a file twice.
    const past = await refused('agent.report', { lease, firstSeq: 1, events: [epoch(1, 1), epoch(epochs + 1, 1)] }, /events\.1\.epoch/);
    expect(past.message).toMatch(`past run ${job.runId}'s ${epochs} epochs`);
    await refused('agent.report', { lease, firstSeq: 1, events: [{ type: 'epoch', epoch: 1, values: { 'bad key!': 1 } }] }, /values/);
    const started = (runtime: Record<string, unknown>) => ({
      lease,
      firstSeq: 1,
      events: [{ type: 'started', backend: 'wasm', device: 'cpu', runtime }],
    });
    await refused('agent.report', started({ notes: 'x'.repeat(20_000) }), /runtime.*characters/);
    await refused('agent.report', started(Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]))), /runtime.*32 entries/);
    const evaluation = { type: 'evaluation', epoch: null, loss: 1, accuracy: 0.5, confusion: [[1, 2], [3]], perClass: [], mostWrong: [] };
    await refused('agent.report', { lease, firstSeq: 1, events: [evaluation] }, /confusion.*square/);
    const ref = { name: 'w.bin', bytes: 3, sha256: '0'.repeat(64) };
    const twice = { type: 'checkpoint', epoch: 1, kind: 'last', files: [ref, ref], metric: null, value: null };
    await refused('agent.report', { lease, firstSeq: 1, events: [twice] }, /files.*each file name once/);
    expect(service.context.store.metricSeries(job.runId).series).toEqual({});
    expect(service.context.store.agents.execution(job.runId, lease.attempt)?.recordedSeq).toBe(0);

    // Uploads: not base64, bigger than a checkpoint may be, for an epoch the run does not have,
    // and more checkpoints staged at once than an agent ever uploads.
    const sixZeros = createHash('sha256').update(Buffer.alloc(6)).digest('hex');
    const upload = (epochAt: number, kind: string, data: string, bytes = 6) => ({
      lease,
      epoch: epochAt,
      kind,
      parts: [{ file: { name: 'w.bin', bytes, sha256: sixZeros }, offset: 0, data }],
    });
    await refused('agent.uploadFile', upload(1, 'last', 'not base64!'), /parts\.0\.data.*base64/);
    await refused('agent.uploadFile', upload(1, 'last', 'AAAA', 5 * 1024 ** 3), /parts\.0\.file\.bytes/);
    await refused('agent.uploadFile', upload(epochs + 1, 'last', 'AAAA'), /epoch: epoch \d+ is past/);
    const staged = [upload(0, 'last', 'AAAA'), upload(1, 'last', 'AAAA'), upload(0, 'best', 'AAAA'), upload(1, 'best', 'AAAA')];
    for (const input of staged)
      expect((await as(token, 'agent.uploadFile', input)).files[0]).toMatchObject({ received: 3, complete: false });
    const full = await refused('agent.uploadFile', upload(1, 'epoch', 'AAAA'), /4 checkpoints of this run are uploading already/);
    expect(full.code).toBe('too_large');
    // A checkpoint already staging takes its next chunk.
    expect(
      (await as(token, 'agent.uploadFile', { ...staged[0]!, parts: [{ ...staged[0]!.parts[0]!, offset: 3 }] })).files[0],
    ).toMatchObject({
      received: 6,
      complete: true,
    });

    // At most so many agents at work on one sweep: a new id is refused, one already known is not.
    const raw = openRaw(join(home.dir, 'kernellab.db'));
    const now = Date.now();
    const insert = raw.prepare(
      `INSERT INTO agents (id, token_id, sweep_id, host, first_seen_at, last_seen_at) VALUES (?, ?, ?, 'node', ?, ?)`,
    );
    raw.transaction(() => {
      for (let i = 1; i < maxLiveAgents; i++) insert.run(agentId(100_000 + i), made.token.id, sweepId, now, now);
    })();
    raw.close();
    const crowd = await refused('agent.hello', { agent: identity(21) }, /has 4096 agents at work already/);
    expect(crowd.code).toBe('too_large');
    expect((await as(token, 'agent.hello', { agent: identity(20) })).sweepId).toBe(sweepId);
  });

  it('shows why an agent left in Korean from its code (issue 17)', async () => {
    await as(tokenB, 'agent.hello', { agent: identity(40) });
    await as(tokenB, 'agent.bye', { agentId: agentId(40), reason: 'stopped by a signal' });
    const gone = (await service.call('agents.list', { sweepId: sweepB })).find((a) => a.id === agentId(40))!;
    expect(gone).toMatchObject({ state: 'gone', endReason: 'stopped by a signal', endReasonCode: { code: 'agent_bye_signal' } });
    expect(coreTextOf(gone.endReasonCode, gone.endReason!, 'ko')).toBe('시그널로 멈춤');
  });
});
