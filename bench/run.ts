/**
 * `npm run bench`: runs every bench/*.bench.ts in a fixed order, prints one table and writes it
 * with the machine's description to bench/results/latest.json (and a dated copy).
 *   KERNELLAB_BENCH_ONLY=store,training   run only these
 *   KERNELLAB_BENCH_QUICK=1               smaller workloads (figures marked quick)
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, type BenchModule, type BenchResult } from './types.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const order = ['store', 'datasets', 'training', 'peers', 'sweeps', 'tracking', 'startup', 'ui'];
const only = process.env.KERNELLAB_BENCH_ONLY?.split(',').map((s) => s.trim());
const quick = process.env.KERNELLAB_BENCH_QUICK === '1';

const names = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => basename(f, '.bench.ts'))
  .filter((n) => !only || only.includes(n))
  .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));

const machine = {
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  date: new Date().toISOString(),
  quick,
};
console.log(
  `KernelLab benchmarks on ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}${quick ? ' (quick)' : ''}`,
);

const results: BenchResult[] = [];
const failures: string[] = [];
for (const name of names) {
  const started = Date.now();
  console.log(`\n== ${name}`);
  try {
    const module = (await import(join(here, `${name}.bench.ts`))) as BenchModule;
    const rows = await module.run({ previous: results, quick });
    console.log(formatTable(rows));
    results.push(...rows);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    failures.push(`${name}: ${message}`);
    console.error(`${name} failed: ${message}`);
  }
  console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

console.log('\n== all results');
console.log(formatTable(results));
const resultsDir = join(here, 'results');
mkdirSync(resultsDir, { recursive: true });
const record = JSON.stringify({ machine, results, failures }, null, 2) + '\n';
writeFileSync(join(resultsDir, 'latest.json'), record);
writeFileSync(join(resultsDir, `${machine.date.replace(/[:.]/g, '-')}.json`), record);
console.log(`\nwritten: bench/results/latest.json`);
if (failures.length > 0) {
  console.error(`\n${failures.length} benchmark(s) failed:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
