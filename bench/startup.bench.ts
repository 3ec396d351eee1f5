/**
 * Start-up and idle cost of browser mode: time from spawning `kernellab serve` to a served page,
 * and the serving process's resident memory once idle (Linux /proc; absent elsewhere).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
        const m = out.match(/Open (http:\/\/\S+)/);
        if (m) resolve(m[1]!);
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

export async function run(_context: BenchContext): Promise<BenchResult[]> {
  const samples: { toPageMs: number; rss: number | null }[] = [];
  for (let i = 0; i < 5; i++) samples.push(await once());
  const times = samples.map((s) => s.toPageMs).sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const rss = samples[samples.length - 1]!.rss;
  return [
    { name: 'startup: `kernellab serve` spawn → page served (median of 5)', value: median, unit: 'ms' },
    { name: 'startup: serving process RSS, idle', value: rss, unit: 'MiB', note: rss === null ? 'absent: no /proc on this OS' : undefined },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: false })));
}
