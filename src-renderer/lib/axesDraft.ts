/** The sweep axes editor: one row per axis, values as a list ("3, 5, 7") or a range. */
import type { AxisValue, SweepSpecInput } from '../../src-main/core/contract/index.ts';

export interface AxisDraft {
  name: string;
  mode: 'list' | 'range';
  list: string;
  min: string;
  max: string;
  steps: string;
  scale: 'linear' | 'log';
}

export function newAxis(name = 'kernelSize', list = '3, 5'): AxisDraft {
  return { name, mode: 'list', list, min: '', max: '', steps: '', scale: 'linear' };
}

function scalar(text: string): number | string | boolean {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  const n = Number(t);
  return t !== '' && Number.isFinite(n) ? n : t;
}

/**
 * Axis drafts as the spec's `axes` object. A list splits on commas; `[3,5]` items (per-layer
 * filters) parse as JSON arrays. A range passes min/max/steps through as numbers (the core
 * checks them and names the field when one is wrong).
 */
export function axesSpec(axes: readonly AxisDraft[]): NonNullable<SweepSpecInput['axes']> {
  const out: NonNullable<SweepSpecInput['axes']> = {};
  for (const axis of axes) {
    const name = axis.name.trim();
    if (!name) continue;
    if (axis.mode === 'range') {
      out[name] = {
        min: Number(axis.min),
        max: Number(axis.max),
        ...(axis.steps.trim() ? { steps: Number(axis.steps) } : {}),
        scale: axis.scale,
      };
      continue;
    }
    const items: AxisValue[] = [];
    for (const part of axis.list.match(/\s*\[[^\]]*\]|[^,]+/g) ?? []) {
      const p = part.trim();
      if (!p) continue;
      if (p.startsWith('[')) {
        try {
          // Whatever the brackets held: the core refuses a list that is not numbers, naming the axis.
          items.push(JSON.parse(p) as AxisValue);
        } catch {
          items.push(p);
        }
      } else items.push(scalar(p));
    }
    out[name] = items;
  }
  return out;
}
