/**
 * What a run trained by `kernellab agent` trained on, in the user's language (issue 17): a real
 * agent process pulls a run of a one-point sweep from a real server on 127.0.0.1, trains it on wasm
 * and reports its device line with its code (AgentEvent 'started' deviceCode); `kernellab runs
 * show` on the server's data folder then says the device in Korean, and in English as recorded.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MethodName } from '../core/contract/index.ts';
import { tinySweep } from '../core/sweeps/sweepFixture.ts';
import { kernellabStderr } from '../test/agentProcess.ts';
import { startAgentServer, type AgentServer } from '../test/agentServer.ts';
import { cliPath } from '../test/servedKernellab.ts';

let agents: AgentServer;

beforeAll(async () => {
  agents = await startAgentServer('kernellab-agent-run-device-', tinySweep({ axes: { kernelSize: [3] } }));
}, 120_000);

afterAll(() => agents.close());

/** The `backend …` line of `kernellab runs show` on the server's data folder, less the seed and time (a finished run's) after the device. */
function deviceLine(id: number, lang: 'en' | 'ko'): string {
  const shown = spawnSync(process.execPath, [cliPath, '--home', agents.home, '--lang', lang, 'runs', 'show', String(id)], {
    encoding: 'utf8',
  });
  expect(shown.status, shown.stderr).toBe(0);
  return shown.stdout.split('\n')[1]!.replace(/, (seed|시드) \d+(, [^,]+)?$/, '');
}

describe('the device of a run a kernellab agent trained', () => {
  it('is said in Korean from the code the agent reported, and in English as recorded', { timeout: 300_000 }, async () => {
    const trained = await kernellabStderr([...agents.agentArgs('node'), '--count', '1'], 'en');
    expect(trained.code, trained.err).toBe(0);

    const [run] = (await agents.service.call('runs.list', { sweepId: agents.sweepId })).rows;
    expect(run).toMatchObject({ status: 'completed', backend: 'wasm' });
    const detail = await agents.service.call('runs.get', { id: run!.id });
    expect(detail.deviceCode, 'the agent reports its device line coded').not.toBeNull();
    // wasm's line as the worker makes it: "<cpu> (N threads), SIMD on|off, one thread".
    const wasm = /^(.+) \((\d+) threads\), SIMD (on|off), one thread$/.exec(detail.device!);
    expect(wasm, detail.device!).not.toBeNull();
    const [, cpu, threads, simd] = wasm!;
    expect(deviceLine(run!.id, 'en')).toBe(`  backend wasm on ${detail.device}`);
    expect(deviceLine(run!.id, 'ko')).toBe(
      `  백엔드 wasm (${cpu} (스레드 ${threads}개), SIMD ${simd === 'on' ? '켜짐' : '꺼짐'}, 스레드 1개 사용)`,
    );
  });

  it('keeps the English of a device whose code this server does not know (an agent newer than it), and takes the event', async () => {
    const { sweepId: newer } = await agents.service.call('sweeps.start', {
      spec: tinySweep({ axes: { kernelSize: [5] } }),
      runsOn: 'agents',
    });
    const { secret } = await agents.service.call('agents.createToken', { sweepId: newer });
    const as = <M extends MethodName>(method: M, input: unknown) => agents.service.call(method, input, { agentToken: secret });
    const id = randomUUID();
    await as('agent.hello', { agent: { id, host: 'node-newer', backends: ['wasm'] } });
    const { job } = await as('agent.claim', { agentId: id });
    const device = 'a device line a newer agent codes';
    const reply = await as('agent.report', {
      lease: job!.lease,
      firstSeq: 1,
      events: [{ type: 'started', backend: 'wasm', device, deviceCode: { code: 'backend_from_a_newer_agent', params: { cpu: 'x' } } }],
    });
    expect(reply).toMatchObject({ held: true, recordedSeq: 1 });
    expect(await agents.service.call('runs.get', { id: job!.runId })).toMatchObject({ device, deviceCode: null });
    expect(deviceLine(job!.runId, 'ko')).toBe(`  백엔드 wasm (${device})`);
  });
});
