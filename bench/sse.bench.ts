/**
 * Browser mode under clients that stop reading: 50 Server-Sent-Event connections stay open on a
 * real `kernellab serve` while it runs a real sweep (phase 1) and then while a big search is
 * queued and canceled twice, as a user changing their mind does (phase 2: one event per run, in
 * bursts). Done once with 50 clients that read and once with 50 that never read a byte (stuck
 * tabs, dead links); one more client always reads and counts what each client was sent.
 * Measured: growth of the serving process's resident memory in each phase (Linux /proc) and how
 * many stuck clients the server dropped. Without backpressure every stuck client keeps its whole
 * backlog in the server's memory.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findServedAddress } from '../src-main/cli/serveAddress.ts';
import { installFromFiles, mnistDataFiles } from '../src-main/core/datasets/index.ts';
import { ensureDataDir } from '../src-main/core/home.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { until } from '../src-main/test/servedKernellab.ts';
import type { BenchContext, BenchResult } from './types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const stuckClientCount = 50;

function rssMiB(pid: number): number | null {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return null;
  const kb = readFileSync(status, 'utf8').match(/VmRSS:\s+(\d+) kB/)?.[1];
  return kb ? Number(kb) / 1024 : null;
}

/**
 * An SSE connection; a stuck one reads nothing after the server's first answer (its bytes wait
 * unread), the others read and discard everything.
 */
function client(port: number, token: string, reads: boolean): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      socket.once('data', () => {
        if (!reads) socket.pause();
        resolve(socket);
      });
    });
    socket.on('error', () => undefined);
    socket.once('error', reject);
  });
}

interface Phase {
  before: number | null;
  peak: number | null;
}

interface Outcome {
  sweep: Phase;
  storm: Phase;
  sweepEvents: number;
  sweepBytes: number;
  stormEvents: number;
  stormBytes: number;
  dropped: number;
  runs: number;
  train: number;
  points: number;
}

