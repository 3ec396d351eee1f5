import { describe, expect, it } from 'vitest';
import { chartGroups, toCurve } from './series.ts';

describe('chartGroups', () => {
  it('puts loss first and accuracy second, with their validation, test and batch keys', () => {
    expect(chartGroups(['val_accuracy', 'lr', 'test_loss', 'loss', 'accuracy', 'val_loss', 'batch/loss'])).toEqual([
      { title: 'loss', keys: ['batch/loss', 'loss', 'test_loss', 'val_loss'] },
      { title: 'accuracy', keys: ['accuracy', 'val_accuracy'] },
      { title: 'lr', keys: ['lr'] },
    ]);
  });
});

describe('toCurve', () => {
  it('puts points on the chosen x axis and turns the wire NaN back into a number', () => {
    const points = [
      { step: 10, epoch: 1, wallMs: 60_000, value: 0.5 },
      { step: 20, epoch: 2, wallMs: 180_000, value: 'NaN' as const },
    ];
    expect(toCurve(points, 'step')).toEqual([
      { x: 10, y: 0.5 },
      { x: 20, y: NaN },
    ]);
    expect(toCurve(points, 'time').map((p) => p.x)).toEqual([0, 2]);
  });
});
