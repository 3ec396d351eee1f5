/**
 * Tick labels of parallel coordinates: where each goes on its axis, which are shown when there
 * are more than fit, and how long a label may be before it would run into the next axis.
 */

export interface AxisTick {
  /** 0 bottom → 1 top. */
  at: number;
  text: string;
}

/** Keeps every k-th tick (always the first and the last) so labels are at least `minGapPx` apart. */
export function thinTicks(ticks: readonly AxisTick[], heightPx: number, minGapPx = 14): AxisTick[] {
  const gap = (a: AxisTick, b: AxisTick) => Math.abs(b.at - a.at) * heightPx;
  if (ticks.length <= 2 || ticks.every((t, i) => i === 0 || gap(ticks[i - 1]!, t) >= minGapPx)) return [...ticks];
  const step = Math.ceil(minGapPx / gap(ticks[0]!, ticks[1]!));
  const kept = ticks.filter((_, i) => i % step === 0 && i !== ticks.length - 1);
  // The last tick always shows; a kept one too close below it gives way.
  while (kept.length > 1 && gap(kept.at(-1)!, ticks.at(-1)!) < minGapPx) kept.pop();
  return [...kept, ticks.at(-1)!];
}

/** A label shortened with an ellipsis to fit `maxWidth` (as `measure` measures text). */
export function fitLabel(text: string, maxWidth: number, measure: (s: string) => number): string {
  if (measure(text) <= maxWidth) return text;
  for (let n = text.length - 1; n > 0; n--) {
    const short = `${text.slice(0, n)}…`;
    if (measure(short) <= maxWidth) return short;
  }
  return '…';
}
