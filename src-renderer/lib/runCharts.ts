import { m } from '../../i18n/paraglide/messages.js';
import { formatCount } from './format.ts';
import { chartGroups } from './series.ts';
import { kindOf, type KindTable } from './metricKinds.ts';

export interface ChartGroup {
  title: string;
  keys: string[];
}

/**
 * A run's charts in two sections: results (loss, accuracy and their validation and test keys)
 * up front, and what the run used or how fast it went (images/s, memory, tensors, seconds per
 * epoch) in a system section of its own, closed by default.
 */
export function splitChartGroups(keys: readonly string[], kinds: KindTable): { main: ChartGroup[]; system: ChartGroup[] } {
  const groups = chartGroups(keys);
  const isResult = (g: ChartGroup) => g.keys.some((k) => kindOf(kinds, k).kind === 'result');
  return { main: groups.filter(isResult), system: groups.filter((g) => !isResult(g)) };
}

const mib = 1024 * 1024;

/** How a metric is drawn: bytes as MiB, everything else as recorded. */
export function chartUnit(key: string): { scale: number; suffix: string } {
  return /bytes/i.test(key) ? { scale: 1 / mib, suffix: ' (MiB)' } : { scale: 1, suffix: '' };
}

/**
 * Ticks of a chart's x axis: whole numbers on the epoch axis (no "epoch 1.5"), chart.js's own
 * choice on step and time axes.
 */
export function xTicks(axis: string): { precision?: number } {
  return axis === 'epoch' ? { precision: 0 } : {};
}

/**
 * The run's throughput as the run view shows it: live images/s while a batch reports it, else
 * the images/s the run measured (its samples_per_sec summary, last epoch), else nothing.
 */
export function throughputText(live: number | null, measured: number | null): string {
  const value = live ?? measured;
  if (value === null || !Number.isFinite(value) || value <= 0) return '—';
  return m.run_images_per_second({ count: formatCount(Math.round(value)) });
}
