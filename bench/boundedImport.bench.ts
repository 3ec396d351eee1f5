/**
 * Bounded work per request (issue 12): `runs.import` of 100,000 runs (10 epochs × 4 metrics each,
 * a ~250 MiB export; 10,000 when quick) in a process of its own, through the service as every shell
 * calls it, then read from the file a part at a time as `kernellab runs import` does: wall and CPU
 * time, peak resident memory (Linux's VmHWM) and the longest the event loop was held. The import's
 * transactions run on that loop, so the longest hold also bounds how long the single writer was
 * held at a time, and how long an `app.health` would wait.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportedRun, writeRunsExport } from '../src-main/test/runsExport.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import type { BenchContext, BenchResult } from './types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** The 1-minute load average, for the notes: these figures move with what else the machine runs. */
const load = () => loadavg()[0]!.toFixed(1);

function peakKiB(pid: number): number | null {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return null;
  const kb = readFileSync(status, 'utf8').match(/VmHWM:\s+(\d+) kB/)?.[1];
  return kb ? Number(kb) : null;
}

/** Runs a process to its end, sampling its peak resident memory; resolves with wall time and peak MiB. */
function measured(args: string[]): Promise<{ seconds: number; peakMiB: number | null; stdout: string; code: number | null }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let peak: number | null = null;
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const timer = setInterval(() => {
    const hwm = child.pid ? peakKiB(child.pid) : null;
    if (hwm !== null) peak = Math.max(peak ?? 0, hwm);
  }, 20);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearInterval(timer);
      resolve({ seconds: (performance.now() - started) / 1000, peakMiB: peak === null ? null : peak / 1024, stdout, code });
    }),
  );
}

/** An export of `runs` completed runs, each with `epochs` epochs of four metrics, written straight to disk. */
export function writeExport(path: string, runs: number, epochs: number): void {
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
  const runAt = (i: number) => {
    const metrics: Record<string, [number, number, number, number][]> = {};
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy'])
      metrics[key] = Array.from({ length: epochs }, (_, e) => [e + 1, e + 1, 1_700_000_000_000 + e * 1000, next()]);
    return exportedRun({
      name: `bench run ${i + 1}`,
      modelSpec: spec,
      device: 'bench',
      seed: i,
      hyperparameters: { epochs, batchSize: 64, learningRate: 0.001, optimizer: 'adam', validationSplit: 0.1 },
      startedAt: 1,
      endedAt: 2,
      metrics,
    });
  };
  writeRunsExport(path, runs, runAt, Date.now());
}

/**
 * The importing process: the service as the shells build it, a lag probe every 10 ms, and one
 * import of the file: `text` reads it into one string and calls `runs.import` (what an API caller
 * sends), `file` reads it a part at a time as `kernellab runs import <file>` does.
 */
function writeImporter(path: string, mode: 'text' | 'file'): void {
  writeFileSync(
    path,
    [
      `import { readFileSync } from 'node:fs';`,
      `import { createService } from ${JSON.stringify(join(root, 'src-main/core/service.ts'))};`,
      `const [home, file] = process.argv.slice(2);`,
      `const service = createService({ dataDir: home, shell: 'server' });`,
      `let worst = 0; let last = performance.now();`,
      `const lag = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 10); last = now; }, 10);`,
      `const cpu = process.cpuUsage();`,
      `const t = performance.now(); last = t;`,
      mode === 'text'
        ? `const result = await service.call('runs.import', { content: readFileSync(file, 'utf8') });`
        : `const result = await service.context.store.importRunsFile(file);`,
      `const seconds = (performance.now() - t) / 1000;`,
      `const used = process.cpuUsage(cpu);`,
      `clearInterval(lag);`,
      `await service.close();`,
      `process.stdout.write(JSON.stringify({ ...result, seconds, cpuSeconds: (used.user + used.system) / 1e6, worstLagMs: worst }));`,
    ].join('\n'),
  );
}

type Outcome = { imported: number; seconds: number; cpuSeconds: number; worstLagMs: number };

/** One import of the export in its own process, as `mode` reads it; its four rows. */
async function importRows(temp: string, exportPath: string, runs: number, mode: 'text' | 'file'): Promise<BenchResult[]> {
  const bytes = statSync(exportPath).size;
  const importer = join(temp, `import-${mode}.ts`);
  writeImporter(importer, mode);
  const importLoad = load();
  const imported = await measured([importer, join(temp, `import-home-${mode}`), exportPath]);
  const outcome = imported.code === 0 ? (JSON.parse(imported.stdout) as Outcome) : null;
  const what =
    mode === 'text'
      ? `runs.import, ${runs.toLocaleString('en-US')} runs`
      : `runs import from a file (kernellab runs import), ${runs.toLocaleString('en-US')} runs`;
  const how = mode === 'text' ? 'read into one string then runs.import' : 'read a part at a time (RunStore.importRunsFile)';
  return [
    {
      name: what,
      value: outcome?.seconds ?? null,
      unit: 's',
      target: '≤ 30',
      note: outcome
        ? `${outcome.imported.toLocaleString('en-US')} runs × 10 epochs × 4 metrics, ${(bytes / 2 ** 20).toFixed(0)} MiB of JSON, ${how}; load avg ${importLoad} before, ${load()} after`
        : `absent: the importer exited ${imported.code}`,
    },
    {
      name: `${what}, CPU time`,
      value: outcome?.cpuSeconds ?? null,
      unit: 's',
      note: 'user + system CPU of the importing process during the import (process.cpuUsage): steadier than wall time on a shared machine',
    },
    {
      name: `${what}, longest hold of the event loop (and the writer)`,
      value: outcome?.worstLagMs ?? null,
      unit: 'ms',
      target: '≤ ~100',
      note: 'a 10 ms timer in the importing process, late by this much at worst; every write transaction runs on that loop',
    },
    {
      name: `${what}, peak memory`,
      value: outcome ? imported.peakMiB : null,
      unit: 'MiB',
      target: '< 500',
      note: `VmHWM of the importing process${mode === 'text' ? ', the export text itself included' : ''}`,
    },
  ];
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const temp = makeTempDir('kernellab-bench-import-');
  try {
    const runs = context.quick ? 10_000 : 100_000;
    const exportPath = join(temp.dir, 'runs.json');
    writeExport(exportPath, runs, 10);
    return [...(await importRows(temp.dir, exportPath, runs, 'text')), ...(await importRows(temp.dir, exportPath, runs, 'file'))];
  } finally {
    temp.cleanup();
  }
}
