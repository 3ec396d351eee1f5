import { describe, expect, it } from 'vitest';
import type { PivotResult } from '../../src-main/core/contract/runs.ts';
import { diffGrids, gridFromPivot } from './sweepGrid.ts';

const cell = (row: number, col: number, count: number, mean: number | null, bestRunId: number | null = null) => ({
  row,
  col,
  count,
  best: mean,
  bestRunId,
  mean,
  std: count > 1 ? 0.01 : 0,
  min: mean,
  max: mean,
});

function pivot(cells: PivotResult['cells'], rows: number[], cols: number[]): PivotResult {
  return { rowParam: 'kernelSize', colParam: 'epochs', metric: 'val_accuracy', better: 'max', rows, cols, cells };
}

describe('gridFromPivot', () => {
  const p = pivot(
    [cell(3, 1, 1, 0.95, 3), cell(5, 1, 2, 0.91, 2), cell(3, 2, 1, 0.97, 4), cell(5, 2, 1, null, 5), cell(10, 2, 1, 0.8, 6)],
    [3, 5, 10],
    [1, 2],
  );

  it("lays the store's pivot out as rows × columns, keeping each cell's mean, spread and best run", () => {
    const grid = gridFromPivot(p);
    expect(grid.rows).toEqual(['3', '5', '10']);
    expect(grid.cols).toEqual(['1', '2']);
    expect(grid.cells).toHaveLength(6);
    expect(grid.cells.find((c) => c.row === 1 && c.col === 0)).toMatchObject({ count: 2, mean: 0.91, std: 0.01, bestRunId: 2 });
    // One run: no spread to show.
    expect(grid.cells.find((c) => c.row === 0 && c.col === 0)).toMatchObject({ count: 1, std: null });
  });

  it('has a cell for every pair: a point with no value yet shows as empty, one with no run as zero runs', () => {
    const grid = gridFromPivot(p);
    expect(grid.cells.find((c) => c.row === 1 && c.col === 1)).toMatchObject({ count: 1, mean: null, bestRunId: 5 });
    expect(grid.cells.find((c) => c.row === 2 && c.col === 0)).toMatchObject({ count: 0, mean: null, bestRunId: null });
  });

  it('decodes NaN sent as a string', () => {
    const grid = gridFromPivot(pivot([{ ...cell(3, 1, 1, null), mean: 'NaN' }], [3], [1]));
    expect(grid.cells[0]!.mean).toBeNaN();
  });

  it('differences two grids over their shared cells', () => {
    const a = gridFromPivot(pivot([cell(3, 1, 1, 0.9), cell(5, 1, 1, 0.8)], [3, 5], [1]));
    const b = gridFromPivot(pivot([cell(3, 1, 1, 0.95), cell(7, 1, 1, 0.7)], [3, 7], [1]));
    const d = diffGrids(a, b);
    expect(d.rows).toEqual(['3']);
    expect(d.cells[0]!.mean).toBeCloseTo(0.05);
  });
});
