import { describe, expect, it } from 'vitest';
import { columnWidth } from './tableLayout.ts';

describe('runs table layout', () => {
  it('sizes a column to its longest header word (headers wrap only between words) or its values', () => {
    expect(columnWidth('learningRate')).toBeGreaterThanOrEqual(12 * 0.55 + 1.9);
    expect(columnWidth('val_accuracy (best)')).toBe(columnWidth('val_accuracy'));
    expect(columnWidth('seed')).toBe(columnWidth('epochs'));
    expect(columnWidth('layers.0.kernelSize')).toBeGreaterThan(columnWidth('kernelSize'));
  });
});
