/**
 * Bounded work per request (issue 12): the requests that once held the server for minutes, measured
 * end to end in real processes.
 * - `sweeps.start` of 100,000 points (one learning-rate axis × 10 repeats over LeNet-5, the shape of
 *   the request that ran 33 minutes) to a real `kernellab serve`, with `app.health` asked every
 *   50 ms throughout: the time to the answer (after the first chunk; the rest is queued in the
 *   background), the time until all runs are queued, and the slowest health answer. The sweep is queued for
 *   agents (runsOn: agents) so that nothing trains during the measurement; the queueing path is
 *   the same. Then `sweeps.cancel` of those 100,000 queued runs, the same way.
 * - `kernellab sweep --dry-run` of 1,000,000 points: wall time and peak resident memory of the CLI.
 * (`runs.import` of 100,000 runs is in boundedImport.bench.ts.)
 * Peak memory is Linux's VmHWM (absent elsewhere).
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDataDir } from '../src-main/core/home.ts';
import { serveKernellab, type ServedKernellab } from '../src-main/test/servedKernellab.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import type { BenchContext, BenchResult } from './types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The 1-minute load average, for the notes: these figures move with what else the machine runs. */
const load = () => loadavg()[0]!.toFixed(1);

function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number | null {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return null;
  const kb = readFileSync(status, 'utf8').match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1];
  return kb ? Number(kb) : null;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (in USER_HZ, 100 on
 * Linux's ABI): unlike wall time, it does not grow with what else the machine runs. Null elsewhere.
 */
function cpuSeconds(pid: number | undefined): number | null {
  const stat = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(stat)) return null;
  // Fields after the command name, which ends with ') ': state is the first, utime the 12th, stime the 13th.
  const fields = readFileSync(stat, 'utf8').split(') ').at(-1)!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs a process to its end, sampling its peak resident memory; resolves with wall time and peak MiB. */
function measured(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ seconds: number; peakMiB: number | null; stdout: string; code: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let peak: number | null = null;
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const timer = setInterval(() => {
    const hwm = child.pid ? statusKiB(child.pid, 'VmHWM') : null;
    if (hwm !== null) peak = Math.max(peak ?? 0, hwm);
  }, 20);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearInterval(timer);
      resolve({ seconds: (performance.now() - started) / 1000, peakMiB: peak === null ? null : peak / 1024, stdout, code });
    }),
  );
}

/**
 * One API call over plain node:http, with no client-side time limit: fetch (undici) gives up on an
 * answer that takes over 300 s, which a 100,000-point start can on a loaded machine.
 */
