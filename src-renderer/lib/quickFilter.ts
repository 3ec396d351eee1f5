/**
 * The runs search box: `status:running tag:best kernelSize=3 epochs>=2 val_accuracy>0.9`.
 * Words with an operator become param or metric filters (a key the store reports as a metric is a
 * metric filter, `key.field` picks last/best/min/max); `status:`, `tag:`, `sweep:` and
 * `experiment:` pick those filters; anything else is an error the box shows under itself, in the
 * page's language.
 */
import type { ListRunsQuery, RunStatus, SummaryField } from '../../src-main/core/contract/index.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { getLocale } from '../../i18n/paraglide/runtime.js';
import { isRunStatus, runStatuses } from './contractLists.ts';

/** The comparisons the box reads: the contract's, but `in` (a list) has no word here. */
export type ParamOp = Exclude<NonNullable<NonNullable<ListRunsQuery['params']>[number]['op']>, 'in'>;

export interface QuickFilter {
  status: RunStatus[];
  tag?: string;
  sweepId?: number;
  experimentId?: number;
  params: { key: string; op: ParamOp; value: number | string | boolean }[];
  metrics: { key: string; field: SummaryField; min?: number; max?: number }[];
  errors: string[];
}
const opMap: Record<string, ParamOp> = { '=': 'eq', '==': 'eq', '!=': 'ne', '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge' };

function parseValue(text: string): number | string | boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = Number(text);
  return text !== '' && Number.isFinite(n) ? n : text;
}

export function parseQuickFilter(text: string, isMetric: (key: string) => boolean, locale: 'en' | 'ko' = getLocale()): QuickFilter {
  const out: QuickFilter = { status: [], params: [], metrics: [], errors: [] };
  for (const word of text.trim().split(/\s+/).filter(Boolean)) {
    const named = /^(status|tag|sweep|experiment):(.+)$/.exec(word);
    if (named) {
      const [, kind, value] = named as unknown as [string, string, string];
      if (kind === 'status') {
        for (const s of value.split(',')) {
          if (isRunStatus(s)) out.status.push(s);
          else out.errors.push(m.runs_filter_bad_status({ status: s, statuses: runStatuses.join(', ') }, { locale }));
        }
      } else if (kind === 'tag') out.tag = value;
      else {
        const id = Number(value);
        if (!Number.isInteger(id) || id <= 0) out.errors.push(m.runs_filter_bad_id({ kind, value }, { locale }));
        else if (kind === 'sweep') out.sweepId = id;
        else out.experimentId = id;
      }
      continue;
    }
    const cmp = /^([^<>=!]+)(==|!=|<=|>=|=|<|>)(.+)$/.exec(word);
    if (!cmp) {
      out.errors.push(m.runs_filter_unreadable({ word }, { locale }));
      continue;
    }
    const [, rawKey, op, rawValue] = cmp as unknown as [string, string, string, string];
    const value = parseValue(rawValue);
    const fieldMatch = /^(.+)\.(last|best|min|max)$/.exec(rawKey);
    const metricKey = fieldMatch && isMetric(fieldMatch[1]!) ? fieldMatch[1]! : isMetric(rawKey) ? rawKey : null;
    if (metricKey) {
      const field = (fieldMatch && metricKey === fieldMatch[1] ? fieldMatch[2] : 'best') as QuickFilter['metrics'][number]['field'];
      if (typeof value !== 'number') {
        out.errors.push(m.runs_filter_metric_number({ key: rawKey, value: rawValue }, { locale }));
        continue;
      }
      // The store filters metrics by range: < and <= both become a max, > and >= a min.
      if (op === '<' || op === '<=') out.metrics.push({ key: metricKey, field, max: value });
      else if (op === '>' || op === '>=') out.metrics.push({ key: metricKey, field, min: value });
      else if (op === '=' || op === '==') out.metrics.push({ key: metricKey, field, min: value, max: value });
      else out.errors.push(m.runs_filter_metric_range({ key: rawKey }, { locale }));
      continue;
    }
    out.params.push({ key: rawKey, op: opMap[op]!, value });
  }
  return out;
}
