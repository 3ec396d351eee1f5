/**
 * A perceptually ordered colour scale (viridis stops) for heatmaps and colour-by-metric marks.
 * `t` runs 0 → 1 from worst to best, so "brighter is better" whichever way the metric points.
 */
const stops: [number, number, number][] = [
  [68, 1, 84],
  [72, 40, 120],
  [62, 74, 137],
  [49, 104, 142],
  [38, 130, 142],
  [31, 158, 137],
  [53, 183, 121],
  [109, 205, 89],
  [180, 222, 44],
  [253, 231, 37],
];

export function viridis(t: number): string {
  const c = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(c));
  const f = c - i;
  const a = stops[i]!;
  const b = stops[i + 1]!;
  const mix = (k: 0 | 1 | 2) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

/** Black or white text, whichever reads better on a viridis cell (the light end is yellow-green). */
export function textOn(t: number): string {
  return t > 0.55 ? '#111111' : '#ffffff';
}

/** A diverging scale for differences: red below zero, blue above, white-ish near zero. */
export function diverging(t: number): string {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  const neutral = [240, 240, 240];
  const end = c < 0 ? [178, 24, 43] : [33, 102, 172];
  const f = Math.abs(c);
  const mix = (k: number) => Math.round(neutral[k]! + (end[k]! - neutral[k]!) * f);
  return `rgb(${mix(0)}, ${mix(1)}, ${mix(2)})`;
}

export interface ScaleDomain {
  min: number;
  max: number;
  better: 'max' | 'min';
}

/** Position of a value on a domain, 0 = worst, 1 = best. */
export function normalise(value: number, domain: ScaleDomain): number {
  const span = domain.max - domain.min;
  const t = span > 0 ? (value - domain.min) / span : 1;
  return domain.better === 'max' ? t : 1 - t;
}

export function domainOf(values: Iterable<number | null | undefined>, better: 'max' | 'min'): ScaleDomain | null {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? { min, max, better } : null;
}
