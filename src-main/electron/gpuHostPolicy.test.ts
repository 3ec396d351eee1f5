import { describe, expect, it } from 'vitest';
import { AgentOutcome } from '../core/contract/agents.ts';
import { goneOutcome, HeldRunTracker, IdlePolicy, queuedRunOf, RestartPolicy, wantsGpuHost } from './gpuHostPolicy.ts';

describe('when the desktop GPU host window starts', () => {
  it('for a run pinned to webgpu or webgl; for an unpinned or auto run only once a hardware GPU was seen', () => {
    expect(wantsGpuHost('webgpu', false)).toBe(true);
    expect(wantsGpuHost('webgl', false)).toBe(true);
    expect(wantsGpuHost(undefined, false)).toBe(false);
    expect(wantsGpuHost('auto', false)).toBe(false);
    expect(wantsGpuHost(undefined, true)).toBe(true);
    expect(wantsGpuHost(null, true)).toBe(true);
    expect(wantsGpuHost('auto', true)).toBe(true);
    for (const backend of ['wasm', 'cpu', 'tensorflow', 'WEBGPU', 3, {}]) expect(wantsGpuHost(backend, true)).toBe(false);
  });
});

describe('queuedRunOf', () => {
  it("reads the run a 'run.updated' event says was queued, and nothing else", () => {
    expect(queuedRunOf({ name: 'run.updated', payload: { runId: 4, status: 'queued', summary: [] } })).toBe(4);
    expect(queuedRunOf({ name: 'run.updated', payload: { runId: 4, status: 'running', summary: [] } })).toBeNull();
    expect(queuedRunOf({ name: 'run.progress', payload: { runId: 4, status: 'queued' } })).toBeNull();
    for (const payload of [null, 'x', { runId: '4', status: 'queued' }, { runId: 0, status: 'queued' }, { runId: 1.5, status: 'queued' }])
      expect(queuedRunOf({ name: 'run.updated', payload })).toBeNull();
  });
});

describe('RestartPolicy', () => {
  it('restarts at once after one crash, then waits 4× longer per crash in a row, up to the limit; a calm spell starts over', () => {
    const policy = new RestartPolicy({ firstDelayMs: 1000, maxDelayMs: 20_000, calmMs: 60_000 });
    expect(policy.mayStart(0)).toBe(true);
    expect(policy.crashed(0)).toBe(0);
    expect(policy.mayStart(0)).toBe(true);
    expect(policy.crashed(10)).toBe(1000);
    expect(policy.mayStart(500)).toBe(false);
    expect(policy.waitMs(500)).toBe(510);
    expect(policy.mayStart(1010)).toBe(true);
    expect(policy.crashed(2000)).toBe(4000);
    expect(policy.crashed(7000)).toBe(16_000);
    expect(policy.crashed(30_000)).toBe(20_000);
    expect(policy.crashed(30_000 + 60_001)).toBe(0);
  });

  it('refuses settings that are not bounded whole milliseconds', () => {
    expect(() => new RestartPolicy({ firstDelayMs: -1 })).toThrow(/^firstDelayMs must be a whole number of milliseconds/);
    expect(() => new RestartPolicy({ calmMs: 1.5 })).toThrow(/^calmMs must be/);
    expect(() => new IdlePolicy(10)).toThrow(/^idleMs must be a whole number of milliseconds from 1000/);
  });
});

describe('IdlePolicy', () => {
  it('closes a window that got no run for idleMs; a run or a restart starts the count again', () => {
    const idle = new IdlePolicy(10_000);
    expect(idle.shouldClose(0)).toBe(false);
    idle.claimed(false, 0);
    idle.claimed(false, 5000);
    expect(idle.shouldClose(9999)).toBe(false);
    expect(idle.shouldClose(10_000)).toBe(true);
    idle.claimed(true, 10_001);
    expect(idle.shouldClose(50_000)).toBe(false);
    idle.claimed(false, 50_000);
    idle.started();
    expect(idle.shouldClose(70_000)).toBe(false);
  });
});

const agentId = '11111111-2222-4333-8444-555555555555';
const lease = { agentId, runId: 7, attempt: 2 };

describe('HeldRunTracker', () => {
  it('knows the run the window holds from its claim and reports, and forgets it on finish or a lost lease', () => {
    const tracker = new HeldRunTracker();
    tracker.observe('agent.claim', { agentId }, { job: null, reason: 'no run' });
    expect(tracker.held).toBeNull();
    tracker.observe('agent.claim', { agentId }, { job: { runId: 7, lease, recordedSeq: 3 } });
    expect(tracker.held).toEqual({ runId: 7, lease, lastSeq: 3 });
    tracker.observe('agent.report', { lease, firstSeq: 4, events: [{}, {}, {}] }, { held: true, stop: null });
    expect(tracker.held?.lastSeq).toBe(6);
    // Another lease's report (a stale attempt) changes nothing.
    tracker.observe('agent.report', { lease: { ...lease, attempt: 1 }, firstSeq: 4, events: new Array(50).fill({}) }, { held: false });
    expect(tracker.held).toEqual({ runId: 7, lease, lastSeq: 6 });
    tracker.observe('agent.heartbeat', { lease }, { held: true, stop: null });
    expect(tracker.held?.lastSeq).toBe(6);
    tracker.observe(
      'agent.finish',
      { lease, lastSeq: 6, outcome: { kind: 'completed' } },
      { held: true, status: 'completed', requeued: false },
    );
    expect(tracker.held).toBeNull();

    tracker.observe('agent.claim', { agentId }, { job: { runId: 8, lease: { ...lease, runId: 8 }, recordedSeq: 0 } });
    tracker.observe('agent.heartbeat', { lease: { ...lease, runId: 8 } }, { held: false, stop: null });
    expect(tracker.held).toBeNull();
  });

  it('a claim answer it cannot read leaves nothing held', () => {
    const tracker = new HeldRunTracker();
    for (const output of [null, 'x', { job: { runId: 'a', lease } }, { job: { runId: 7, lease: { runId: 7 } } }])
      tracker.observe('agent.claim', {}, output);
    expect(tracker.held).toBeNull();
  });
});

describe('goneOutcome', () => {
  it('is an outcome agent.finish accepts, saying the window stopped, coded as a lost GPU', () => {
    const outcome = goneOutcome({ reason: 'crashed', exitCode: 139 });
    expect(AgentOutcome.parse(outcome)).toEqual(outcome);
    expect(outcome.error).toBe(
      "the desktop app's GPU host window stopped during the run (its render process is gone: crashed, exit code 139); the window restarts for the next run",
    );
    expect(outcome.errorText).toEqual({ code: 'gpu_failure_window_gone', params: { reason: 'crashed', exitCode: 139 } });
  });
});
