/**
 * Parity with Keras on the classic notebook networks (issue 20's proof): for each one,
 * bench/reference/keras_parity.py writes the Keras model JSON as the notebook builds it, KernelLab
 * imports it with importKeras (what `kernellab import keras` runs), and both train the same network
 * with the same compile settings, batch size, images, epochs and seed (1) — Keras with model.fit,
 * KernelLab with its real training loop in bench/kernellabPeer.ts, each in its own process, one
 * thread each so the rates are per core and a shared machine's load hits both alike. No validation
 * split, no early stopping: every image trains every epoch; accuracy is on the full test split.
 *
 * Rows per network: each epoch's training loss side by side, the test accuracies and their
 * difference against the goal (0.3 point on MNIST and Fashion-MNIST, 2 points on the CIFAR-10
 * subset), images per CPU-second from the end of epoch 1 to the end of the last (tracing and set-up
 * excluded on both sides), and the importer's round trip: the Keras JSON → spec → exportKeras →
 * Keras JSON, both loaded by keras.models.model_from_json and compared layer by layer (class,
 * output shape, parameters, every option but names) with their parameter counts.
 *
 * Rows say "absent" with the reason when Keras or a dataset is missing; AlexNet-28 is left out by
 * name because Keras has no LRN layer to write it with.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  /** Goal for |KernelLab − Keras| test accuracy, in points. */
  goalPoints: number;
}

/** Batch sizes are the notebooks'; images and epochs are sized so the group takes a few minutes on 2 cores. */
function cases(quick: boolean): ParityCase[] {
  return [
    { preset: 'lenet5-relu', dataset: 'mnist', batchSize: 64, trainImages: quick ? 4000 : 20000, epochs: 3, goalPoints: 0.3 },
    {
      preset: 'fashion-keras-tutorial',
      dataset: 'fashion-mnist',
      batchSize: 128,
      trainImages: quick ? 2000 : 10000,
      epochs: 3,
      goalPoints: 0.3,
    },
    { preset: 'lenet5-cifar10-keras', dataset: 'cifar10', batchSize: 32, trainImages: quick ? 2000 : 10000, epochs: 3, goalPoints: 2 },
    // 3.3 million parameters and Adam(1e-4): the slowest of the four, on the fewest images.
    { preset: 'mnist-tf1-deep', dataset: 'mnist', batchSize: 50, trainImages: quick ? 1000 : 5000, epochs: 3, goalPoints: 0.3 },
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

/** The last JSON line a child process printed, parsed with `schema`, or {absent} with why. */
function lastLine<T>(schema: z.ZodType<T>, file: string, args: string[], who: string): T | { absent: string } {
  let text: string;
  try {
    text = execFileSync(file, args, execOptions);
  } catch (error) {
    const e = error as Error & { stderr?: string };
    const tail = (e.stderr ?? '').trim().split('\n').slice(-2).join(' ');
    return { absent: `${who} failed: ${e.message.split('\n')[0]} ${tail}`.trim() };
  }
  const parsed: unknown = JSON.parse(text.trim().split('\n').pop()!);
  const absent = Absent.safeParse(parsed);
  if (absent.success) return absent.data;
  return schema.parse(parsed);
}

const isAbsent = (v: object): v is { absent: string } => 'absent' in v;
const points = (a: number) => (a * 100).toFixed(2);
const losses = (l: number[]) => l.map((v) => v.toFixed(4)).join(', ');

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const rows: BenchResult[] = [];
  const temp = makeTempDir('kernellab-bench-parity-');
  try {
    await installWorkloadData(join(temp.dir, 'datasets'));
    for (const c of cases(context.quick)) {
      const label = `parity: ${c.preset} ${c.dataset} (batch ${c.batchSize}, ${c.trainImages}×${c.epochs}, seed 1)`;
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

      // 3. Both train it.
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
      const keras = lastLine(
        KerasTrained,
        'python3',
        [parityScript, 'train', '--model-json', kerasJson, '--data-dir', dataDir, '--seed', '1', '--threads', '1', ...common],
        'python3 keras_parity.py train',
      );
      const ours = lastLine(
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
          '--evaluate',
          ...common,
        ],
        'the KernelLab process',
      );
      const kerasWhy = isAbsent(keras) ? keras.absent : null;
      const oursWhy = isAbsent(ours) ? ours.absent : (ours.error ?? (ours.test_accuracy === null ? 'no test accuracy' : null));
      for (let e = 0; e < c.epochs; e++) {
        const k = isAbsent(keras) ? undefined : keras.loss[e];
        const o = isAbsent(ours) ? undefined : ours.loss[e];
        rows.push({
          name: `${label} epoch ${e + 1} training loss, KernelLab | Keras`,
          value: o ?? null,
          unit: 'loss',
          note: `Keras ${k === undefined ? `absent (${kerasWhy ?? 'no value'})` : k.toFixed(4)}${o === undefined ? `; KernelLab absent (${oursWhy ?? 'no value'})` : ''}`,
        });
      }
      const kAcc = isAbsent(keras) ? null : keras.test_accuracy;
      const oAcc = isAbsent(ours) ? null : ours.test_accuracy;
      rows.push({
        name: `${label} KernelLab test accuracy`,
        value: oAcc,
        unit: 'fraction',
        note:
          oAcc === null
            ? `absent: ${oursWhy}`
            : `${ours && !isAbsent(ours) ? ours.version : ''}; losses ${losses(isAbsent(ours) ? [] : ours.loss)}`,
      });
      rows.push({
        name: `${label} Keras test accuracy`,
        value: kAcc,
        unit: 'fraction',
        note:
          kAcc === null
            ? `absent: ${kerasWhy}`
            : `${isAbsent(keras) ? '' : keras.version}; losses ${losses(isAbsent(keras) ? [] : keras.loss)}`,
      });
      const diff = kAcc !== null && oAcc !== null ? Math.abs(oAcc - kAcc) * 100 : null;
      rows.push({
        name: `${label} |KernelLab − Keras| test accuracy`,
        value: diff,
        unit: 'points',
        target: `≤ ${c.goalPoints}`,
        note:
          diff === null
            ? `absent: ${kerasWhy ?? oursWhy}`
            : `${diff <= c.goalPoints ? 'met' : 'missed'}: KernelLab ${points(oAcc!)} %, Keras ${points(kAcc!)} %`,
      });
      const kRate = isAbsent(keras) ? undefined : keras.images_per_cpu_s;
      const oRate = isAbsent(ours) ? undefined : ours.after_epoch_1?.images_per_cpu_s;
      const loads = [keras, ours].map((r) => (isAbsent(r) ? '?' : `${r.load_before.toFixed(1)}→${r.load_after.toFixed(1)}`));
      rows.push({
        name: `${label} KernelLab wasm images per CPU-second, 1 thread`,
        value: oRate ?? null,
        unit: 'images/CPU-s',
        note:
          oRate === undefined
            ? `absent: ${oursWhy ?? 'fewer than 2 epochs'}`
            : `epochs 2–${c.epochs}; ${Math.round(isAbsent(ours) ? 0 : ours.after_epoch_1!.images_per_s)} images/s; load ${loads[1]}`,
      });
      rows.push({
        name: `${label} Keras images per CPU-second, 1 thread`,
        value: kRate ?? null,
        unit: 'images/CPU-s',
        note:
          kRate === undefined
            ? `absent: ${kerasWhy ?? 'fewer than 2 epochs'}`
            : `epochs 2–${c.epochs}; ${Math.round(isAbsent(keras) ? 0 : keras.images_per_s!)} images/s; load ${loads[0]}`,
      });
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
