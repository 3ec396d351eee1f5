/**
 * Parity with Keras on the classic notebook networks (issue 20's proof): for each one,
 * bench/reference/keras_parity.py writes the Keras model JSON as the notebook builds it, KernelLab
 * imports it with importKeras (what `kernellab import keras` runs), and both train the same network
 * with the same compile settings, batch size, images and epochs, once for each of seeds 1–3 —
 * Keras with model.fit, KernelLab with its real training loop in bench/kernellabPeer.ts, each in
 * its own process, one thread each so the rates are per core and a shared machine's load hits both
 * alike. No validation split, no early stopping: every image trains every epoch; accuracy is on the
 * full test split. Each seed draws its own initial weights, batch order and dropout masks, and the
 * two frameworks draw them differently: one seed after 3 short epochs tells little.
 *
 * Rows per network: each epoch's training loss side by side (means of the seeds), each side's test
 * accuracy as mean ± standard deviation over the seeds, and the mean gap against the goal (0.3
 * point on MNIST and Fashion-MNIST, 2 points on the CIFAR-10 subset) judged against the noise the
 * seeds leave in it (gapVerdict), images per CPU-second from the end of epoch 1 to the end of the
 * last (tracing and set-up excluded on both sides; median of the seeds), and the importer's round
 * trip: the Keras JSON → spec → exportKeras → Keras JSON, both loaded by
 * keras.models.model_from_json and compared layer by layer (class, output shape, parameters, every
 * option but names) with their parameter counts.
 *
 * Rows say "absent" with the reason when Keras or a dataset is missing; AlexNet-28 is left out by
 * name because Keras has no LRN layer to write it with.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { CompiledSettings, ModelSpec } from '../src-main/core/contract/training.ts';
import { exportKeras } from '../src-main/core/models/keras/kerasExport.ts';
import { importKeras } from '../src-main/core/models/keras/kerasImport.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import type { BenchContext, BenchResult } from './types.ts';
import { installWorkloadData, peerDataDir, workloadAbsent, type TrainingWorkload } from './workloads.ts';

const parityScript = fileURLToPath(new URL('./reference/keras_parity.py', import.meta.url));
const kernellabScript = fileURLToPath(new URL('./kernellabPeer.ts', import.meta.url));

interface ParityCase {
  preset: 'lenet5-relu' | 'fashion-keras-tutorial' | 'lenet5-cifar10-keras' | 'mnist-tf1-deep';
  dataset: TrainingWorkload['dataset'];
  batchSize: number;
  trainImages: number;
  epochs: number;
  /** The run seeds; each side trains once per seed. */
  seeds: number[];
  /** Goal for |KernelLab − Keras| test accuracy, in points. */
  goalPoints: number;
  /** What a reader of the gap row should know about this workload. */
  why?: string;
}

/**
 * Seeds per side: 3 where they already leave the mean gap's noise near the goal; quick runs take 2.
 * The noise of the mean gap is reported with each row, so a reader sees whether more would be needed.
 */
const seedsFor = (quick: boolean, count: number): number[] => Array.from({ length: quick ? 2 : count }, (_, i) => i + 1);

/** Optimizer steps per side: ⌈images ÷ batch⌉ per epoch. */
export const stepsOf = (c: Pick<ParityCase, 'trainImages' | 'batchSize' | 'epochs'>) => Math.ceil(c.trainImages / c.batchSize) * c.epochs;

/**
 * Batch sizes are the notebooks'; images and epochs are sized so the group takes a few minutes on 2 cores.
 *
 * Fashion-MNIST's network has two BatchNormalization layers (momentum 0.99), and test accuracy is
 * computed with their moving averages, which start at mean 0 and variance 1. The first one's true
 * variance is about 0.001, so a run must be long enough for the starting 1 to decay well below it
 * (0.99^steps): 237 steps (10,000 images × 3) left 9 % of it, and test accuracy then swung by tens of
 * points with the initial weights on both sides. 32,000 images × 3 epochs is 750 steps (0.05 % left),
 * and 6 seeds a side keep the mean gap's noise near the goal.
 */
