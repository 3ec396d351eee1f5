import type { RunDetail } from '../../src-main/core/contract/runs.ts';

export interface ConfidentMistake {
  /** Index in the test split. */
  index: number;
  label: string;
  predicted: string;
  confidence: number;
  /** The run that was this sure of the wrong class. */
  runId: number;
}

/**
 * The test images some of these runs got most confidently wrong in their last evaluation, each
 * once (at its most confident mistake), most confident first: the pictures worth looking inside.
 */
export function confidentMistakes(runs: readonly Pick<RunDetail, 'id' | 'evaluations'>[], limit: number): ConfidentMistake[] {
  const seen = new Map<number, ConfidentMistake>();
  for (const run of runs) {
    const evaluation = run.evaluations.at(-1);
    if (!evaluation) continue;
    const name = (c: number) => evaluation.perClass[c]?.label ?? String(c);
    for (const w of evaluation.mostWrong) {
      const there = seen.get(w.index);
      if (!there || there.confidence < w.confidence)
        seen.set(w.index, { index: w.index, label: name(w.label), predicted: name(w.predicted), confidence: w.confidence, runId: run.id });
    }
  }
  return [...seen.values()].sort((a, b) => b.confidence - a.confidence).slice(0, limit);
}
