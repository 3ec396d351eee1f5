import { describe, expect, it } from 'vitest';
import { parseQuickFilter } from './quickFilter.ts';

const isMetric = (k: string) => ['val_accuracy', 'loss'].includes(k);

describe('parseQuickFilter', () => {
  it('turns words into status, tag, param and metric filters', () => {
    const f = parseQuickFilter('status:completed,failed tag:best kernelSize=3 epochs>=2 val_accuracy>0.9 loss.last<0.5', isMetric);
    expect(f.errors).toEqual([]);
    expect(f.status).toEqual(['completed', 'failed']);
    expect(f.tag).toBe('best');
    expect(f.params).toEqual([
      { key: 'kernelSize', op: 'eq', value: 3 },
      { key: 'epochs', op: 'ge', value: 2 },
    ]);
    expect(f.metrics).toEqual([
      { key: 'val_accuracy', field: 'best', min: 0.9 },
      { key: 'loss', field: 'last', max: 0.5 },
    ]);
  });

  it('says what is wrong with a word it cannot read', () => {
    const f = parseQuickFilter('status:done lenet val_accuracy>high sweep:x', isMetric);
    expect(f.errors).toHaveLength(4);
    expect(f.errors[0]).toMatch(/status "done"/);
    expect(f.errors[1]).toMatch(/"lenet"/);
    expect(f.errors[2]).toMatch(/need a number/);
    expect(f.errors[3]).toMatch(/numeric id/);
  });

  it('keeps string param values as strings', () => {
    expect(parseQuickFilter('optimizer=adam', isMetric).params).toEqual([{ key: 'optimizer', op: 'eq', value: 'adam' }]);
  });
});