export function cases(quick: boolean): ParityCase[] {
  return [
    {
      preset: 'lenet5-relu',
      dataset: 'mnist',
      batchSize: 64,
      trainImages: quick ? 4000 : 20000,
      epochs: 3,
      seeds: seedsFor(quick, 3),
      goalPoints: 0.3,
    },
    {
      preset: 'fashion-keras-tutorial',
      dataset: 'fashion-mnist',
      batchSize: 128,
      trainImages: quick ? 2000 : 32000,
      epochs: 3,
      seeds: seedsFor(quick, 6),
      goalPoints: 0.3,
      why: "the run is long enough for BatchNormalization's moving averages (momentum 0.99, used at inference) to forget their starting values: 0.99^750 ≈ 0.05 % of them is left; at 237 steps 9 % was, and test accuracy swung by tens of points with the initial weights on both sides",
    },
    {
      preset: 'lenet5-cifar10-keras',
      dataset: 'cifar10',
      batchSize: 32,
      trainImages: quick ? 2000 : 10000,
      epochs: 3,
      seeds: seedsFor(quick, 3),
      goalPoints: 2,
    },
    // 3.3 million parameters and Adam(1e-4): the slowest of the four, on the fewest images.
    {
      preset: 'mnist-tf1-deep',
      dataset: 'mnist',
      batchSize: 50,
      trainImages: quick ? 1000 : 5000,
      epochs: 3,
      seeds: seedsFor(quick, 3),
      goalPoints: 0.3,
    },
  ];
}

const Absent = z.object({ absent: z.string() });
const Written = z.object({ json: z.string(), version: z.string() });
const Compared = z.object({
  params_a: z.number(),
  params_b: z.number(),
  layers: z.number(),
  equal: z.boolean(),
  differences: z.array(z.string()),
});
const KerasTrained = z.object({
  loss: z.array(z.number()),
  test_accuracy: z.number(),
  images_per_cpu_s: z.number().optional(),
  images_per_s: z.number().optional(),
  version: z.string(),
  load_before: z.number(),
  load_after: z.number(),
});
const KernelLabTrained = z.object({
  loss: z.array(z.number()),
  test_accuracy: z.number().nullable(),
  after_epoch_1: z.object({ images_per_s: z.number(), images_per_cpu_s: z.number() }).optional(),
  version: z.string(),
  load_before: z.number(),
  load_after: z.number(),
  error: z.string().optional(),
});

const execOptions = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 };

const failed = (error: unknown, who: string) => {
  const e = error as Error & { stderr?: string };
  const tail = (e.stderr ?? '').trim().split('\n').slice(-2).join(' ');
  return { absent: `${who} failed: ${e.message.split('\n')[0]} ${tail}`.trim() };
};
function parseLast<T>(schema: z.ZodType<T>, text: string): T | { absent: string } {
  const parsed: unknown = JSON.parse(text.trim().split('\n').pop()!);
  const absent = Absent.safeParse(parsed);
  if (absent.success) return absent.data;
  return schema.parse(parsed);
}

/** The last JSON line a child process printed, parsed with `schema`, or {absent} with why. */
function lastLine<T>(schema: z.ZodType<T>, file: string, args: string[], who: string): T | { absent: string } {
  let text: string;
  try {
    text = execFileSync(file, args, execOptions);
  } catch (error) {
    return failed(error, who);
  }
  return parseLast(schema, text);
}

const execFileAsync = promisify(execFile);
/** lastLine without blocking, so a seed's two sides can train at the same time. */
async function lastLineAsync<T>(schema: z.ZodType<T>, file: string, args: string[], who: string): Promise<T | { absent: string }> {
  let text: string;
  try {
    text = (await execFileAsync(file, args, { encoding: 'utf8', maxBuffer: execOptions.maxBuffer })).stdout;
  } catch (error) {
    return failed(error, who);
  }
  return parseLast(schema, text);
}

type KerasRun = z.infer<typeof KerasTrained> & { seed: number };
type OurRun = z.infer<typeof KernelLabTrained> & { seed: number; test_accuracy: number };

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
/** Sample standard deviation (n − 1); 0 for one value. */
const deviation = (values: number[]) =>
  values.length < 2 ? 0 : Math.sqrt(values.reduce((a, v) => a + (v - mean(values)) ** 2, 0) / (values.length - 1));
