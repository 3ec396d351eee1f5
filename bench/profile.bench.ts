/**
 * Per-kernel profile of one training step for each training workload on wasm (kernelProfile.ts):
 * where a step's time goes — data feeding, each kernel of the forward and backward pass, the
 * optimizer, the engine's own JavaScript — so every change to the kernels shows what it moved.
 * The Fashion-MNIST network is profiled a second time without its BatchNorm layers: the goal is a
 * step with BatchNorm within 1.3× of the step without. Values are CPU milliseconds per step (robust
 * to other work on the machine); wall milliseconds are in the notes.
 *
 * It runs in a process of its own: a wasm module does not survive the engine reset an earlier
 * group in `npm run bench` ends with, and the profile needs wasm fresh.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type { ModelSpec } from '../src-main/core/contract/training.ts';
import { getPreset } from '../src-main/core/models/presets.ts';
import { loadBackend } from '../src-main/core/training/backends.ts';
import { ensureGradients, registerWasmTrainingKernels } from '../src-main/core/training/wasmKernels.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';
import { profilePhases, profileSteps, type StepProfile } from './kernelProfile.ts';
import { formatTable, type BenchContext, type BenchResult } from './types.ts';
import { installWorkloadData, trainingWorkloads, workloadAbsent, workloadData, workloadLabel } from './workloads.ts';

/** Kernels under this share of a step are summed into one "other kernels" row per phase. */
const minShare = 0.01;

export async function run(context: BenchContext = { previous: [], quick: false }): Promise<BenchResult[]> {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--json'], {
    encoding: 'utf8',
    env: { ...process.env, KERNELLAB_BENCH_QUICK: context.quick ? '1' : '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as BenchResult[];
}

async function measure(context: BenchContext): Promise<BenchResult[]> {
  const probe = await loadBackend('wasm');
  if (!probe.available) return [{ name: 'profile: wasm', value: null, unit: 'ms/step', note: `absent: ${probe.detail}` }];
  registerWasmTrainingKernels();
  await ensureGradients();
  const data = makeTempDir('kernellab-bench-data-');
  const rows: BenchResult[] = [];
  const options = { warmup: 5, steps: context.quick ? 5 : 20 };
  try {
    await installWorkloadData(data.dir);
    for (const w of trainingWorkloads(context.quick)) {
      const label = `profile: ${w.model} ${w.dataset} (batch ${w.batchSize}) wasm`;
      const absent = workloadAbsent(w);
      if (absent) {
        rows.push({ name: label, value: null, unit: 'ms/step', note: absent });
        continue;
      }
      const { train, spec } = await workloadData(data.dir, w);
      const hp = { ...getPreset(w.model).hyperparameters, seed: 1 };
      const profile = profileSteps(spec, hp, train, w.batchSize, options);
      rows.push(...profileRows(label, profile, probe.detail));
      if (spec.layers.some((l) => l.type === 'batchNorm')) {
        const without: ModelSpec = { ...spec, layers: spec.layers.filter((l) => l.type !== 'batchNorm') };
        const plain = profileSteps(without, hp, train, w.batchSize, options);
        rows.push({
          name: `${label} step without batchNorm`,
          value: plain.step.cpu,
          unit: 'CPU ms/step',
          note: `wall ${plain.step.wall.toFixed(1)} ms`,
        });
        rows.push({
          name: `${label} step with batchNorm ÷ without`,
          value: profile.step.cpu / plain.step.cpu,
          unit: '×',
          target: '≤ 1.3',
          note: `by CPU time per step (wall: ${(profile.step.wall / plain.step.wall).toFixed(2)}×); ${workloadLabel(w)}`,
        });
      }
    }
  } finally {
    data.cleanup();
    tf.engine().reset();
  }
  return rows;
}

function profileRows(label: string, p: StepProfile, device: string): BenchResult[] {
  const unit = 'CPU ms/step';
  const share = (ms: number) => `${((100 * ms) / p.step.cpu).toFixed(1)}%`;
  const rows: BenchResult[] = [
    {
      name: `${label} step`,
      value: p.step.cpu,
      unit,
      note: `wall ${p.step.wall.toFixed(1)} ms; mean of ${p.steps} steps after warm-up; ${device}`,
    },
  ];
  for (const phase of profilePhases) {
    const kernels = p.kernels.filter((k) => k.phase === phase);
    const cost = p.phase[phase];
    rows.push({
      name: `${label} ${phase}`,
      value: cost.cpu,
      unit,
      note: `${share(cost.cpu)} of the step; wall ${cost.wall.toFixed(1)} ms`,
    });
    let otherMs = 0;
    let others = 0;
    for (const k of kernels) {
      if (k.ms.cpu < minShare * p.step.cpu) {
        otherMs += k.ms.cpu;
        others++;
        continue;
      }
      rows.push({
        name: `${label} ${phase} · ${k.kernel}`,
        value: k.ms.cpu,
        unit,
        note: `${share(k.ms.cpu)}; ${k.callsPerStep} calls; wall ${k.ms.wall.toFixed(2)} ms`,
      });
    }
    if (others > 0) rows.push({ name: `${label} ${phase} · ${others} other kernels`, value: otherMs, unit, note: share(otherMs) });
    const outside = cost.cpu - kernels.reduce((a, k) => a + k.ms.cpu, 0);
    if (outside > minShare * p.step.cpu)
      rows.push({
        name: `${label} ${phase} · outside kernels`,
        value: outside,
        unit,
        note: `${share(outside)}: engine and layer JavaScript (tape, tidy, checks)`,
      });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await measure({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' });
  console.log(process.argv.includes('--json') ? JSON.stringify(rows) : formatTable(rows));
}
