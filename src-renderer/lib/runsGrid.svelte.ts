import type { RunRow } from '../../src-main/core/contract/runs.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { shortKey } from './runLabels.ts';
import type { RunsTableState } from './runsTable.svelte.ts';
import { columnWidth } from './tableLayout.ts';

export interface GridColumn {
  id: string;
  label: string;
  /** rem; 0 for the name, which takes what the others leave. */
  width: number;
  /** The sort key its header toggles; '' when it does not sort. */
  sort: string;
}

/** The name column is never narrower than this (rem). */
export const nameMinWidth = 10;

/** Rows moved by Page Up / Page Down. */
const pageRows = 15;

/** How long a run has taken so far (or took): null before it started. */
export function runDuration(row: Pick<RunRow, 'startedAt' | 'endedAt'>, now = Date.now()): number | null {
  if (!row.startedAt) return null;
  return (row.endedAt ?? now) - row.startedAt;
}

/**
 * The runs grid as the runs view lays it out: which columns in which order and widths, where a
 * group starts, how each header shows its sort, and the keyboard cursor. The rows, filters and
 * column choice are the table's (runsTable.svelte.ts).
 */
export class RunsGrid {
  readonly table: RunsTableState;
  /** The row the keyboard cursor is on. */
  active = $state(0);

  constructor(table: RunsTableState) {
    this.table = table;
  }

  readonly columns: GridColumn[] = $derived.by(() => {
    const t = this.table;
    return [
      ...(t.groupBy
        ? [{ id: 'group', label: shortKey(t.groupBy), width: columnWidth(shortKey(t.groupBy)), sort: `param:${t.groupBy}` }]
        : []),
      { id: 'select', label: '', width: 2.2, sort: '' },
      { id: 'id', label: '#', width: 3.6, sort: 'id' },
      { id: 'name', label: m.runs_col_name(), width: 0, sort: 'name' },
      { id: 'status', label: m.runs_col_status(), width: 8.4, sort: 'status' },
      ...t.paramColumns.map((k) => ({ id: `param:${k}`, label: shortKey(k), width: columnWidth(shortKey(k)), sort: `param:${k}` })),
      ...t.metricColumns.map((c) => ({
        id: `metric:${c.key}.${c.field}`,
        label: `${c.key} (${c.field})`,
        width: columnWidth(`${c.key} (${c.field})`),
        sort: `metric:${c.key}.${c.field}`,
      })),
      { id: 'tags', label: m.runs_col_tags(), width: 7.6, sort: '' },
      { id: 'created', label: m.runs_col_created(), width: 8.6, sort: 'createdAt' },
      { id: 'duration', label: m.runs_col_duration(), width: 6, sort: 'duration' },
    ];
  });

  /**
   * CSS grid tracks in rem. A row is as wide as the table and never narrower than every column's
   * minimum, so all rows (each its own grid) resolve the same tracks.
   */
  readonly template = $derived(this.columns.map((c) => (c.id === 'name' ? `minmax(${nameMinWidth}rem, 1fr)` : `${c.width}rem`)).join(' '));
  readonly minRowWidth = $derived(this.columns.reduce((sum, c) => sum + (c.id === 'name' ? nameMinWidth : c.width), 0));

  /** True for the first loaded row of a group (grouping on): the row that shows the group's value. */
  groupStart(index: number): boolean {
    const by = this.table.groupBy;
    if (!by) return false;
    const here = this.table.row(index);
    const before = this.table.row(index - 1);
    return !!here && (!before || before.params[by] !== here.params[by]);
  }

  /** The aria-sort of a column's header: grouping sorts by the group first. */
  sortState(sort: string): 'ascending' | 'descending' | 'none' {
    const by = this.table.groupBy ? `param:${this.table.groupBy}` : this.table.sort.by;
    if (by !== sort) return 'none';
    return this.table.sort.dir === 'asc' ? 'ascending' : 'descending';
  }

  /**
   * Moves the cursor for an arrow, page or Home/End key and returns where it went, or null for
   * any other key. The cursor stays on a row of the table.
   */
  move(key: string): number | null {
    const last = Math.max(0, this.table.total - 1);
    const to =
      key === 'ArrowDown'
        ? this.active + 1
        : key === 'ArrowUp'
          ? this.active - 1
          : key === 'PageDown'
            ? this.active + pageRows
            : key === 'PageUp'
              ? this.active - pageRows
              : key === 'Home'
                ? 0
                : key === 'End'
                  ? last
                  : null;
    if (to === null) return null;
    this.active = Math.max(0, Math.min(last, to));
    return this.active;
  }

  /** The loaded row under the cursor, if any. */
  get activeRow(): RunRow | undefined {
    return this.table.row(this.active);
  }
}
