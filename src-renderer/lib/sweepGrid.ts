import type { PivotResult } from '../../src-main/core/contract/runs.ts';
import { decodeMetric, formatParam } from './format.ts';

export interface GridCell {
  row: number;
  col: number;
  count: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  /** The run with the best value in the cell (opened on click). */
  bestRunId: number | null;
}

export interface SweepGridData {
  rows: string[];
  cols: string[];
  cells: GridCell[];
}

/**
 * The two-axis grid of a sweep as the store's pivot (`runs.pivot`) computes it: every run in the
 * cell of its two params, the other axes and the repeats folded into the cell's mean, spread and
 * best run. Every row × column pair gets a cell, so a point with no run yet shows as empty.
 */
export function gridFromPivot(pivot: PivotResult): SweepGridData {
  const rows = pivot.rows.map(formatParam);
  const cols = pivot.cols.map(formatParam);
  const byKey = new Map(pivot.cells.map((c) => [`${formatParam(c.row)}\u0000${formatParam(c.col)}`, c]));
  const cells: GridCell[] = [];
  rows.forEach((row, r) =>
    cols.forEach((col, c) => {
      const cell = byKey.get(`${row}\u0000${col}`);
      cells.push({
        row: r,
        col: c,
        count: cell?.count ?? 0,
        mean: decodeMetric(cell?.mean),
        // One run has no spread to show.
        std: cell && cell.count > 1 ? decodeMetric(cell.std) : null,
        min: decodeMetric(cell?.min),
        max: decodeMetric(cell?.max),
        bestRunId: cell?.bestRunId ?? null,
      });
    }),
  );
  return { rows, cols, cells };
}

/** Cell-by-cell difference b − a over the cells both grids have (matched by axis labels). */
export function diffGrids(a: SweepGridData, b: SweepGridData): SweepGridData {
  const rows = a.rows.filter((r) => b.rows.includes(r));
  const cols = a.cols.filter((c) => b.cols.includes(c));
  const at = (g: SweepGridData, row: string, col: string) =>
    g.cells.find((x) => x.row === g.rows.indexOf(row) && x.col === g.cols.indexOf(col));
  const cells: GridCell[] = [];
  rows.forEach((row, r) =>
    cols.forEach((col, c) => {
      const x = at(a, row, col);
      const y = at(b, row, col);
      const mean = x?.mean !== null && x?.mean !== undefined && y?.mean !== null && y?.mean !== undefined ? y.mean - x.mean : null;
      cells.push({ row: r, col: c, count: (x?.count ?? 0) + (y?.count ?? 0), mean, std: null, min: null, max: null, bestRunId: null });
    }),
  );
  return { rows, cols, cells };
}
