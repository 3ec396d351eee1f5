/**
 * Test support for the tests that run a real `kernellab agent`: a real server on 127.0.0.1 over a
 * data folder holding MNIST, one sweep whose runs wait for agents, and that sweep's agent token in
 * a file (mode 600), as a user hands it to `kernellab agent --token-file`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SweepSpecInput } from '../core/contract/index.ts';
import { createService, type Service } from '../core/service.ts';
import { dataDirWithMnist } from '../core/sweeps/sweepFixture.ts';
import { startServer, type RunningServer } from '../server/server.ts';
import { makeTempDir } from './tempDir.ts';

export interface AgentServer {
  /** The server's data folder. */
  home: string;
  service: Service;
  server: RunningServer;
  sweepId: number;
  tokenFile: string;
  /** A scratch folder for the agents' own homes, spools and caches. */
  scratch: string;
  /** `kernellab agent`'s arguments for one agent on its own node: its home, spool and cache under the scratch folder, one thread. */
  agentArgs: (node: string) => string[];
  close: () => Promise<void>;
}

export async function startAgentServer(prefix: string, spec: SweepSpecInput): Promise<AgentServer> {
  const temp = makeTempDir(`${prefix}`);
  const home = await dataDirWithMnist(`${prefix}home-`);
  const service = createService({ dataDir: home.dir, shell: 'server' });
  const server = await startServer({ service, port: 0 });
  const { sweepId } = await service.call('sweeps.start', { spec, runsOn: 'agents' });
  const tokenFile = join(temp.dir, 'token');
  writeFileSync(tokenFile, (await service.call('agents.createToken', { sweepId })).secret, { mode: 0o600 });
  return {
    home: home.dir,
    service,
    server,
    sweepId,
    tokenFile,
    scratch: temp.dir,
    agentArgs: (node) => {
      const dir = join(temp.dir, node);
      const where = ['--spool', join(dir, 'spool'), '--cache', join(dir, 'cache')];
      return ['--home', join(dir, 'home'), 'agent', '--server', server.url, '--token-file', tokenFile, '--threads', '1', ...where];
    },
    close: async () => {
      await server.close();
      await service.close();
      home.cleanup();
      temp.cleanup();
    },
  };
}
