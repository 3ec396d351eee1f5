/**
 * Start-up and idle cost of browser mode: time from spawning `kernellab serve` to a served page,
 * and the serving process's resident memory once idle (Linux /proc; absent elsewhere).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findServedAddress } from '../src-main/cli/serveAddress.ts';
import { installFromFiles, mnistDataFiles } from '../src-main/core/datasets/index.ts';
import { ensureDataDir } from '../src-main/core/home.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { serveKernellab, until } from '../src-main/test/servedKernellab.ts';
import type { BenchContext, BenchResult } from './types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function rssMiB(pid: number): number | null {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return null;
  const kb = readFileSync(status, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1];
  return kb ? Number(kb) / 1024 : null;
}

async function once(): Promise<{ toPageMs: number; rss: number | null }> {
  const home = mkdtempSync(join(tmpdir(), 'kernellab-bench-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['bin/kernellab.js', 'serve', '--port', '0', '--home', home], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const found = findServedAddress(out);
        if (found) resolve(found.url);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const page = await fetch(url);
    if (page.status !== 200) throw new Error(`page answered ${page.status}: run npm run build first`);
    await page.text();
    const toPageMs = performance.now() - started;
    await new Promise((r) => setTimeout(r, 1500));
    return { toPageMs, rss: child.pid ? rssMiB(child.pid) : null };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}

/** Peak RSS of the serving (main) process while it schedules a small real sweep: 2 workers, 4 runs. */
async function rssDuringSweep(): Promise<number | null> {
  const temp = makeTempDir('kernellab-bench-sweep-rss-');
  const layout = ensureDataDir(join(temp.dir, 'home'));
  await installFromFiles(layout.datasets, 'mnist', mnistDataFiles());
  const served = await serveKernellab(layout.root);
  const pid = served.child.pid!;
  const samples: number[] = [];
  try {
    const spec = {
      base: { preset: 'lenet5-relu', dataset: 'mnist', subset: { train: 3000, test: 500 }, hyperparameters: { backend: 'wasm', seed: 1 } },
      axes: { kernelSize: [3, 5], epochs: [1, 2] },
      fold: false,
    };
    const { sweepId } = await served.call<{ sweepId: number }>('sweeps.start', { spec });
    await until(
      'the sweep to finish',
      async () => {
        const rss = rssMiB(pid);
        if (rss !== null) samples.push(rss);
        const p = await served.call<{ status: string }>('sweeps.progress', { id: sweepId });
        return ['completed', 'failed', 'canceled'].includes(p.status) ? p : undefined;
      },
      600_000,
    );
  } finally {
    served.child.kill('SIGTERM');
    await served.exited;
    temp.cleanup();
  }
  return samples.length > 0 ? Math.max(...samples) : null;
}

export async function run(_context: BenchContext): Promise<BenchResult[]> {
  const samples: { toPageMs: number; rss: number | null }[] = [];
  for (let i = 0; i < 5; i++) samples.push(await once());
  const times = samples.map((s) => s.toPageMs).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const rss = samples[samples.length - 1]!.rss;
  return [
    { name: 'startup: `kernellab serve` spawn → page served (median of 5)', value: median, unit: 'ms' },
    { name: 'startup: serving process RSS, idle', value: rss, unit: 'MiB', note: rss === null ? 'absent: no /proc on this OS' : undefined },
    {
      name: 'startup: serving process RSS, peak while a sweep runs',
      value: rss === null ? null : await rssDuringSweep(),
      unit: 'MiB',
      note: 'LeNet-5, kernel 3,5 × epochs 1,2 unfolded on 3,000 MNIST images; training itself is in the workers',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: false })));
}
