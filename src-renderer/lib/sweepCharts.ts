import type { PcLine } from '../components/ParallelCoordinates.svelte';
import { normalise, type ScaleDomain } from './colorScale.ts';
import type { SweepRunPoint } from './sweepData.svelte.ts';

/**
 * The lines of a sweep's parallel coordinates: one per run with a value, through each axis and
 * the metric, coloured by the "colour by" axis as the scatter and the curves are (one legend
 * reads all three), with the metric's place on its scale kept for the tooltip.
 */
export function pcLinesOf(
  points: readonly SweepRunPoint[],
  axes: readonly string[],
  metric: string,
  colorAxis: string,
  colorOf: (value: unknown) => string,
  domain: ScaleDomain | null,
): PcLine[] {
  return points
    .filter((p) => p.metric !== null)
    .map((p) => ({
      values: { ...Object.fromEntries(axes.map((a) => [a, p.values[a] ?? null])), [metric]: p.metric },
      t: domain ? normalise(p.metric!, domain) : 0.5,
      color: colorOf(p.values[colorAxis]),
      label: `#${p.runId}`,
      key: p.runId,
    }));
}
