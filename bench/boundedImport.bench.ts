/**
 * Bounded work per request (issue 12): `runs.import` of 100,000 runs (10 epochs × 4 metrics each,
 * a ~250 MiB export; 10,000 when quick) in a process of its own, through the service as every shell
 * calls it with the text in hand, then posted to browser mode's API by a client process, then read
 * from the file a part at a time as `kernellab runs import` does: wall and CPU
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

type Mode = 'text' | 'http' | 'file';

/** How each mode starts the import, in the importing process (`content` read before the clock starts). */
const importCall: Record<Mode, string> = {
  text: `await service.call('runs.import', { content })`,
  // The client is a process of its own (its copy of the text is not the server's memory): it posts
  // {"content": <the file as a JSON string>} escaped a piece at a time, as an API caller would send it.
  http: `await postFromChild()`,
  file: `await service.context.store.importRunsFile(file)`,
};

/** The API caller of `http` mode: streams the runs.import body to the server and prints its answer. */
function writeClient(path: string): void {
  writeFileSync(
    path,
    [
      `import { openSync, readSync } from 'node:fs';`,
      `import { request } from 'node:http';`,
      `const [url, token, file] = process.argv.slice(2);`,
      `const req = request(url, { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' } });`,
      `req.on('response', (res) => { let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => process.stdout.write(text)); });`,
      `const fd = openSync(file, 'r'); const buffer = Buffer.alloc(4 << 20);`,
      `req.write('{"content":"');`,
      // The bench's export is ASCII, so a piece never splits a character.
      `for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) { const piece = JSON.stringify(buffer.toString('latin1', 0, read)).slice(1, -1); if (!req.write(piece)) await new Promise((r) => req.once('drain', r)); }`,
      `req.end('"}');`,
    ].join('\n'),
  );
}

/**
 * The importing process: the service as the shells build it, a lag probe every 10 ms, and one
 * import of the file: `text` reads it into one string and calls `runs.import` in the process (what
 * an in-process caller holds), `http` serves browser mode's API and a client process posts the
 * text to `runs.import` (what an API caller sends), `file` reads it a part at a time as
 * `kernellab runs import <file>` does.
 */
function writeImporter(path: string, mode: Mode, client: string): void {
  writeFileSync(
    path,
    [
      `import { readFileSync } from 'node:fs';`,
      `import { spawn } from 'node:child_process';`,
      `import { createService } from ${JSON.stringify(join(root, 'src-main/core/service.ts'))};`,
      `import { startServer } from ${JSON.stringify(join(root, 'src-main/server/server.ts'))};`,
      `const [home, file] = process.argv.slice(2);`,
      `const service = createService({ dataDir: home, shell: 'server' });`,
      // The 100,000-run body is ~290 MB with its escapes: within the server's default limits for runs.import.
      mode === 'http' ? `const server = await startServer({ service, port: 0 });` : '',
      ...(mode === 'http'
        ? [
            `const postFromChild = () => new Promise((resolve, reject) => {`,
            `  const child = spawn(process.execPath, [${JSON.stringify(client)}, server.url + 'api/call/runs.import', server.token, file], { stdio: ['ignore', 'pipe', 'inherit'] });`,
            `  let out = ''; child.stdout.on('data', (c) => (out += c));`,
            `  child.once('exit', () => { const answer = JSON.parse(out); answer.ok ? resolve(answer.result) : reject(new Error(out)); });`,
            `});`,
          ]
        : []),
      `let worst = 0; let last = performance.now();`,
      `const lag = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last - 10); last = now; }, 10);`,
      // The in-process caller's own read of the file is not the import: done before the clock and the lag probe start.
      mode === 'text' ? `const content = readFileSync(file, 'utf8');` : '',
      `const cpu = process.cpuUsage();`,
      `const t = performance.now(); last = t;`,
      `const result = ${importCall[mode]};`,
      `const seconds = (performance.now() - t) / 1000;`,
      `const used = process.cpuUsage(cpu);`,
      `clearInterval(lag);`,
      mode === 'http' ? `await server.close();` : '',
      `await service.close();`,
      `process.stdout.write(JSON.stringify({ ...result, seconds, cpuSeconds: (used.user + used.system) / 1e6, worstLagMs: worst }));`,
    ].join('\n'),
  );
}

type Outcome = { imported: number; seconds: number; cpuSeconds: number; worstLagMs: number };

/** One import of the export in its own process, as `mode` reads it; its four rows. */
async function importRows(temp: string, exportPath: string, runs: number, mode: Mode): Promise<BenchResult[]> {
  const bytes = statSync(exportPath).size;
  const importer = join(temp, `import-${mode}.ts`);
  const client = join(temp, 'client.ts');
  writeClient(client);
  writeImporter(importer, mode, client);
  const importLoad = load();
  const imported = await measured([importer, join(temp, `import-home-${mode}`), exportPath]);
  const outcome = imported.code === 0 ? (JSON.parse(imported.stdout) as Outcome) : null;
  const count = runs.toLocaleString('en-US');
  const what = {
    text: `runs.import, ${count} runs`,
    http: `runs.import over HTTP (browser mode's API), ${count} runs`,
    file: `runs import from a file (kernellab runs import), ${count} runs`,
  }[mode];
  const how = {
    text: 'read into one string in the process then runs.import',
    http: 'posted by a client process as {"content": <the text>} to POST /api/call/runs.import (the server\'s default body limits)',
    file: 'read a part at a time (RunStore.importRunsFile)',
  }[mode];
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
      note: `VmHWM of the importing process${{ text: ', the export text itself included', http: ' (the server; not the client)', file: '' }[mode]}`,
    },
  ];
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const temp = makeTempDir('kernellab-bench-import-');
  try {
    const runs = context.quick ? 10_000 : 100_000;
    const exportPath = join(temp.dir, 'runs.json');
    writeExport(exportPath, runs, 10);
    const rows: BenchResult[] = [];
    for (const mode of ['text', 'http', 'file'] as const) rows.push(...(await importRows(temp.dir, exportPath, runs, mode)));
    return rows;
  } finally {
    temp.cleanup();
  }
}
