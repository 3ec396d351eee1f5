/**
 * Remote agents against local workers (issue 15): 16 tiny runs (a 4-filter conv net, 300 MNIST
 * images, 1 epoch, wasm) trained by 4 local workers of a server's scheduler, then by 4
 * `kernellab agent` processes on this machine pulling from the same kind of server over HTTP.
 * Reported: both wall times, and what the protocol costs an agent per run — agent.claim's round
 * trip, the report/upload requests while it trains, and the drain + agent.finish after its worker
 * ended (targets: claim + stream + finish < 200 ms). The dataset fetch (once per node) is its own row.
 *
 * Metric ingest over HTTP: 4 clients report epoch events of 10 metrics each in batches of 500
 * events (5,000 points per request) to runs they claimed; points recorded per second of wall time
 * (target ≥ 50,000/s).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { AgentClient } from '../src-main/core/agents/client.ts';
import type { AgentEvent, AgentLease } from '../src-main/core/contract/agents.ts';
import type { SweepSpecInput } from '../src-main/core/contract/sweeps.ts';
import { createService, type Service } from '../src-main/core/service.ts';
import { dataDirWithMnist, tinyModel } from '../src-main/core/sweeps/sweepFixture.ts';
import { startServer } from '../src-main/server/server.ts';
import { cliPath } from '../src-main/test/servedKernellab.ts';
import type { BenchContext, BenchResult } from './types.ts';

/** `epochs`: the ingest part reports that many epochs per run (the server refuses epochs past a run's own). */
const spec = (runs: number, epochs = 1): SweepSpecInput => ({
  name: 'bench agents',
  base: {
    model: tinyModel,
    dataset: 'mnist',
    subset: { train: 300, test: 100 },
    hyperparameters: { epochs, batchSize: 32, learningRate: 0.01, validationSplit: 0.2, seed: 3, backend: 'wasm' },
  },
  axes: { kernelSize: [3, 5] },
  repeats: runs / 2,
  // The ingest runs have more than 10,000 epochs each (nothing trains them: the bench reports their
  // epochs as an agent would), which a sweep must confirm.
  yes: epochs > 10_000,
});

