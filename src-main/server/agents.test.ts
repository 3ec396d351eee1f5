/**
 * Agents over HTTP: an agent token opens the agent methods and nothing else, the browser token
 * opens none of them, and serving beyond loopback needs TLS. Every answer goes through
 * AgentClient, which parses it with the method's output schema.
 */
import { request } from 'node:https';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedErrorText } from '../../i18n/coreText.ts';
import { AgentClient, Unreachable } from '../core/agents/client.ts';
import { coreText } from '../core/contract/coreText.ts';
import { createService, type Service } from '../core/service.ts';
import { dataDirWithMnist, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { selfSignedCert } from '../test/selfSignedCert.ts';
import { exposedWithoutTls, startServer, type RunningServer } from './server.ts';

const agent = (n: number) => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  host: 'node',
  job: '',
  backends: ['wasm' as const],
  maxRuns: null,
});

async function post(server: RunningServer, name: string, headers: Record<string, string>, body: unknown = {}): Promise<number> {
  const response = await fetch(`${server.url}api/call/${name}`, { method: 'POST', body: JSON.stringify(body), headers });
  await response.body?.cancel();
  return response.status;
}

describe('agent methods over HTTP', () => {
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  let server: RunningServer;
  let secret: string;
  let otherSecret: string;

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-agents-http-');
    service = createService({ dataDir: home.dir, shell: 'server' });
    server = await startServer({ service, port: 0 });
    const sweepId = (await service.call('sweeps.start', { spec: tinySweep(), runsOn: 'agents' })).sweepId;
    const other = (await service.call('sweeps.start', { spec: tinySweep({ name: 'other' }), runsOn: 'agents' })).sweepId;
    secret = (await service.call('agents.createToken', { sweepId })).secret;
    otherSecret = (await service.call('agents.createToken', { sweepId: other })).secret;
  });
  afterAll(async () => {
    await server.close();
    await service.close();
    home.cleanup();
  });

  it('walks the protocol with an agent token, every answer in its schema', async () => {
    const client = new AgentClient({ server: server.url, token: secret });
    const hello = await client.call('agent.hello', { agent: agent(1) });
    const manifest = hello.datasets.mnist![0]!;
    const chunk = await client.call('agent.fetchFile', {
      target: { kind: 'dataset', dataset: 'mnist', name: 'manifest.json' },
      offset: 0,
      length: 64,
    });
    expect(chunk).toMatchObject({ bytes: 64, total: manifest.bytes });
    const { job } = await client.call('agent.claim', { agentId: agent(1).id });
    const lease = job!.lease;
    expect(
      await client.call('agent.report', { lease, firstSeq: 1, events: [{ type: 'epoch', epoch: 1, values: { loss: 1 } }] }),
    ).toMatchObject({ held: true });
    expect(await client.call('agent.heartbeat', { lease })).toEqual({ held: true, stop: null });
    const upload = await client.call('agent.uploadFile', {
      lease,
      epoch: 1,
      kind: 'best',
      parts: [
        {
          file: { name: 'weights.bin', bytes: 1, sha256: '4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a' },
          offset: 0,
          data: Buffer.from([1]).toString('base64'),
        },
      ],
    });
    expect(upload).toEqual({ held: true, files: [{ name: 'weights.bin', received: 1, complete: true }] });
    // A failure whose sentence lists problems sends them coded (as a local worker's does); the run keeps them (migration 0017).
    const problem = {
      sentence: 'globalStep: Too small: expected number to be >=0',
      path: 'globalStep',
      text: coreText('issue_too_small', { minimum: 0 }),
    };
    const outcome = {
      kind: 'failed' as const,
      error: `checkpoint file /tmp/last/state.json is not a KernelLab checkpoint state: ${problem.sentence}`,
      errorText: coreText('checkpoint_state_not_state', { file: '/tmp/last/state.json' }),
      errorIssues: [problem],
    };
    expect(await client.call('agent.finish', { lease, lastSeq: 1, outcome })).toMatchObject({ held: true, status: 'failed' });
    const failed = await service.call('runs.get', { id: lease.runId });
    expect(failed).toMatchObject({ error: outcome.error, errorCode: outcome.errorText, errorIssues: [problem] });
    expect(storedErrorText(failed.error!, failed.errorCode, failed.errorIssues, 'ko')).toBe(
      '체크포인트 파일 /tmp/last/state.json은(는) KernelLab 체크포인트 상태가 아닙니다: globalStep: 0 이상이어야 합니다',
    );
    expect(await client.call('agent.bye', { agentId: agent(1).id, reason: 'done' })).toEqual({ ok: true });
    client.close();
  });

  it('refuses the browser token, no token and a wrong one on agent methods, and an agent token anywhere else', async () => {
    expect(await post(server, 'agent.hello', { Authorization: `Bearer ${server.token}` }, { agent: agent(2) })).toBe(401);
    expect(await post(server, 'agent.hello', {}, { agent: agent(2) })).toBe(401);
    expect(await post(server, 'agent.hello', { Authorization: `Bearer kla_${'A'.repeat(43)}` }, { agent: agent(2) })).toBe(401);
    expect(await post(server, 'app.health', { Authorization: `Bearer ${secret}` })).toBe(401);
    expect(await post(server, 'runs.list', { Authorization: `Bearer ${secret}` })).toBe(401);
    const events = await fetch(`${server.url}api/events`, { headers: { Authorization: `Bearer ${secret}` } });
    expect(events.status).toBe(401);
    // An agent token of another sweep opens only that sweep.
    const other = new AgentClient({ server: server.url, token: otherSecret });
    const hello = await other.call('agent.hello', { agent: agent(3) });
    expect(hello.sweepId).not.toBe(
      (await new AgentClient({ server: server.url, token: secret }).call('agent.hello', { agent: agent(4) })).sweepId,
    );
    other.close();
    // A page on another site cannot use an agent token either.
    expect(
      await post(server, 'agent.hello', { Authorization: `Bearer ${secret}`, Origin: 'http://evil.example' }, { agent: agent(2) }),
    ).toBe(401);
  });

  it('tells an agent the server is unreachable, not that it refused', async () => {
    const client = new AgentClient({ server: 'http://127.0.0.1:9/', token: secret, timeoutMs: 2000 });
    await expect(client.call('agent.hello', { agent: agent(5) })).rejects.toBeInstanceOf(Unreachable);
    client.close();
  });
});

