/**
 * Each axis's marginal effect: the metric against the axis's value, with its spread — "did more
 * epochs help, did smaller kernels help?". A list axis gets one bin per value; a range axis with
 * many distinct values is cut into equal bins (in log space on a log scale). Every trial is also
 * kept as a point for a scatter.
 */
import type { AxisValue } from '../../contract/runs.ts';
import { formatMetric } from './pruner.ts';

export interface MarginalBin {
  /** The axis value of a list axis's bin, or the bin's centre on a range axis. */
  value: AxisValue;
  /** A range bin's edges (null for a list value). */
  low: number | null;
  high: number | null;
  label: string;
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface MarginalEffect {
  axis: string;
  /** Whether the axis's values are numbers (the plot's x is a number line, log when `log`). */
  numeric: boolean;
  log: boolean;
  bins: MarginalBin[];
  points: { value: AxisValue; metric: number; runId: number }[];
}

export interface MarginalInput {
  axis: string;
  log: boolean;
  /** Bin a numeric axis with more than this many distinct values. */
  maxBins?: number;
  observations: readonly { value: AxisValue; metric: number; runId: number }[];
}

function summarise(metrics: readonly number[]): Pick<MarginalBin, 'count' | 'mean' | 'std' | 'min' | 'max'> {
  const count = metrics.length;
  const mean = metrics.reduce((a, b) => a + b, 0) / count;
  const std = count > 1 ? Math.sqrt(metrics.reduce((a, b) => a + (b - mean) ** 2, 0) / (count - 1)) : 0;
  return { count, mean, std, min: Math.min(...metrics), max: Math.max(...metrics) };
}

const label = (v: AxisValue): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

export function marginalEffect(input: MarginalInput): MarginalEffect {
  const observations = input.observations.filter((o) => Number.isFinite(o.metric));
  const numeric = observations.length > 0 && observations.every((o) => typeof o.value === 'number');
  const maxBins = input.maxBins ?? 10;
  const distinct = new Map<string, { value: AxisValue; metrics: number[] }>();
  for (const o of observations) {
    const key = JSON.stringify(o.value);
    const entry = distinct.get(key) ?? { value: o.value, metrics: [] };
    entry.metrics.push(o.metric);
    distinct.set(key, entry);
  }
  let bins: MarginalBin[];
  if (!numeric || distinct.size <= maxBins) {
    bins = [...distinct.values()].map((d) => ({ value: d.value, low: null, high: null, label: label(d.value), ...summarise(d.metrics) }));
    if (numeric) bins.sort((a, b) => (a.value as number) - (b.value as number));
  } else {
    const log = input.log && observations.every((o) => (o.value as number) > 0);
    const t = (v: number) => (log ? Math.log(v) : v);
    const inv = (v: number) => (log ? Math.exp(v) : v);
    const xs = observations.map((o) => t(o.value as number));
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    const width = (hi - lo) / maxBins;
    const groups: number[][] = Array.from({ length: maxBins }, () => []);
    observations.forEach((o, i) => groups[Math.min(maxBins - 1, Math.floor((xs[i]! - lo) / width))]!.push(o.metric));
    bins = groups.flatMap((metrics, b) => {
      if (metrics.length === 0) return [];
      const low = inv(lo + b * width);
      const high = inv(lo + (b + 1) * width);
      return [
        {
          value: Number(inv(lo + (b + 0.5) * width).toPrecision(6)),
          low,
          high,
          label: `${formatMetric(low)}–${formatMetric(high)}`,
          ...summarise(metrics),
        },
      ];
    });
  }
  return { axis: input.axis, numeric, log: input.log, bins, points: observations.map((o) => ({ ...o })) };
}
