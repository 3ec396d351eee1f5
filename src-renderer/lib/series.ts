import type { CurvePoint } from './downsample.ts';
import { decodeMetric, type WireMetric } from './format.ts';

export interface WirePoint {
  step: number;
  epoch: number;
  wallMs: number;
  value: WireMetric;
}

export type XAxis = 'epoch' | 'step' | 'time';

/** Turns stored points into chart points on the chosen x axis (time in minutes since the first point). */
export function toCurve(points: readonly WirePoint[], x: XAxis): CurvePoint[] {
  const t0 = points[0]?.wallMs ?? 0;
  return points.map((p) => ({
    x: x === 'epoch' ? p.epoch : x === 'step' ? p.step : (p.wallMs - t0) / 60_000,
    y: decodeMetric(p.value) ?? Number.NaN,
  }));
}

/**
 * Metric keys in chart groups: `loss` with `val_loss`, `accuracy` with `val_accuracy`, and a
 * per-batch key (`batch/loss`) with its epoch key. Anything else charts on its own.
 */
export function chartGroups(keys: readonly string[]): { title: string; keys: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const base = key.replace(/^(val_|test_|batch\/|train\/|val\/|test\/)/, '');
    const list = groups.get(base) ?? [];
    list.push(key);
    groups.set(base, list);
  }
  const order = (k: string) => (k === 'loss' ? 0 : /acc/.test(k) ? 1 : 2);
  return [...groups.entries()]
    .sort((a, b) => order(a[0]) - order(b[0]) || a[0].localeCompare(b[0]))
    .map(([title, list]) => ({ title, keys: list.sort() }));
}
