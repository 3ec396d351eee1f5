import type { RunDetail } from '../../src-main/core/contract/runs.ts';
import { call } from './api.ts';
import { labelRunsByDiff } from './runLabels.ts';

/** What the inspect view needs of a run's model spec (runs.get types it unknown: an imported run may hold anything). */
export interface InspectedSpec {
  inputShape: [number, number, number];
  layers: { type: string; kernelSize?: number; filters?: number }[];
}

export function specOf(run: RunDetail): InspectedSpec | null {
  const spec = run.modelSpec as Partial<InspectedSpec> | null;
  return spec && Array.isArray(spec.inputShape) && spec.inputShape.length === 3 && Array.isArray(spec.layers)
    ? (spec as InspectedSpec)
    : null;
}

/**
 * A run's params without its layer fields: `kernelSize=3` already says what `layers.0.kernelSize=3`
 * and `layers.2.kernelSize=3` would repeat (runParams derives both from the spec).
 */
function namedParams(params: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(params).filter(([key]) => !key.startsWith('layers.')));
}

/** The runs an inspect view shows side by side, loaded once, each named by what differs between them. */
export class InspectedRuns {
  runs = $state.raw<RunDetail[]>([]);
  error = $state<unknown>();
  loading = $state(false);
  labels = $derived(labelRunsByDiff(this.runs.map((r) => ({ id: r.id, name: r.name, params: namedParams(r.params) }))));
  #asked = 0;

  async load(ids: number[]): Promise<void> {
    const ticket = ++this.#asked;
    this.loading = true;
    this.error = undefined;
    try {
      const runs = await Promise.all(ids.map((id) => call('runs.get', { id })));
      if (ticket === this.#asked) this.runs = runs;
    } catch (error) {
      if (ticket === this.#asked) this.error = error;
    } finally {
      if (ticket === this.#asked) this.loading = false;
    }
  }

  label(id: number): string {
    return this.labels.get(id) ?? `#${id}`;
  }
}
