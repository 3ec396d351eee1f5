/**
 * KernelLab (wasm, and the tensorflow engine where it is installed) beside Keras and PyTorch on the
 * same workloads, measured the same way by processes of the same shape (bench/kernellabPeer.ts and
 * bench/reference/peer.py):
 *
 * - one thread, then every core (each framework's own pool: wasm's XNNPACK threads, TF's
 *   intra/inter-op pools, torch's threads), with the settings in force recorded by each process;
 * - warm-up batches excluded (tracing, first allocations), then a fixed window of batches;
 * - images per wall-clock second and images per CPU-second of the whole process: a "1-thread"
 *   Keras still runs its input pipeline and runtime on other threads, and CPU time is what other
 *   work on a shared machine cannot take away;
 * - KernelLab, Keras and PyTorch run alternately, three rounds, best of three: load hits all alike;
 *   each row says the load average before and after.
 *
 * Then, unless quick, each trains the whole workload once (every core) for its test accuracy.
 * Rows say "absent" with the reason when a framework is not installed; no remembered figure is
 * ever substituted.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { engineProcessEnv } from '../src-main/core/engine/layout.ts';
import { queryNvidiaGpus } from '../src-main/core/engine/tools.ts';
import { findInstalledEngine, type InstalledEngine } from '../src-main/test/installedEngine.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import type { BenchContext, BenchResult } from './types.ts';
import { installWorkloadData, peerDataDir, trainingWorkloads, workloadAbsent, workloadLabel, type TrainingWorkload } from './workloads.ts';

const peerScript = fileURLToPath(new URL('./reference/peer.py', import.meta.url));
const kernellabScript = fileURLToPath(new URL('./kernellabPeer.ts', import.meta.url));
const frameworks = ['kernellab', 'kernellab-tensorflow', 'keras', 'torch'] as const;
type Framework = (typeof frameworks)[number];
const rounds = 3;

interface PeerOutput {
  absent?: string;
  error?: string;
  version?: string;
  threads_in_force?: unknown;
  load_before?: number;
  load_after?: number;
  timed_images?: number;
  images_per_s?: number;
  images_per_cpu_s?: number;
  test_accuracy?: number | null;
}

/** The timing window per workload: long enough for a few seconds of KernelLab's slowest case. */
function windowOf(w: TrainingWorkload, quick: boolean): { warmup: number; timed: number } {
  const timed = { 'lenet5-relu': 150, 'mnist-two-conv': 40, 'lenet5-swish': 100, 'fashion-bn-dropout': 16 }[w.model];
  return { warmup: w.model === 'fashion-bn-dropout' ? 10 : 20, timed: quick ? Math.max(5, Math.round(timed / 5)) : timed };
}

/** The installed tensorflow engine (where `kernellab engine install tensorflow` put it), or why none. */
const engine = findInstalledEngine();

function runPeer(framework: Framework, w: TrainingWorkload, datasetsDir: string, args: string[]): PeerOutput {
  const common = ['--model', w.model, '--dataset', w.dataset, '--batch', String(w.batchSize), ...args];
  if (framework === 'kernellab-tensorflow' && typeof engine === 'string') return { absent: engine };
  try {
    const text =
      framework === 'kernellab'
        ? execFileSync(process.execPath, [kernellabScript, '--datasets-dir', datasetsDir, ...common], execOptions)
        : framework === 'kernellab-tensorflow'
          ? execFileSync(process.execPath, [kernellabScript, '--backend', 'tensorflow', '--datasets-dir', datasetsDir, ...common], {
              ...execOptions,
              // As a worker gets it: the engine folder (and a GPU engine's CUDA libraries) in its environment.
              env: { ...process.env, ...engineProcessEnv((engine as InstalledEngine).dir, (engine as InstalledEngine).manifest) },
            })
          : execFileSync('python3', [peerScript, '--framework', framework, '--data-dir', peerDataDir(w.dataset)!, ...common], execOptions);
    return JSON.parse(text.trim().split('\n').pop()!) as PeerOutput;
  } catch (error) {
    const message = (error as Error).message.split('\n')[0];
    return {
      absent: framework.startsWith('kernellab') ? `the KernelLab process failed: ${message}` : `python3 or peer.py failed: ${message}`,
    };
  }
}
const execOptions = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 24 };