function callLong<T>(served: ServedKernellab, method: string, input: unknown): Promise<T> {
  const body = JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const req = request(
      `${served.base}/api/call/${method}`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${served.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const answer = JSON.parse(text) as { ok: boolean; result: T; error?: { message: string } };
          if (answer.ok) resolve(answer.result);
          else reject(new Error(`${method}: ${answer.error?.message}`));
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Asks app.health every 50 ms while `work` runs; resolves with the work's result, its seconds and the slowest answer (ms). */
async function withHealthProbe<T>(
  served: ServedKernellab,
  work: () => Promise<T>,
): Promise<{ value: T; seconds: number; slowestHealthMs: number; probes: number; failed: number }> {
  let slowest = 0;
  let probes = 0;
  let failed = 0;
  let done = false;
  const probe = (async () => {
    while (!done) {
      const t = performance.now();
      try {
        await served.call('app.health');
        slowest = Math.max(slowest, performance.now() - t);
        probes++;
      } catch {
        failed++;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const started = performance.now();
  try {
    const value = await work();
    return { value, seconds: (performance.now() - started) / 1000, slowestHealthMs: slowest, probes, failed };
  } finally {
    done = true;
    await probe;
  }
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const temp = makeTempDir('kernellab-bench-bounded-');
  try {
    // ── sweeps.start of 100,000 points, with app.health probed ──
    const points = context.quick ? 10_000 : 100_000;
    const layout = ensureDataDir(join(temp.dir, 'home'));
    const served = await serveKernellab(layout.root);
    try {
      const spec = {
        base: { preset: 'lenet5-relu', dataset: 'mnist' },
        axes: { learningRate: { min: 0.0001, max: 0.01, steps: points / 10 } },
        repeats: 10,
        yes: true,
      };
      // The probe's first call pays for loading fetch (undici) and opening its connection in this
      // process, not for the server: it is made, timed and reported before the measurement starts.
      const warmStarted = performance.now();
      await served.call('app.health');
      const firstHealthMs = performance.now() - warmStarted;
      const loadBefore = load();
      const cpuBefore = cpuSeconds(served.child.pid);
      let answerSeconds = 0;
      let cpuAtAnswer: number | null = null;
      // From the request until every run is queued: the answer comes after the first chunk, the rest
      // is queued in the background (sweeps.progress says `queueing` until then, polled every 250 ms).
      const start = await withHealthProbe(served, async () => {
        const requested = performance.now();
        const answer = await callLong<{ sweepId: number; queued: number; planned: number; queueing: boolean }>(served, 'sweeps.start', {
          spec,
          runsOn: 'agents',
        });
        answerSeconds = (performance.now() - requested) / 1000;
        cpuAtAnswer = cpuSeconds(served.child.pid);
        for (;;) {
          const progress = await served.call<{ queueing: unknown; queued: number }>('sweeps.progress', { id: answer.sweepId });
          if (progress.queueing === null) return { ...answer, queuedInAll: progress.queued };
          await new Promise((r) => setTimeout(r, 250));
        }
      });
      const cpuAfter = cpuSeconds(served.child.pid);
      const cpu = (at: number | null) => (cpuBefore === null || at === null ? null : at - cpuBefore);
      results.push({
        name: `sweeps.start, ${points.toLocaleString('en-US')} points (serve), answer`,
        value: answerSeconds,
        unit: 's',
        target: '≤ 5',
        note: `LeNet-5, one learning-rate axis × 10 repeats; request to answer, in a real kernellab serve: ${start.value.queued.toLocaleString('en-US')} of ${start.value.planned.toLocaleString('en-US')} runs queued by then${start.value.queueing ? ', the rest in the background' : ''}; serve CPU to the answer ${cpu(cpuAtAnswer)?.toFixed(2) ?? 'absent'} s; load avg ${loadBefore} before`,
      });
      results.push({
        name: `sweeps.start, ${points.toLocaleString('en-US')} points (serve), all runs queued`,
        value: start.seconds,
        unit: 's',
        note: `request until sweeps.progress says queueing is over (${start.value.queuedInAll.toLocaleString('en-US')} runs queued, polled every 250 ms); load avg ${load()} after`,
      });
      results.push({
        name: `sweeps.start, ${points.toLocaleString('en-US')} points, serve CPU`,
        value: cpu(cpuAfter),
        unit: 's',
        note:
          cpuBefore === null
            ? 'absent: needs Linux /proc'
            : 'user + system CPU seconds of the kernellab serve process from request until all runs are queued (its scheduler tick, the progress polls and the health answers included); less load-dependent than wall time',
      });
      results.push({
        name: 'app.health during that sweeps.start, slowest',
        value: start.slowestHealthMs,
        unit: 'ms',
        target: '< 100',
        note: `${start.probes} answers, one asked every 50 ms from the request until all runs were queued${start.failed ? `; ${start.failed} failed` : ''}; the probe's first call (${Math.round(firstHealthMs)} ms: loading fetch and opening its connection in the bench process) was made before and is not counted`,
      });
      const cancel = await withHealthProbe(served, () =>
        callLong<{ canceled: number }>(served, 'sweeps.cancel', { id: start.value.sweepId }),
      );
      results.push({
        name: `sweeps.cancel, ${points.toLocaleString('en-US')} queued runs (serve)`,
        value: cancel.seconds,
        unit: 's',
        note: `${cancel.value.canceled.toLocaleString('en-US')} canceled; slowest app.health meanwhile ${Math.round(cancel.slowestHealthMs)} ms; load avg ${load()} after`,
      });
      const peak = served.child.pid ? statusKiB(served.child.pid, 'VmHWM') : null;
      results.push({
        name: 'kernellab serve peak memory through both',
        value: peak === null ? null : peak / 1024,
        unit: 'MiB',
        note: peak === null ? 'absent: needs Linux /proc' : 'VmHWM of the serving process',
      });
    } finally {
      served.child.kill('SIGTERM');
      await served.exited;
    }

    // ── kernellab sweep --dry-run of 1,000,000 points ──
    const dryPoints = context.quick ? 100_000 : 1_000_000;
    const specFile = join(temp.dir, 'million.yaml');
    writeFileSync(
      specFile,
      [
        'base:',
        '  preset: lenet5-relu',
        '  dataset: mnist',
        'axes:',
        `  learningRate: { min: 0.0001, max: 0.01, steps: ${dryPoints / 10} }`,
        'repeats: 10',
        'yes: true',
      ].join('\n'),
    );
    const dryLoad = load();
    const dry = await measured(['bin/kernellab.js', '--home', join(temp.dir, 'dry-home'), 'sweep', specFile, '--dry-run']);
    results.push({
      name: `kernellab sweep --dry-run, ${dryPoints.toLocaleString('en-US')} points`,
      value: dry.code === 0 ? dry.seconds : null,
      unit: 's',
      note:
        dry.code === 0
          ? `the CLI from start to exit; ${dry.stdout.split('\n')[0]}; load avg ${dryLoad} before, ${load()} after`
          : `absent: exited ${dry.code}`,
    });
    results.push({
      name: `kernellab sweep --dry-run, ${dryPoints.toLocaleString('en-US')} points, peak memory`,
      value: dry.code === 0 ? dry.peakMiB : null,
      unit: 'MiB',
      note: 'VmHWM of the CLI process',
    });
  } finally {
    temp.cleanup();
  }
  return results;
}
