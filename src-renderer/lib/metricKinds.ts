import type { MetricKindInfo } from '../../src-main/core/contract/metrics.ts';
import { m } from '../../i18n/paraglide/messages.js';

/**
 * The renderer's view of the core's metric-kind registry (contract/metrics.ts). The renderer may
 * not import the registry itself (types only), so every kind it shows arrives on the wire — run
 * summaries, comparisons, the pivot and `runs.list` carry `kind` and `better` — and these helpers
 * only read them. A key the core has not described yet is treated as not ranked.
 */
export type KindTable = Record<string, MetricKindInfo>;

const unranked: MetricKindInfo = { kind: 'resource', better: null };

export function kindOf(kinds: KindTable, key: string): MetricKindInfo {
  return kinds[key] ?? unranked;
}

/** `{ key, kind, better }` rows (run summaries, comparison summaries) as a table by key. */
export function kindTable(rows: readonly ({ key: string } & MetricKindInfo)[]): KindTable {
  return Object.fromEntries(rows.map((r) => [r.key, { kind: r.kind, better: r.better }]));
}

/** What the compare view says beside a metric's name. */
export function rankNote(info: MetricKindInfo): string {
  if (info.better === null) return m.metric_not_ranked();
  return info.better === 'max' ? m.metric_higher_better() : m.metric_lower_better();
}
