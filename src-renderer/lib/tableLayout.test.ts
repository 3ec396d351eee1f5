import { describe, expect, it } from 'vitest';
import { formatShortTime } from './format.ts';
import { columnWidth } from './tableLayout.ts';

describe('runs table layout', () => {
  it('sizes a column to its longest header word (headers wrap only between words) or its values', () => {
    expect(columnWidth('learningRate')).toBeGreaterThanOrEqual(12 * 0.55 + 1.9);
    expect(columnWidth('val_accuracy (best)')).toBe(columnWidth('val_accuracy'));
    expect(columnWidth('seed')).toBe(columnWidth('epochs'));
    expect(columnWidth('layers.0.kernelSize')).toBeGreaterThan(columnWidth('kernelSize'));
  });

  it('shows creation times of this year without the year', () => {
    const now = new Date(2026, 10, 30, 12).getTime();
    expect(formatShortTime(new Date(2026, 10, 20, 15, 3).getTime(), now)).toBe('11-20 15:03');
    expect(formatShortTime(new Date(2025, 0, 2, 9, 0).getTime(), now)).toBe('2025-01-02');
  });
});
