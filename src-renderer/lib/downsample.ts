/** One point of a curve: x is the step (or epoch, or wall time), y the metric value. */
export interface CurvePoint {
  x: number;
  y: number;
}

/**
 * Reduces a curve to about `target` points with min/max buckets: every bucket keeps its lowest and
 * its highest point (in x order), so spikes and dips survive, and the best point of the whole
 * curve is always kept so the best epoch stays visible. The first and last points are kept too.
 * A bucket that holds a NaN or an infinity keeps the first such point: a diverged run's NaN loss is
 * information the user needs, and chart.js draws it as a gap.
 *
 * Points must be sorted by x. A curve with `target` points or fewer is returned as it is.
 */
export function downsampleMinMax(points: readonly CurvePoint[], target: number, better: 'max' | 'min'): CurvePoint[] {
  const n = points.length;
  if (target < 4) throw new RangeError(`target must be at least 4, got ${target}`);
  if (n <= target) return points.slice();

  let bestIndex = -1;
  for (let i = 0; i < n; i++) {
    const y = points[i]!.y;
    if (!Number.isFinite(y)) continue;
    if (bestIndex < 0 || (better === 'max' ? y > points[bestIndex]!.y : y < points[bestIndex]!.y)) bestIndex = i;
  }

  // Two points per bucket, plus first, last and best: stay at or under the target.
  const bucketCount = Math.max(1, Math.floor((target - 3) / 2));
  const inner = n - 2;
  const keep = new Set<number>([0, n - 1]);
  if (bestIndex >= 0) keep.add(bestIndex);
  for (let b = 0; b < bucketCount; b++) {
    const start = 1 + Math.floor((b * inner) / bucketCount);
    const end = 1 + Math.floor(((b + 1) * inner) / bucketCount);
    let lo = -1;
    let hi = -1;
    let odd = -1;
    for (let i = start; i < end; i++) {
      const y = points[i]!.y;
      if (!Number.isFinite(y)) {
        if (odd < 0) odd = i;
        continue;
      }
      if (lo < 0 || y < points[lo]!.y) lo = i;
      if (hi < 0 || y > points[hi]!.y) hi = i;
    }
    if (odd >= 0) {
      keep.add(odd);
      // The odd point takes one of the bucket's two places: keep the extreme that matters more.
      const extreme = better === 'max' ? hi : lo;
      if (extreme >= 0) keep.add(extreme);
    } else {
      if (lo >= 0) keep.add(lo);
      if (hi >= 0) keep.add(hi);
    }
  }
  return [...keep].sort((a, b) => a - b).map((i) => points[i]!);
}