const spread = (values: number[]) => `${mean(values).toFixed(2)} ± ${deviation(values).toFixed(2)}`;
function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The mean gap in points and what it says: met (within the goal); within noise (beyond the goal,
 * but within two standard errors of the difference of the means, so these seeds cannot tell it
 * from chance); missed (beyond both). Null without a run on each side.
 */
export function gapVerdict(
  ours: number[],
  keras: number[],
  goalPoints: number,
): { points: number; noise: number; verdict: 'met' | 'within noise' | 'missed' } | null {
  if (ours.length === 0 || keras.length === 0) return null;
  const points = Math.abs(mean(ours) - mean(keras));
  const noise = 2 * Math.sqrt(deviation(ours) ** 2 / ours.length + deviation(keras) ** 2 / keras.length);
  const verdict = points <= goalPoints ? 'met' : points <= noise ? 'within noise' : 'missed';
  return { points, noise, verdict };
}

const isAbsent = (v: object): v is { absent: string } => 'absent' in v;
const points = (a: number) => (a * 100).toFixed(2);
const losses = (l: number[]) => l.map((v) => v.toFixed(4)).join(', ');

/**
 * KERNELLAB_BENCH_PARITY_JOBS=N: seeds trained at the same time (1–6, default 1; each seed is two
 * processes of one thread). Accuracy does not depend on it; the rates per CPU-second drop a little
 * when more processes share the cores than there are cores.
 */
export function parityJobs(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return 1;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 6)
    throw new Error(`KERNELLAB_BENCH_PARITY_JOBS must be a whole number from 1 to 6, not "${text}"`);
  return n;
}

/**
 * KERNELLAB_BENCH_MODELS limits the group to those presets; the other compared presets' rows are
 * kept from the last parity record in `latest` (bench/results/latest.json), each note saying when
 * they were measured. Rows of presets the group does not compare (alexnet-28's "not compared" row,
 * which every run writes afresh) are not kept, so they never appear twice.
 */