/** One serving process, one sweep, with `count` SSE connections that read (`reads`) or never read. */
async function scenario(context: BenchContext, count: number, reads: boolean): Promise<Outcome> {
  const temp = makeTempDir('kernellab-bench-sse-');
  const layout = ensureDataDir(join(temp.dir, 'home'));
  await installFromFiles(layout.datasets, 'mnist', mnistDataFiles());
  const child = spawn(process.execPath, ['bin/kernellab.js', 'serve', '--port', '0', '--home', layout.root], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const sockets: Socket[] = [];
  const reader = new AbortController();
  let reading: Promise<void> = Promise.resolve();
  try {
    const { base, port, token } = await new Promise<{ base: string; port: number; token: string }>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const found = findServedAddress(out);
        if (found) resolve(found);
      });
      child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const call = async <T>(method: string, input: unknown): Promise<T> => {
      const res = await fetch(`${base}/api/call/${method}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}` },
        body: JSON.stringify(input),
      });
      const body = (await res.json()) as { ok: boolean; result: T; error?: { message: string } };
      if (!body.ok) throw new Error(`${method}: ${body.error?.message}`);
      return body.result;
    };
    const pid = child.pid!;

    // The one client that reads: what it is sent is what every stuck client was owed.
    let bytes = 0;
    let events = 0;
    const response = await fetch(`${base}/api/events`, { headers: { Authorization: `Bearer ${token}` }, signal: reader.signal });
    reading = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of response.body!) {
        bytes += chunk.length;
        events += decoder.decode(chunk, { stream: true }).split('data: ').length - 1;
      }
    })().catch(() => undefined);
    for (let i = 0; i < count; i++) sockets.push(await client(port, token, reads));
    // A moment at idle with every client connected, then the baseline.
    await new Promise((r) => setTimeout(r, 2000));
    const before = rssMiB(pid);

    const spec = {
      base: {
        preset: 'lenet5-relu',
        dataset: 'mnist',
        subset: { train: context.quick ? 1000 : 3000, test: 500 },
        hyperparameters: { backend: 'wasm', seed: 1 },
      },
      axes: { kernelSize: context.quick ? [3, 5] : [3, 5, 7], epochs: [1, 2] },
      fold: false,
    };
    // Phase 1: the sweep trains to the end while the clients are connected.
    const sweepSamples: number[] = [];
    const { sweepId } = await call<{ sweepId: number }>('sweeps.start', { spec });
    await until(
      'the sweep to finish',
      async () => {
        const rss = rssMiB(pid);
        if (rss !== null) sweepSamples.push(rss);
        const p = await call<{ status: string }>('sweeps.progress', { id: sweepId });
        return ['completed', 'failed', 'canceled'].includes(p.status) ? p : undefined;
      },
      1_200_000,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const sweepEvents = events;
    const sweepBytes = bytes;
    // Phase 2, a storm of events: the user queues a big learning-rate search and thinks better of
    // it, twice. Every run queued and canceled is a run.updated event each open page is sent.
    const stormBefore = rssMiB(pid);
    const stormSamples: number[] = [];
    const points = context.quick ? 1000 : 5000;
    for (let round = 0; round < 2; round++) {
      const big = await call<{ sweepId: number }>('sweeps.start', {
        spec: {
          base: { preset: 'lenet5-relu', dataset: 'mnist', subset: { train: 1000, test: 200 } },
          axes: { learningRate: { min: 0.0001, max: 0.01, steps: points } },
        },
      });
      const rss = rssMiB(pid);
      if (rss !== null) stormSamples.push(rss);
      await call('sweeps.cancel', { id: big.sweepId });
      const after = rssMiB(pid);
      if (after !== null) stormSamples.push(after);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const last = rssMiB(pid);
    if (last !== null) stormSamples.push(last);
    const peakOf = (samples: number[]) => (samples.length > 0 ? Math.max(...samples) : null);
    // Which stuck clients the server dropped: read each now; a dropped one ends once the bytes the
    // kernel held for it are read, a kept one goes on (heartbeats) without ending.
    const ended = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 3000);
            socket.once('close', () => {
              clearTimeout(timer);
              resolve(true);
            });
            socket.resume();
          }),
      ),
    );
    const dropped = ended.filter(Boolean).length;
    const runs = spec.axes.kernelSize.length * spec.axes.epochs.length;
    return {
      sweep: { before, peak: peakOf(sweepSamples) },
      storm: { before: stormBefore, peak: peakOf(stormSamples) },
      sweepEvents,
      sweepBytes,
      stormEvents: events - sweepEvents,
      stormBytes: bytes - sweepBytes,
      dropped,
      runs,
      train: spec.base.subset.train,
      points,
    };
  } finally {
    reader.abort();
    await reading;
    for (const s of sockets) s.destroy();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    temp.cleanup();
  }
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  // The same two phases twice, in a fresh server each time: with 50 clients that read, then with
  // 50 that never do. What differs between the two is what not reading costs.
  const reading = await scenario(context, stuckClientCount, true);
  const stuck = await scenario(context, stuckClientCount, false);
  const growth = (p: Phase) => (p.before === null || p.peak === null ? null : p.peak - p.before);
  const mib = (p: Phase) => `${p.before!.toFixed(0)} → ${p.peak!.toFixed(0)} MiB`;
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
  const absent = stuck.sweep.before === null ? 'absent: no /proc on this OS' : undefined;
  const sweep = `LeNet-5 sweep of ${stuck.runs} runs on ${stuck.train} MNIST images (wasm, 2 workers)`;
  return [
    {
      name: `sse: serving RSS growth during a sweep with ${stuckClientCount} non-reading SSE clients`,
      value: growth(stuck.sweep),
      unit: 'MiB',
      target: '< 50',
      note:
        absent ??
        `${mib(stuck.sweep)}; ${sweep}; each client was sent ${stuck.sweepEvents} events (${kib(stuck.sweepBytes)}); with ${stuckClientCount} clients that read: ${growth(reading.sweep)!.toFixed(1)} MiB`,
    },
    {
      name: `sse: serving RSS growth while 2 × ${stuck.points} runs are queued and canceled, ${stuckClientCount} SSE clients that read`,
      value: growth(reading.storm),
      unit: 'MiB',
      note: absent ?? `${mib(reading.storm)}; each client was sent ${reading.stormEvents} events (${kib(reading.stormBytes)})`,
    },
    {
      name: `sse: the same with ${stuckClientCount} SSE clients that never read`,
      value: growth(stuck.storm),
      unit: 'MiB',
      target: '< 50 more than with readers',
      note:
        absent ??
        `${mib(stuck.storm)}, ${(growth(stuck.storm)! - growth(reading.storm)!).toFixed(1)} MiB more than with readers; the server dropped ${stuck.dropped} of ${stuckClientCount} stuck clients by the end`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
