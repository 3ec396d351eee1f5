/**
 * Time estimates for a sweep preview. Cost is counted in FLOPs (a training image costs about three
 * forward passes, a validation or test image one) and turned into seconds with the FLOP rate this
 * machine achieved in completed runs (their samples/s times their model's training FLOPs per
 * image). With no completed run yet a rough default is used and labelled as such.
 */
import type { RunStore } from '../db/RunStore.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { ModelSpec } from '../contract/training.ts';
import { inferShapes } from '../models/shapeInference.ts';
import { trainingImages } from './pointPlan.ts';
import type { SweepPoint } from './pointRun.ts';

/**
 * Rough training rate of one single-threaded wasm worker, in FLOP/s: LeNet-5 (0.57 MFLOP forward,
 * about 1.7 MFLOP per training image) at roughly 2,000 images/s, the training engine's target.
 */
export const roughFlopsPerSecond = 3.4e9;

export interface Throughput {
  flopsPerSecond: number;
  source: 'measured' | 'rough-default';
  detail: string;
  /** `detail` coded, for the CLI and the page in the user's language. */
  detailCode: CoreText;
}

/** The median FLOP rate of up to 20 recently completed runs on this machine. */
export function machineThroughput(store: RunStore | undefined): Throughput {
  const rates: number[] = [];
  if (store) {
    for (const row of store.measuredThroughput(['samples_per_sec'])) {
      const spec = ModelSpec.safeParse(row.modelSpec);
      if (!spec.success) continue;
      try {
        rates.push(row.samplesPerSec * 3 * inferShapes(spec.data).forwardFlops);
      } catch {
        // A stored spec that no longer passes shape inference says nothing about speed.
      }
    }
  }
  if (rates.length === 0) {
    const roughGflops = (roughFlopsPerSecond / 1e9).toFixed(1);
    return {
      flopsPerSecond: roughFlopsPerSecond,
      source: 'rough-default',
      detail: `rough default (no completed run on this machine yet): ${roughGflops} GFLOP/s per worker, about 2,000 LeNet-5 images/s`,
      detailCode: coreText('sweep_estimate_rough_default', { gflops: roughGflops }),
    };
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  const gflops = (median / 1e9).toFixed(2);
  return {
    flopsPerSecond: median,
    source: 'measured',
    detail: `measured: median of ${rates.length} completed runs here, ${gflops} GFLOP/s per worker`,
    detailCode: coreText('sweep_estimate_measured', { runs: rates.length, gflops }),
  };
}

/** Seconds one worker needs for one point (0 for derived and impossible points). */
export function pointSeconds(point: SweepPoint, throughput: Throughput): number {
  if (point.role !== 'train' || !point.hyperparameters) return 0;
  const images = trainingImages(point);
  const f = point.forwardFlops;
  const perEpoch = images.train * 3 * f + images.validation * f;
  const evaluations = (1 + point.evaluateAtEpochs.length) * images.test * f;
  return (point.epochs * perEpoch + evaluations) / throughput.flopsPerSecond;
}

/**
 * Wall time with `workers` in parallel: longest-first onto the least-loaded worker. `share` scales
 * a point's cost (the part of its epochs a pruner is expected to leave it).
 */
export function sweepSeconds(
  points: readonly SweepPoint[],
  throughput: Throughput,
  workers: number,
  share: (point: SweepPoint) => number = () => 1,
): number {
  const loads = new Array<number>(Math.max(1, workers)).fill(0);
  const costs = points.map((p) => pointSeconds(p, throughput) * share(p)).filter((s) => s > 0);
  costs.sort((a, b) => b - a);
  for (const c of costs) {
    let min = 0;
    for (let i = 1; i < loads.length; i++) if (loads[i]! < loads[min]!) min = i;
    loads[min]! += c;
  }
  return Math.max(...loads);
}

/**
 * The same schedule over costs alone (a sweep plan's, in seconds): what a preview of 10⁶ points
 * uses, where an array of points would not fit.
 */
export function scheduleSeconds(seconds: Float64Array, workers: number): number {
  const loads = new Float64Array(Math.max(1, workers));
  const costs = seconds
    .filter((s) => s > 0)
    .sort()
    .reverse();
  for (const c of costs) {
    let min = 0;
    for (let i = 1; i < loads.length; i++) if (loads[i]! < loads[min]!) min = i;
    loads[min]! += c;
  }
  return Math.max(...loads);
}
