/**
 * The one registry of metric kinds: what a metric key measures, and so whether a run with more
 * of it is better, worse, or neither. The store's summaries (`best`), the pivot, comparisons, the
 * CLI and every view rank metrics by this and by nothing else; the views get it on the wire
 * (MetricSummary.kind/better, CompareResult, PivotResult, runs.list `metricKinds`).
 *
 * - result: what training achieved. Loss-like keys (loss, error, mse, mae, rmse, perplexity, or
 *   ending in err) are better lower; accuracy-like keys (acc, precision, recall, f1, auc, iou,
 *   dice, score, top<N>) better higher. Loss-like wins a tie, so `val_acc_loss` is minimised.
 * - speed: work per second (samples_per_sec, images_per_sec, throughput): better higher.
 * - resource: what the run used (rss_bytes, num_tensors, epoch_seconds, memory, a learning-rate
 *   schedule, any key not recognised): shown, never ranked, never starred.
 */
import { z } from 'zod';

export const MetricKind = z.enum(['result', 'speed', 'resource']);
export type MetricKind = z.infer<typeof MetricKind>;

/** Which way is better; null for a metric that is not ranked. */
export const MetricBetter = z.enum(['max', 'min']).nullable();
export type MetricBetter = z.infer<typeof MetricBetter>;

export const MetricKindInfo = z.object({ kind: MetricKind, better: MetricBetter });
export type MetricKindInfo = z.infer<typeof MetricKindInfo>;

const lossLike = /loss|error|err$|mse|mae|rmse|perplexity/;
const speedLike = /per_sec|per_s$|_per_second|throughput/;
const resourceLike = /bytes|rss|memory|tensors|seconds|(^|_)time|duration|(^|_)ms$|(^|_)lr$|learning_rate|grad_norm/;
const accuracyLike = /acc|precision|recall|f1|auc|iou|dice|score|top\d/;

export function metricKind(key: string): MetricKindInfo {
  const k = key.toLowerCase();
  if (lossLike.test(k)) return { kind: 'result', better: 'min' };
  if (speedLike.test(k)) return { kind: 'speed', better: 'max' };
  if (resourceLike.test(k)) return { kind: 'resource', better: null };
  if (accuracyLike.test(k)) return { kind: 'result', better: 'max' };
  return { kind: 'resource', better: null };
}

/**
 * The index of the single best value, or -1 when there is none: the metric is not ranked, no
 * value is finite, or the best value is shared (a tie stars nobody).
 */
export function bestIndex(values: readonly (number | null)[], better: MetricBetter): number {
  if (better === null) return -1;
  let best = -1;
  let tie = false;
  values.forEach((v, i) => {
    if (v === null || !Number.isFinite(v)) return;
    if (best < 0 || (better === 'max' ? v > values[best]! : v < values[best]!)) {
      best = i;
      tie = false;
    } else if (v === values[best]) tie = true;
  });
  return tie ? -1 : best;
}

/** Metrics a table or a summary leads with, in order of preference. */
const leading = ['val_accuracy', 'test_accuracy', 'accuracy', 'val_loss', 'loss'];

/**
 * The metric to lead with among `keys`: validation accuracy, then test or training accuracy, then
 * the first result metric that is better higher, then any result metric; null when none is a result.
 */
export function mainMetric(keys: readonly string[]): string | null {
  return (
    leading.find((k) => keys.includes(k)) ??
    keys.find((k) => metricKind(k).kind === 'result' && metricKind(k).better === 'max') ??
    keys.find((k) => metricKind(k).kind === 'result') ??
    null
  );
}