async function untilDone(service: Service, sweepId: number): Promise<void> {
  for (;;) {
    const p = await service.call('sweeps.progress', { id: sweepId });
    if (p.status !== 'running' && p.status !== 'pending') {
      if (p.completed !== p.planned) throw new Error(`sweep ended ${p.status}: ${p.text}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface AgentJson {
  runs: {
    runId: number;
    status: string | null;
    claimMs: number;
    streamMs: number;
    streamRequests: number;
    finishMs: number;
    fetchMs: number;
  }[];
}

function agentProcess(server: string, tokenFile: string, cache: string, spool: string): Promise<AgentJson> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cliPath, 'agent', '--server', server, '--token-file', tokenFile, '--cache', cache, '--spool', spool, '--threads', '1', '--json'],
      { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`agent failed: ${error.message}\n${stderr.slice(-2000)}`));
        else resolve(JSON.parse(stdout) as AgentJson);
      },
    );
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const runs = context.quick ? 8 : 16;
  const workers = 4;
  // The scheduler refuses more workers than the machine has CPUs: here the local side gets fewer.
  const localWorkers = Math.min(workers, availableParallelism());
  const load = () => loadavg()[0]!.toFixed(1);

  // 1. Local workers of the server's own scheduler.
  const localHome = await dataDirWithMnist('kernellab-bench-agents-local-');
  const localService = createService({ dataDir: localHome.dir, shell: 'server' });
  let localSeconds: number;
  try {
    await localService.call('sweeps.setConcurrency', { workers: localWorkers });
    const started = performance.now();
    const { sweepId } = await localService.call('sweeps.start', { spec: spec(runs) });
    await untilDone(localService, sweepId);
    localSeconds = (performance.now() - started) / 1000;
  } finally {
    await localService.close();
    localHome.cleanup();
  }
  const loadLocal = load();

  // 2. The same runs through four agent processes pulling over HTTP.
  const home = await dataDirWithMnist('kernellab-bench-agents-');
  const service = createService({ dataDir: home.dir, shell: 'server' });
  const server = await startServer({ service, port: 0 });
  let agentSeconds: number;
  let results: AgentJson[];
  let ingest: { points: number; seconds: number };
  let datasetFetchMs: number | undefined;
  try {
    const { sweepId } = await service.call('sweeps.start', { spec: spec(runs), runsOn: 'agents' });
    const tokenFile = join(home.dir, 'token');
    writeFileSync(tokenFile, (await service.call('agents.createToken', { sweepId })).secret, { mode: 0o600 });
    // Every agent fetches the dataset into one node cache first (what a node does once), so the
    // timed part is training and the protocol.
    const cache = join(home.dir, 'node-cache');
    const warm = await service.call('sweeps.start', { spec: spec(2), runsOn: 'agents' });
    const warmToken = join(home.dir, 'warm-token');
    writeFileSync(warmToken, (await service.call('agents.createToken', { sweepId: warm.sweepId })).secret, { mode: 0o600 });
    const warmed = await agentProcess(server.url, warmToken, cache, join(home.dir, 'spool-warm'));
    const fetchMs = warmed.runs[0]?.fetchMs ?? NaN;
    const started = performance.now();
    results = await Promise.all(
      Array.from({ length: workers }, (_, i) => agentProcess(server.url, tokenFile, cache, join(home.dir, `spool-${i}`))),
    );
    await untilDone(service, sweepId);
    agentSeconds = (performance.now() - started) / 1000;
    datasetFetchMs = fetchMs;

    // 3. Ingest: four clients, each on a run of its own, 5,000 points per request.
    const requests = context.quick ? 10 : 40;
    const perRequest = 500;
    const ingestSweep = await service.call('sweeps.start', { spec: spec(workers, requests * perRequest), runsOn: 'agents' });
    const secret = (await service.call('agents.createToken', { sweepId: ingestSweep.sweepId })).secret;
    const clients = Array.from({ length: workers }, () => new AgentClient({ server: server.url, token: secret }));
    const leases: AgentLease[] = [];
    for (const [i, client] of clients.entries()) {
      const id = `00000000-0000-4000-8000-00000000100${i}`;
      await client.call('agent.hello', { agent: { id, host: 'bench', job: '', backends: ['wasm'], maxRuns: null } });
      leases.push((await client.call('agent.claim', { agentId: id })).job!.lease);
    }
    const ingestStarted = performance.now();
    await Promise.all(
      clients.map(async (client, i) => {
        for (let r = 0; r < requests; r++) {
          const events: AgentEvent[] = Array.from({ length: perRequest }, (_, k) => {
            const epoch = r * perRequest + k + 1;
            return {
              type: 'epoch',
              epoch,
              values: Object.fromEntries(Array.from({ length: 10 }, (_, m) => [`metric_${m}`, Math.sin(epoch + m)])),
            };
          });
          const answer = await client.call('agent.report', { lease: leases[i]!, firstSeq: r * perRequest + 1, events });
          if (!answer.held) throw new Error('lost the lease during the ingest benchmark');
        }
      }),
    );
    ingest = { points: workers * requests * perRequest * 10, seconds: (performance.now() - ingestStarted) / 1000 };
    for (const client of clients) client.close();
  } finally {
    await server.close();
    await service.close();
    home.cleanup();
  }
  const loadAgents = load();
  const all = results.flatMap((r) => r.runs);
  const overhead = all.map((r) => r.claimMs + r.streamMs + r.finishMs);
  return [
    {
      name: `agents: ${runs} tiny runs, ${localWorkers} local workers`,
      value: localSeconds,
      unit: 's',
      note: `${localWorkers < workers ? `the scheduler allows at most ${localWorkers} (one per CPU) here; ` : ''}load avg ${loadLocal} after`,
    },
    {
      name: `agents: ${runs} tiny runs, ${workers} agent processes over HTTP`,
      value: agentSeconds,
      unit: 's',
      note: `${all.length} runs, ${all.filter((r) => r.status === 'completed').length} completed; each agent also starts a worker to probe backends; load avg ${loadAgents} after`,
    },
    {
      name: 'agents: protocol cost per run (claim + stream + finish)',
      value: mean(overhead),
      unit: 'ms',
      target: '< 200',
      note: `claim ${mean(all.map((r) => r.claimMs)).toFixed(0)} ms, stream ${mean(all.map((r) => r.streamMs)).toFixed(0)} ms in ${mean(all.map((r) => r.streamRequests)).toFixed(1)} requests, finish ${mean(all.map((r) => r.finishMs)).toFixed(0)} ms; max ${Math.max(...overhead).toFixed(0)} ms`,
    },
    {
      name: 'agents: dataset fetch, once per node (MNIST, 55 MB)',
      value: datasetFetchMs !== undefined && Number.isFinite(datasetFetchMs) ? datasetFetchMs : null,
      unit: 'ms',
    },
    {
      name: 'agents: metric ingest over HTTP',
      value: ingest.points / ingest.seconds,
      unit: 'points/s',
      target: '≥ 50,000',
      note: `${ingest.points.toLocaleString('en-US')} points from 4 clients, 5,000 per request (500 epoch events × 10 metrics), ${ingest.seconds.toFixed(1)} s`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
