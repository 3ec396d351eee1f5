/**
 * `npm run bench`: runs every bench/*.bench.ts in a fixed order, prints one table, and records
 * it with the machine's description in bench/results/latest.json and BENCHMARKS.md.
 *   KERNELLAB_BENCH_ONLY=store,training   run only these; the other benches' last rows are kept
 *   KERNELLAB_BENCH_QUICK=1               smaller workloads (figures marked quick)
 *   KERNELLAB_BENCH_MODELS=lenet5-relu,…  only these training workloads (training, profile, peers) or
 *                                         parity networks (the others' parity rows are kept)
 *   KERNELLAB_BENCH_PARITY_JOBS=3         parity: seeds trained at the same time (1–6, default 1)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatMarkdown, formatTable, type BenchModule, type BenchResult } from './types.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const order = [
  'store',
  'datasets',
  'training',
  'profile',
  'peers',
  'gpu',
  'sweeps',
  'search',
  'agents',
  'tracking',
  'startup',
  'sse',
  'bounded',
  'boundedImport',
  'ui',
  'inspect',
  'parity',
];
const only = process.env.KERNELLAB_BENCH_ONLY?.split(',').map((s) => s.trim());
const quick = process.env.KERNELLAB_BENCH_QUICK === '1';

interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  platform: string;
}
interface BenchRecord {
  bench: string;
  measuredAt: string;
  quick: boolean;
  machine: Machine;
  load?: number;
  rows: BenchResult[];
  failure?: string;
}

const names = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => basename(f, '.bench.ts'))
  .filter((n) => !only || only.includes(n))
  .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));

const machine: Machine = {
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
};
console.log(
  `KernelLab benchmarks on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}${quick ? ' (quick)' : ''}`,
);

const resultsDir = join(here, 'results');
const latestPath = join(resultsDir, 'latest.json');
const kept: BenchRecord[] = existsSync(latestPath)
  ? (JSON.parse(readFileSync(latestPath, 'utf8')) as { benches: BenchRecord[] }).benches
  : [];
const records = new Map(kept.map((r) => [r.bench, r]));

const thisRun: BenchResult[] = [];
const failures: string[] = [];
for (const name of names) {
  const started = Date.now();
  console.log(`\n== ${name}`);
  // The load average when the group started: figures from a busy machine are noisy, and say so.
  const record: BenchRecord = { bench: name, measuredAt: new Date().toISOString(), quick, machine, load: loadavg()[0]!, rows: [] };
  try {
    const module = (await import(join(here, `${name}.bench.ts`))) as BenchModule;
    record.rows = await module.run({ previous: thisRun, quick });
    console.log(formatTable(record.rows));
    thisRun.push(...record.rows);
  } catch (error) {
    record.failure = error instanceof Error ? error.message : String(error);
    failures.push(`${name}: ${record.failure}`);
    console.error(`${name} failed: ${record.failure}`);
  }
  records.set(name, record);
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

console.log('\n== this run');
console.log(formatTable(thisRun));

const all = [...records.values()].sort((a, b) => (order.indexOf(a.bench) + 1 || 99) - (order.indexOf(b.bench) + 1 || 99));
mkdirSync(resultsDir, { recursive: true });
writeFileSync(latestPath, JSON.stringify({ benches: all }, null, 2) + '\n');
const markdownPath = join(here, '..', 'BENCHMARKS.md');
const before = existsSync(markdownPath) ? sections(readFileSync(markdownPath, 'utf8')) : new Map<string, string>();
writeFileSync(markdownPath, benchmarksMarkdown(all, before, new Set(names)));
console.log('\nwritten: bench/results/latest.json, BENCHMARKS.md');
if (failures.length > 0) {
  console.error(`\n${failures.length} benchmark(s) failed:\n${failures.join('\n')}`);
  process.exitCode = 1;
}

/** BENCHMARKS.md's sections by group name: each from its `## name` line to the next one. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^(?=## )/m).slice(1);
  for (const part of parts) out.set(part.slice(3, part.indexOf('\n')).trim(), part.trimEnd());
  return out;
}

/**
 * The tables are written from what was measured. A group not measured by this run keeps its
 * section as it was, with the notes people wrote under its table (how it was measured, what it
 * means); a group measured again gets a fresh section, since notes about older figures would
 * now be wrong.
 */
function benchmarksMarkdown(benches: BenchRecord[], before: Map<string, string>, measured: Set<string>): string {
  const lines = [
    '# KernelLab benchmarks',
    '',
    'Written by `npm run bench` (bench/run.ts) from what it measured: the tables are never typed in by hand.',
    'The notes under a table are, and stay until that group is measured again.',
    'Reproduce on your machine with `npm run bench` (all), or `KERNELLAB_BENCH_ONLY=training npm run bench`',
    '(one group; the other groups keep their last rows and notes). Peer rows need `pip install tensorflow-cpu torch`',
    'and say "absent" when those are missing.',
    '',
  ];
  for (const b of benches) {
    const kept = measured.has(b.bench) ? undefined : before.get(b.bench);
    if (kept !== undefined) {
      lines.push(kept, '');
      continue;
    }
    const m = b.machine;
    lines.push(`## ${b.bench}`, '');
    lines.push(
      `Measured ${b.measuredAt.slice(0, 16).replace('T', ' ')} UTC on ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}${b.load === undefined ? '' : `, load average ${b.load.toFixed(1)} at the start`}${b.quick ? ' — quick (reduced) workload' : ''}.`,
      '',
    );
    if (b.failure) lines.push(`Failed: ${b.failure}`, '');
    if (b.rows.length > 0) lines.push(formatMarkdown(b.rows), '');
  }
  return lines.join('\n');
}
