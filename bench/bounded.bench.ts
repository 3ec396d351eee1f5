/**
 * Bounded work per request (issue 12): the requests that once held the server for minutes, measured
 * end to end in real processes.
 * - `sweeps.start` of 100,000 points (one learning-rate axis × 10 repeats over LeNet-5, the shape of
 *   the request that ran 33 minutes) to a real `kernellab serve`, with `app.health` asked every
 *   50 ms throughout: the start's wall time and the slowest health answer. The sweep is queued for
 *   agents (runsOn: agents) so that nothing trains during the measurement; the queueing path is
 *   the same. Then `sweeps.cancel` of those 100,000 queued runs, the same way.
 * - `kernellab sweep --dry-run` of 1,000,000 points: wall time and peak resident memory of the CLI.
 * - `runs.import` of 100,000 runs (10 epochs × 4 metrics each, a 265 MB export) in a process of its
 *   own: wall time, peak resident memory and the longest the event loop was held.
 * Peak memory is Linux's VmHWM (absent elsewhere).
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
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

/** An export of `runs` completed runs, each with `epochs` epochs of four metrics, written straight to disk. */
function writeExport(path: string, runs: number, epochs: number): void {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, `{"format":"kernellab.runs","version":1,"exportedAt":${Date.now()},"experiments":[],"sweeps":[],"runs":[`);
    const spec = {
      name: 'lenet5_relu',
      inputShape: [28, 28, 1],
      numClasses: 10,
      layers: [
        { type: 'conv2d', filters: 6, kernelSize: 5, strides: 1, padding: 'same', activation: 'relu' },
        { type: 'maxPool2d', poolSize: 2, strides: 2 },
        { type: 'conv2d', filters: 16, kernelSize: 5, strides: 1, padding: 'valid', activation: 'relu' },
        { type: 'maxPool2d', poolSize: 2, strides: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 120, activation: 'relu' },
        { type: 'dense', units: 84, activation: 'relu' },
      ],
    };
    let seed = 1;
    const next = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (let i = 0; i < runs; i++) {
      const metrics: Record<string, [number, number, number, number][]> = {};
      for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy'])
        metrics[key] = Array.from({ length: epochs }, (_, e) => [e + 1, e + 1, 1_700_000_000_000 + e * 1000, next()]);
      const run = {
        uuid: randomUUID(),
        name: `bench run ${i + 1}`,
        experimentUuid: null,
        sweepUuid: null,
        parentRunUuid: null,
        derivedFromRunUuid: null,
        derivedEpochs: null,
        status: 'completed',
        modelSpec: spec,
        dataset: 'mnist',
        backend: 'wasm',
        device: 'bench',
        seed: i,
        hyperparameters: { epochs, batchSize: 64, learningRate: 0.001, optimizer: 'adam', validationSplit: 0.1 },
        environment: {},
        priority: 0,
        error: null,
        createdAt: 1,
        startedAt: 1,
        endedAt: 2,
        tags: [],
        note: '',
        checkpoints: [],
        evaluations: [],
        metrics,
      };
      writeSync(fd, (i ? ',' : '') + JSON.stringify(run));
    }
    writeSync(fd, ']}');
  } finally {
    closeSync(fd);
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
      const loadBefore = load();
      const start = await withHealthProbe(served, () =>
        callLong<{ sweepId: number; queued: number }>(served, 'sweeps.start', { spec, runsOn: 'agents' }),
      );
      results.push({
        name: `sweeps.start, ${points.toLocaleString('en-US')} points (serve)`,
        value: start.seconds,
        unit: 's',
        target: '≤ 5',
        note: `LeNet-5, one learning-rate axis × 10 repeats, ${start.value.queued.toLocaleString('en-US')} runs queued; request to answer, in a real kernellab serve; load avg ${loadBefore} before, ${load()} after`,
      });
      results.push({
        name: 'app.health during that sweeps.start, slowest',
        value: start.slowestHealthMs,
        unit: 'ms',
        target: '< 100',
        note: `${start.probes} answers, one asked every 50 ms${start.failed ? `; ${start.failed} failed` : ''}`,
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

    // ── runs.import of 100,000 runs ──
    const runs = context.quick ? 10_000 : 100_000;
    const exportPath = join(temp.dir, 'runs.json');
    writeExport(exportPath, runs, 10);
    const bytes = readFileSync(exportPath).length;
    const importer = join(temp.dir, 'import.ts');
    writeFileSync(
      importer,
      [
        `import { readFileSync } from 'node:fs';`,
        `import { createService } from ${JSON.stringify(join(root, 'src-main/core/service.ts'))};`,
        `const [home, file] = process.argv.slice(2);`,
        `const service = createService({ dataDir: home, shell: 'server' });`,
        `let worst = 0; let last = performance.now();`,
        `const lag = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 10); last = now; }, 10);`,
        `const content = readFileSync(file, 'utf8');`,
        `const t = performance.now();`,
        `const result = await service.call('runs.import', { content });`,
        `const seconds = (performance.now() - t) / 1000;`,
        `clearInterval(lag);`,
        `await service.close();`,
        `process.stdout.write(JSON.stringify({ ...result, seconds, worstLagMs: worst }));`,
      ].join('\n'),
    );
    const importLoad = load();
    const imported = await measured([importer, join(temp.dir, 'import-home'), exportPath]);
    const outcome = imported.code === 0 ? (JSON.parse(imported.stdout) as { imported: number; seconds: number; worstLagMs: number }) : null;
    results.push({
      name: `runs.import, ${runs.toLocaleString('en-US')} runs`,
      value: outcome?.seconds ?? null,
      unit: 's',
      target: '≤ 30',
      note: outcome
        ? `${outcome.imported.toLocaleString('en-US')} runs × 10 epochs × 4 metrics, ${(bytes / 2 ** 20).toFixed(0)} MiB of JSON; event loop held at most ${Math.round(outcome.worstLagMs)} ms at a time; load avg ${importLoad} before, ${load()} after`
        : `absent: the importer exited ${imported.code}`,
    });
    results.push({
      name: `runs.import, ${runs.toLocaleString('en-US')} runs, peak memory`,
      value: outcome ? imported.peakMiB : null,
      unit: 'MiB',
      target: '< 500',
      note: 'VmHWM of the importing process, the export text itself included',
    });
  } finally {
    temp.cleanup();
  }
  return results;
}
