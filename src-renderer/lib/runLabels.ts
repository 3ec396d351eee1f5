import { formatParam } from './format.ts';

/**
 * Names each run by the parameters that differ between the runs shown together, so a legend says
 * `kernelSize=3 epochs=2` rather than `run 17`. Keys that are the same for every run add nothing
 * and are left out; with no difference at all the run's own name is used.
 */
export function labelRunsByDiff(
  runs: readonly { id: number; name: string; params: Record<string, unknown> }[],
  maxKeys = 3,
): Map<number, string> {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.params)) keys.add(k);
  const differing = [...keys]
    .filter((k) => new Set(runs.map((r) => JSON.stringify(r.params[k] ?? null))).size > 1)
    .sort((a, b) => shortKey(a).length - shortKey(b).length || a.localeCompare(b))
    .slice(0, maxKeys);
  const labels = new Map<number, string>();
  for (const r of runs) {
    const text = differing.map((k) => `${shortKey(k)}=${formatParam(r.params[k])}`).join(' ');
    labels.set(r.id, text ? `#${r.id} ${text}` : `#${r.id} ${r.name}`);
  }
  return labels;
}

/** `hyperparameters.learningRate` → `learningRate`; `model.layers.0.kernelSize` → `layers.0.kernelSize`. */
export function shortKey(key: string): string {
  return key.replace(/^(hyperparameters|hp|model|spec)\./, '');
}
