/**
 * The single-file kernellab-agent: built from this checkout (Node SEA), started in an empty folder
 * with an empty home and no Node, npm or project on PATH, it trains a sweep's run it pulled from a
 * real server and reports it, as a cluster node with nothing installed would.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createService, type Service } from '../core/service.ts';
import { dataDirWithMnist, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { buildAgent } from './buildSea.ts';

describe('the single-file agent', () => {
  const temp = makeTempDir('kernellab-sea-');
  const binary = join(temp.dir, 'kernellab-agent');
  let home: { dir: string; cleanup: () => void };
  let service: Service;
  let server: RunningServer;

  beforeAll(async () => {
    home = await dataDirWithMnist('kernellab-sea-home-');
    service = createService({ dataDir: home.dir, shell: 'server' });
    server = await startServer({ service, port: 0 });
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await service.close();
    home.cleanup();
    temp.cleanup();
  });

  it('is built into one executable and trains a run on a machine with nothing installed', async () => {
    const built = buildAgent(binary);
    expect(built.files).toBeGreaterThan(100);
    // It speaks the user's language like kernellab (issue 17): the compiled catalogue is packed.
    const refused = (env: Record<string, string>) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          binary,
          ['--server', server.url, '--token-file', 'no-such-token-file'],
          { cwd: temp.dir, env: { HOME: join(temp.dir, 'lang-home'), PATH: '/nonexistent', ...env }, timeout: 120_000 },
          (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }),
        ),
      );
    expect(await refused({ KERNELLAB_LANG: 'ko' })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /^kernellab-agent: --token-file: \S*no-such-token-file을\(를\) 읽을 수 없습니다\(ENOENT\)$/m,
      ) as unknown,
    });
    expect((await refused({ LANG: 'C' })).stderr).toMatch(/^kernellab-agent: --token-file: cannot read \S*no-such-token-file \(ENOENT\)$/m);

    const { sweepId } = await service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSize: [3] } }), runsOn: 'agents' });
    const tokenFile = join(temp.dir, 'token');
    writeFileSync(tokenFile, (await service.call('agents.createToken', { sweepId })).secret, { mode: 0o600 });
    const node = join(temp.dir, 'node');
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        binary,
        ['--server', server.url, '--token-file', tokenFile, '--spool', join(node, 'spool'), '--threads', '1', '--json'],
        // An empty home and no PATH: nothing of Node, npm or this checkout is reachable.
        { cwd: temp.dir, env: { HOME: node, PATH: '/nonexistent' }, timeout: 400_000 },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      ),
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { runs: { runId: number; status: string }[] };
    expect(report.runs.map((r) => r.status)).toEqual(['completed']);
    const detail = service.context.store.runDetail(report.runs[0]!.runId);
    expect(detail.status).toBe('completed');
    expect(detail.summary.find((m) => m.key === 'test_accuracy')).toBeDefined();
    expect(detail.checkpoints.length).toBeGreaterThan(0);
  }, 600_000);
});