describe('serving beyond this machine', () => {
  const temp = makeTempDir('kernellab-tls-');
  let service: Service;
  beforeAll(() => {
    service = createService({ dataDir: join(temp.dir, 'home'), shell: 'server' });
  });
  afterAll(async () => {
    await service.close();
    temp.cleanup();
  });

  it('refuses plain HTTP beyond loopback and explains the SSH tunnel', async () => {
    await expect(startServer({ service, port: 0, host: '0.0.0.0' })).rejects.toThrow(exposedWithoutTls);
    expect(exposedWithoutTls).toContain('ssh -N -R 7860:127.0.0.1:7860');
  });

  it('serves HTTPS with a certificate, on every address, and prints https URLs', async (context) => {
    const cert = selfSignedCert(temp.dir);
    if (!cert) {
      console.warn('SKIPPED: openssl is not installed, so no test certificate can be made');
      context.skip();
      return;
    }
    const server = await startServer({ service, port: 0, host: '0.0.0.0', tls: cert });
    try {
      expect(server.exposed).toBe(true);
      expect(server.urls.every((u) => u.startsWith('https://'))).toBe(true);
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`https://127.0.0.1:${server.port}/api/call/app.health`, {
          method: 'POST',
          ca: cert.cert,
          headers: { Authorization: `Bearer ${server.token}`, Origin: `https://127.0.0.1:${server.port}` },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end('{}');
      });
      expect(status).toBe(200);
      const outside = Object.values(networkInterfaces())
        .flat()
        .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
      if (outside) expect(server.url).toBe(`https://${outside}:${server.port}/`);
      // An agent trusts the server's own certificate with --ca.
      const client = new AgentClient({
        server: `https://127.0.0.1:${server.port}/`,
        token: `kla_${'A'.repeat(43)}`,
        caFile: cert.certFile,
      });
      await expect(client.call('agent.bye', { agentId: agent(1).id, reason: 'x' })).rejects.toMatchObject({ code: 'unauthorized' });
      client.close();
    } finally {
      await server.close();
    }
  });
});
