import { formatParam } from './format.ts';

export interface SweepRunPoint {
  runId: number;
  /** Axis values of the point this run trained. */
  values: Record<string, unknown>;
  /** The chosen metric's summary, or null when the run has none (still running, failed). */
  metric: number | null;
}

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
  runIds: number[];
}

export interface SweepGridData {
  rows: string[];
  cols: string[];
  cells: GridCell[];
}

function axisOrder(values: unknown[]): string[] {
  const distinct = [...new Map(values.map((v) => [formatParam(v), v])).entries()];
  distinct.sort(([, a], [, b]) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
  return distinct.map(([text]) => text);
}

/**
 * A two-axis grid over a sweep's runs: every run lands in the cell of its two axis values; the
 * other axes and the repeats fold into the cell, which keeps mean, spread (sample std, min, max)
 * and its best run.
 */
export function buildSweepGrid(points: readonly SweepRunPoint[], rowAxis: string, colAxis: string, better: 'max' | 'min'): SweepGridData {
  const rows = axisOrder(points.map((p) => p.values[rowAxis]));
  const cols = axisOrder(points.map((p) => p.values[colAxis]));
  const byCell = new Map<string, SweepRunPoint[]>();
  for (const p of points) {
    const key = `${rows.indexOf(formatParam(p.values[rowAxis]))}:${cols.indexOf(formatParam(p.values[colAxis]))}`;
    byCell.set(key, [...(byCell.get(key) ?? []), p]);
  }
  const cells: GridCell[] = [];
  rows.forEach((_, r) =>
    cols.forEach((_, c) => {
      const members = byCell.get(`${r}:${c}`) ?? [];
      const values = members.map((m) => m.metric).filter((v): v is number => v !== null && Number.isFinite(v));
      const mean = values.length ? values.reduce((a, b) => a + b, 0) / values.length : null;
      const std =
        values.length > 1 && mean !== null ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : null;
      let best: SweepRunPoint | null = null;
      for (const m of members) {
        if (m.metric === null || !Number.isFinite(m.metric)) continue;
        if (!best || (better === 'max' ? m.metric > best.metric! : m.metric < best.metric!)) best = m;
      }
      cells.push({
        row: r,
        col: c,
        count: members.length,
        mean,
        std,
        min: values.length ? Math.min(...values) : null,
        max: values.length ? Math.max(...values) : null,
        bestRunId: best?.runId ?? members[0]?.runId ?? null,
        runIds: members.map((m) => m.runId),
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
      cells.push({
        row: r,
        col: c,
        count: (x?.count ?? 0) + (y?.count ?? 0),
        mean,
        std: null,
        min: null,
        max: null,
        bestRunId: null,
        runIds: [],
      });
    }),
  );
  return { rows, cols, cells };
}
