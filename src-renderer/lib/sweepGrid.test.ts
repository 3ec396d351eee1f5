import { describe, expect, it } from 'vitest';
import { buildSweepGrid, diffGrids, type SweepRunPoint } from './sweepGrid.ts';

const run = (runId: number, kernelSize: number, epochs: number, metric: number | null): SweepRunPoint => ({
  runId,
  values: { kernelSize, epochs },
  metric,
});

describe('buildSweepGrid', () => {
  const points = [run(1, 5, 1, 0.9), run(2, 5, 1, 0.92), run(3, 3, 1, 0.95), run(4, 3, 2, 0.97), run(5, 5, 2, null), run(6, 10, 2, 0.8)];

  it('orders numeric axes by value and folds repeats into one cell with mean, spread and best run', () => {
    const grid = buildSweepGrid(points, 'kernelSize', 'epochs', 'max');
    expect(grid.rows).toEqual(['3', '5', '10']);
    expect(grid.cols).toEqual(['1', '2']);
    const k5e1 = grid.cells.find((c) => c.row === 1 && c.col === 0)!;
    expect(k5e1.count).toBe(2);
    expect(k5e1.mean).toBeCloseTo(0.91);
    expect(k5e1.std).toBeCloseTo(Math.sqrt(0.0002));
    expect(k5e1.bestRunId).toBe(2);
  });

  it('keeps a cell whose run has no value yet, so a running point shows as empty, not missing', () => {
    const grid = buildSweepGrid(points, 'kernelSize', 'epochs', 'max');
    const k5e2 = grid.cells.find((c) => c.row === 1 && c.col === 1)!;
    expect(k5e2).toMatchObject({ count: 1, mean: null, bestRunId: 5 });
    const k10e1 = grid.cells.find((c) => c.row === 2 && c.col === 0)!;
    expect(k10e1.count).toBe(0);
  });

  it('picks the lowest value as best for a loss', () => {
    const grid = buildSweepGrid([run(1, 3, 1, 0.4), run(2, 3, 1, 0.2)], 'kernelSize', 'epochs', 'min');
    expect(grid.cells[0]!.bestRunId).toBe(2);
  });

  it('differences two grids over their shared cells', () => {
    const a = buildSweepGrid([run(1, 3, 1, 0.9), run(2, 5, 1, 0.8)], 'kernelSize', 'epochs', 'max');
    const b = buildSweepGrid([run(3, 3, 1, 0.95), run(4, 7, 1, 0.7)], 'kernelSize', 'epochs', 'max');
    const d = diffGrids(a, b);
    expect(d.rows).toEqual(['3']);
    expect(d.cells[0]!.mean).toBeCloseTo(0.05);
  });
});