const fmt = (n: number | undefined) => (n === undefined ? '?' : Math.round(n).toLocaleString('en-US'));
const threadsLabel = (threads: number) => (threads === 1 ? '1 thread' : `all ${threads} threads`);
const name = (f: Framework) =>
  ({ kernellab: 'KernelLab wasm', 'kernellab-tensorflow': 'KernelLab tensorflow', keras: 'Keras', torch: 'PyTorch' })[f];

/** Per-core goals of issue 14: the tensorflow engine's images per CPU-second ÷ Keras' on the same TensorFlow. */
function tensorflowGoal(w: TrainingWorkload): string | undefined {
  return w.model === 'mnist-two-conv' ? '≥ 0.8' : w.model === 'lenet5-relu' ? '≥ 0.6' : undefined;
}

/** Per-core goals of issue 19: KernelLab's images per CPU-second ÷ the peer's, at one thread. */
function goal(w: TrainingWorkload, peer: 'keras' | 'torch'): string | undefined {
  if (peer === 'keras' && w.model === 'mnist-two-conv') return '≥ 0.8';
  if (peer === 'torch' && w.model === 'lenet5-relu') return '≥ 0.8';
  if (peer === 'keras' && w.model === 'fashion-bn-dropout') return '≥ 0.5';
  return undefined;
}

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const data = makeTempDir('kernellab-bench-data-');
  const all = availableParallelism();
  try {
    await installWorkloadData(data.dir);
    for (const w of trainingWorkloads(context.quick)) {
      const label = workloadLabel(w);
      const absent = workloadAbsent(w);
      if (absent) {
        rows.push({ name: `peers: ${label}`, value: null, unit: 'images/s', note: absent });
        continue;
      }
      const { warmup, timed } = windowOf(w, context.quick);
      // The window and one batch more, whatever the workload's own size: a window longer than the
      // data would end at the epoch's end and time its evaluation too (the quick two-conv did).
      const trainImages = (warmup + timed + 1) * w.batchSize;
      const bestRate = new Map<string, number>();
      for (const threads of all > 1 ? [1, all] : [1]) {
        const best = new Map<Framework, PeerOutput & { cpuBest?: number; loads: string[] }>();
        for (let round = 0; round < rounds; round++) {
          for (const f of frameworks) {
            const out = runPeer(f, w, data.dir, [
              '--train-images',
              String(trainImages),
              '--threads',
              String(threads),
              '--warmup-batches',
              String(warmup),
              '--timed-batches',
              String(timed),
            ]);
            const held = best.get(f);
            if (out.absent || out.error || out.images_per_s === undefined) {
              if (!held) best.set(f, { ...out, loads: [] });
              continue;
            }
            const loads = [...(held?.loads ?? []), `${out.load_before?.toFixed(1)}→${out.load_after?.toFixed(1)}`];
            const cpuBest = Math.max(held?.cpuBest ?? 0, out.images_per_cpu_s ?? 0);
            if (!held || held.images_per_s === undefined || out.images_per_s > held.images_per_s) best.set(f, { ...out, cpuBest, loads });
            else best.set(f, { ...held, cpuBest, loads });
          }
        }
        const ours = best.get('kernellab');
        for (const f of frameworks) {
          const b = best.get(f)!;
          const rowName = `peers: ${label} ${name(f)}, ${threadsLabel(threads)}`;
          if (b.images_per_s === undefined) {
            rows.push({ name: rowName, value: null, unit: 'images/s', note: `absent: ${b.absent ?? b.error ?? 'no result'}` });
            continue;
          }
          bestRate.set(`${f}:${threads}`, b.images_per_s);
          rows.push({
            name: rowName,
            value: b.images_per_s,
            unit: 'images/s',
            note: `${fmt(b.cpuBest)} images per CPU-second; best of ${rounds}, ${b.timed_images} images after ${warmup} warm-up batches; load ${b.loads.join(', ')}; ${b.version}; in force: ${JSON.stringify(b.threads_in_force)}`,
          });
          if (f === 'kernellab-tensorflow' && b.cpuBest) {
            const keras = best.get('keras');
            rows.push({
              name: `peers: ${label} KernelLab tensorflow ÷ Keras, ${threadsLabel(threads)}`,
              value: keras?.cpuBest ? b.cpuBest / keras.cpuBest : null,
              unit: '× per CPU-second',
              target: tensorflowGoal(w),
              note: keras?.images_per_s
                ? `per wall-clock second: ${(b.images_per_s / keras.images_per_s).toFixed(2)}×; the same TensorFlow, eager through tfjs-node vs Keras' compiled graph`
                : `absent: no Keras figure (${keras?.absent ?? keras?.error ?? 'not run'})`,
            });
          }
          if (f === 'kernellab' || f === 'kernellab-tensorflow' || ours?.images_per_s === undefined) continue;
          rows.push({
            name: `peers: ${label} KernelLab ÷ ${name(f)}, ${threadsLabel(threads)}`,
            value: ours.cpuBest! / b.cpuBest!,
            unit: '× per CPU-second',
            target: threads === 1 ? goal(w, f) : undefined,
            note: `per wall-clock second: ${(ours.images_per_s / b.images_per_s).toFixed(2)}×`,
          });
        }
      }
      for (const f of ['kernellab', 'kernellab-tensorflow'] as const) {
        const one = bestRate.get(`${f}:1`);
        const many = bestRate.get(`${f}:${all}`);
        if (all > 1 && one !== undefined && many !== undefined)
          rows.push({
            name: `peers: ${label} ${name(f)} all ${all} threads ÷ 1 thread`,
            value: many / one,
            unit: '× images/s',
            target: w.model === 'lenet5-relu' && all === 2 ? '≥ 1.6' : undefined,
            note: 'one run alone on the machine; wall-clock rates (best of each)',
          });
      }
      if (!context.quick) {
        for (const f of frameworks) {
          const out = runPeer(f, w, data.dir, [
            '--train-images',
            String(w.trainImages),
            '--epochs',
            String(w.epochs),
            '--threads',
            '0',
            '--warmup-batches',
            String(warmup),
            '--evaluate',
          ]);
          rows.push({
            name: `peers: ${label} ${name(f)} test accuracy`,
            value: out.test_accuracy ?? null,
            unit: 'fraction',
            note:
              out.test_accuracy == null
                ? `absent: ${out.absent ?? out.error ?? 'no result'}`
                : `trained on all ${w.trainImages}×${w.epochs} with every core at ${fmt(out.images_per_s)} images/s`,
          });
        }
      }
    }
    rows.push(await gpuRow());
  } finally {
    data.cleanup();
  }
  return rows;
}

/** A GPU figure needs a GPU the installed engine uses; otherwise the row says which is missing. */
async function gpuRow(): Promise<BenchResult> {
  const row = { name: 'peers: KernelLab tensorflow on a GPU', value: null, unit: 'images/s' };
  const gpus = await queryNvidiaGpus();
  if (typeof gpus === 'string') return { ...row, note: `absent: ${gpus}, so this machine has no GPU to measure` };
  if (typeof engine === 'string') return { ...row, note: `absent: ${gpus[0]!.name} is here but ${engine}` };
  if (engine.manifest.variant !== 'gpu')
    return { ...row, note: `absent: ${gpus[0]!.name} is here but the installed engine is the CPU build (install it with --gpu)` };
  if (!engine.manifest.check.usingGpu)
    return {
      ...row,
      note: `absent: ${gpus[0]!.name} is here but the engine does not use it: ${engine.manifest.check.note ?? 'see engine ls'}`,
    };
  return { ...row, note: `the KernelLab tensorflow rows above ran on ${engine.manifest.check.devices.join('; ')}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
