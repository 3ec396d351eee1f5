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

  it("says it in the page's language, names and words as typed", () => {
    const text = 'status:done lenet val_accuracy>high sweep:x loss!=1';
    expect(parseQuickFilter(text, isMetric, 'en').errors).toEqual([
      'status "done" is not one of queued, running, completed, failed, canceled, interrupted, diverged, pruned',
      '"lenet" — write key=value, key>number, status:…, tag:…, sweep:<id>',
      'val_accuracy: metric filters need a number, got "high"',
      'sweep:x — expected a numeric id',
      'loss: metrics filter by range (<, <=, >, >=, =)',
    ]);
    const korean = parseQuickFilter(text, isMetric, 'ko').errors;
    expect(korean).toEqual([
      '상태 "done"은(는) queued, running, completed, failed, canceled, interrupted, diverged, pruned 중 하나가 아닙니다',
      '"lenet" — key=value, key>number, status:…, tag:…, sweep:<id> 형식으로 쓰세요',
      'val_accuracy: 지표 필터에는 숫자가 필요합니다. 받은 값: "high"',
      'sweep:x — 숫자 id여야 합니다',
      'loss: 지표는 범위로 거릅니다 (<, <=, >, >=, =)',
    ]);
  });

  it('keeps string param values as strings', () => {
    expect(parseQuickFilter('optimizer=adam', isMetric).params).toEqual([{ key: 'optimizer', op: 'eq', value: 'adam' }]);
  });
});