export function keptRows(latest: string, only: string[], compared: ReadonlySet<string>): BenchResult[] {
  if (!existsSync(latest)) return [];
  const Record = z.object({ benches: z.array(z.object({ bench: z.string(), measuredAt: z.string(), rows: z.array(z.unknown()) })) });
  const parity = Record.parse(JSON.parse(readFileSync(latest, 'utf8'))).benches.find((b) => b.bench === 'parity');
  if (!parity) return [];
  const Row = z.object({
    name: z.string(),
    value: z.number().nullable(),
    unit: z.string(),
    target: z.string().optional(),
    note: z.string().optional(),
  });
  const when = `${parity.measuredAt.slice(0, 16).replace('T', ' ')} UTC`;
  return parity.rows
    .map((r) => Row.parse(r))
    .filter((r) => {
      const preset = /^parity: (\S+)/.exec(r.name)?.[1];
      return preset !== undefined && compared.has(preset) && !only.includes(preset);
    })
    .map((r) => (r.note?.startsWith('kept from') ? r : { ...r, note: `kept from the run of ${when}${r.note ? `; ${r.note}` : ''}` }));
}

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const jobs = parityJobs(process.env.KERNELLAB_BENCH_PARITY_JOBS);
  const only = process.env.KERNELLAB_BENCH_MODELS?.split(',').map((s) => s.trim());
  const temp = makeTempDir('kernellab-bench-parity-');
  try {
    await installWorkloadData(join(temp.dir, 'datasets'));
    for (const c of cases(context.quick)) {
      if (only && !only.includes(c.preset)) continue;
      const seeds = c.seeds;
      const label = `parity: ${c.preset} ${c.dataset} (batch ${c.batchSize}, ${c.trainImages}×${c.epochs} = ${stepsOf(c)} steps, seeds ${seeds.join(',')})`;
      const absentData = workloadAbsent({ model: 'lenet5-relu', ...c });
      const dataDir = peerDataDir(c.dataset);
      if (absentData || !dataDir) {
        rows.push({ name: label, value: null, unit: 'fraction', note: absentData ?? `absent: no ${c.dataset} files` });
        continue;
      }
      // 1. Keras writes the notebook's model JSON.
      const written = lastLine(Written, 'python3', [parityScript, 'write', '--preset', c.preset], 'python3 keras_parity.py write');
      if (isAbsent(written)) {
        rows.push({ name: label, value: null, unit: 'fraction', note: `absent: ${written.absent}` });
        continue;
      }
      const kerasJson = join(temp.dir, `${c.preset}.keras.json`);
      writeFileSync(kerasJson, written.json);

      // 2. KernelLab imports it, as `kernellab import keras` does, and exports it back.
      const imported = importKeras(written.json);
      const specFile = join(temp.dir, `${c.preset}.spec.json`);
      writeFileSync(
        specFile,
        JSON.stringify({ spec: ModelSpec.parse(imported.spec), hyperparameters: CompiledSettings.parse(imported.hyperparameters) }),
      );
      const exported = exportKeras(imported.spec);
      const roundJson = join(temp.dir, `${c.preset}.round.json`);
      writeFileSync(roundJson, exported.json);
      const compared = lastLine(Compared, 'python3', [parityScript, 'compare', kerasJson, roundJson], 'python3 keras_parity.py compare');
      rows.push(
        isAbsent(compared)
          ? { name: `${label} round trip`, value: null, unit: 'parameters', note: `absent: ${compared.absent}` }
          : {
              name: `${label} round trip Keras JSON → spec → Keras JSON`,
              value: compared.params_b,
              unit: 'parameters',
              target: `equal architecture, ${compared.params_a.toLocaleString('en-US')} parameters`,
              note: `${compared.equal && compared.params_a === compared.params_b ? 'met' : 'missed'}: ${compared.layers} layers compared by class, output shape, parameters and options${compared.differences.length ? `; differs: ${compared.differences.join('; ')}` : ''}; imported: ${imported.notes.join(' ')}`,
            },
      );

      // 3. Both train it, once per seed: each seed draws its own initial weights, batch order and
      // dropout masks, and the two frameworks draw them differently, so one seed after 3 short
      // epochs tells little. A seed's two sides train at the same time, one thread each: the group
      // takes about half the time, and a shared machine's load at that moment hits both alike. The rows give each side's mean and spread and judge the mean gap
      // against the noise of that difference.
      const common = [
        '--dataset',
        c.dataset,
        '--train-images',
        String(c.trainImages),
        '--epochs',
        String(c.epochs),
        '--batch',
        String(c.batchSize),
      ];
      const kerasRuns: KerasRun[] = [];
      const ourRuns: OurRun[] = [];
      let kerasWhy: string | null = null;
      let oursWhy: string | null = null;
      const trainSeed = (seed: number) =>
        Promise.all([
          lastLineAsync(
            KerasTrained,
            'python3',
            [parityScript, 'train', '--model-json', kerasJson, '--data-dir', dataDir, '--seed', String(seed), '--threads', '1', ...common],
            'python3 keras_parity.py train',
          ),
          lastLineAsync(
            KernelLabTrained,
            process.execPath,
            [
              kernellabScript,
              '--datasets-dir',
              join(temp.dir, 'datasets'),
              '--spec-file',
              specFile,
              '--threads',
              '1',
              '--warmup-batches',
              '1',
              '--seed',
              String(seed),
              '--evaluate',
              ...common,
            ],
            'the KernelLab process',
          ),
        ]);
      for (let i = 0; i < seeds.length; i += jobs) {
        const batch = seeds.slice(i, i + jobs);
        const results = await Promise.all(batch.map(trainSeed));
        for (const [j, [keras, ours]] of results.entries()) {
          const seed = batch[j]!;
          if (isAbsent(keras)) kerasWhy ??= keras.absent;
          else kerasRuns.push({ seed, ...keras });
          const why = isAbsent(ours) ? ours.absent : (ours.error ?? (ours.test_accuracy === null ? 'no test accuracy' : null));
          if (why !== null || isAbsent(ours)) oursWhy ??= why;
          else ourRuns.push({ seed, ...ours, test_accuracy: ours.test_accuracy! });
        }
      }
      const pct = (runs: { test_accuracy: number }[]) => runs.map((r) => r.test_accuracy * 100);
      const perSeed = (runs: { seed: number; test_accuracy: number }[]) =>
        runs.map((r) => `seed ${r.seed} ${points(r.test_accuracy)}`).join(', ');
      for (let e = 0; e < c.epochs; e++) {
        const k = kerasRuns.map((r) => r.loss[e]).filter((v): v is number => v !== undefined);
        const o = ourRuns.map((r) => r.loss[e]).filter((v): v is number => v !== undefined);
        rows.push({
          name: `${label} epoch ${e + 1} training loss, KernelLab | Keras (mean of seeds)`,
          value: o.length ? mean(o) : null,
          unit: 'loss',
          note: `Keras ${k.length ? `${mean(k).toFixed(4)} (${losses(k)})` : `absent (${kerasWhy ?? 'no value'})`}${o.length ? `; KernelLab ${losses(o)}` : `; KernelLab absent (${oursWhy ?? 'no value'})`}`,
        });
      }
      const ourAcc = pct(ourRuns);
      const kerasAcc = pct(kerasRuns);
      rows.push({
        name: `${label} KernelLab test accuracy, mean of seeds`,
        value: ourAcc.length ? mean(ourAcc) / 100 : null,
        unit: 'fraction',
        note: ourAcc.length ? `${spread(ourAcc)} %: ${perSeed(ourRuns)}; ${ourRuns[0]!.version}` : `absent: ${oursWhy ?? 'no run'}`,
      });
      rows.push({
        name: `${label} Keras test accuracy, mean of seeds`,
        value: kerasAcc.length ? mean(kerasAcc) / 100 : null,
        unit: 'fraction',
        note: kerasAcc.length
          ? `${spread(kerasAcc)} %: ${perSeed(kerasRuns)}; ${kerasRuns[0]!.version}`
          : `absent: ${kerasWhy ?? 'no run'}`,
      });
      const gap = gapVerdict(ourAcc, kerasAcc, c.goalPoints);
      rows.push({
        name: `${label} |KernelLab − Keras| test accuracy, mean of seeds`,
        value: gap?.points ?? null,
        unit: 'points',
        target: `≤ ${c.goalPoints}`,
        note: gap
          ? `${gap.verdict}: KernelLab ${spread(ourAcc)} %, Keras ${spread(kerasAcc)} %; noise of the mean gap (2 standard errors) ${gap.noise.toFixed(2)} points${c.why ? `; ${c.why}` : ''}`
          : `absent: ${kerasWhy ?? oursWhy ?? 'no run'}`,
      });
      const kRate = median(kerasRuns.map((r) => r.images_per_cpu_s).filter((v): v is number => v !== undefined));
      const oRate = median(ourRuns.map((r) => r.after_epoch_1?.images_per_cpu_s).filter((v): v is number => v !== undefined));
      const loads = (runs: { load_before: number; load_after: number }[]) =>
        runs.map((r) => `${r.load_before.toFixed(1)}→${r.load_after.toFixed(1)}`).join(', ');
      rows.push({
        name: `${label} KernelLab wasm images per CPU-second, 1 thread, median of seeds`,
        value: oRate,
        unit: 'images/CPU-s',
        note: oRate === null ? `absent: ${oursWhy ?? 'fewer than 2 epochs'}` : `epochs 2–${c.epochs}; load ${loads(ourRuns)}`,
      });
      rows.push({
        name: `${label} Keras images per CPU-second, 1 thread, median of seeds`,
        value: kRate,
        unit: 'images/CPU-s',
        note: kRate === null ? `absent: ${kerasWhy ?? 'fewer than 2 epochs'}` : `epochs 2–${c.epochs}; load ${loads(kerasRuns)}`,
      });
    }
    if (only) {
      const latest = fileURLToPath(new URL('./results/latest.json', import.meta.url));
      rows.push(...keptRows(latest, only, new Set(cases(context.quick).map((c) => c.preset))));
    }
    rows.push({
      name: 'parity: alexnet-28',
      value: null,
      unit: 'fraction',
      note: 'not compared: its LRN layer has no Keras equivalent, so Keras cannot write or train this network',
    });
  } finally {
    temp.cleanup();
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
