import { flushSync } from 'svelte';
import { beforeEach, describe, expect, it } from 'vitest';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { runDuration, RunsGrid } from './runsGrid.svelte.ts';
import { defaultParamColumns, RunsTableState } from './runsTable.svelte.ts';

// The served home holds 24 recorded runs in two sweeps of 12 (rendererGlobalSetup.ts), with the
// params kernelSize, epochs, learningRate, optimizer.name and p4, and four metrics.

beforeEach(() => localStorage.clear());

/** Every loaded row, in order. */
function rows(table: RunsTableState) {
  return Array.from({ length: table.total }, (_, i) => table.row(i)).filter((r) => r !== undefined);
}

describe('RunsTableState: filters', () => {
  it('lists every run, newest first, until a filter narrows it', async () => {
    const table = new RunsTableState();
    await table.reload();
    expect(table.loaded).toBe(true);
    expect(table.total).toBe(24);
    expect(rows(table).map((r) => r.id)).toEqual(Array.from({ length: 24 }, (_, i) => 24 - i));
    expect(table.filtered).toBe(false);
  });

  it('keeps only the runs the search box asks for', async () => {
    const table = new RunsTableState();
    await table.followData();
    table.search = 'kernelSize=3 sweep:2';
    await table.reload();
    const shown = rows(table);
    expect(shown.length).toBe(table.total);
    expect(table.total).toBeGreaterThan(0);
    expect(table.total).toBeLessThan(12);
    for (const row of shown) {
      expect(row.sweepId).toBe(2);
    }
    // The param filter is applied by the store; the column shows it once the user adds it.
    table.toggleParam('kernelSize', true);
    await table.reload();
    expect(rows(table).every((r) => r.params.kernelSize === 3)).toBe(true);
    expect(table.filtered).toBe(true);
  });

  it('names what it cannot read in the search and loads nothing for it', async () => {
    const table = new RunsTableState();
    await table.followData();
    table.search = 'status:runing val_accuracy>high';
    expect(table.searchErrors).toEqual([
      expect.stringContaining('status "runing" is not one of'),
      expect.stringContaining('val_accuracy: metric filters need a number'),
    ]);
    await table.reload();
    expect(table.loaded).toBe(false);
  });

  it('opens filtered to the sweep a link names, and ignores a link that names none', () => {
    const linked = new RunsTableState();
    linked.applyLink(new URLSearchParams('sweep=2'));
    expect(linked.sweepId).toBe(2);
    expect(linked.filter().sweepId).toBe(2);
    for (const bad of ['sweep=0', 'sweep=-1', 'sweep=1.5', 'sweep=abc', '']) {
      const table = new RunsTableState();
      table.applyLink(new URLSearchParams(bad));
      expect(table.sweepId).toBeNull();
    }
  });

  it('an experiment chosen counts as a filter (an empty table says no run matches, not "no runs yet")', () => {
    const table = new RunsTableState();
    table.experimentId = 1;
    expect(table.filtered).toBe(true);
  });
});

describe('RunsTableState: columns', () => {
  it('follows the data: the params that vary (never the seed, at most six), then the main metric at its best', async () => {
    const table = new RunsTableState();
    await table.followData();
    expect(table.paramColumns).toEqual(['kernelSize', 'epochs', 'learningRate', 'optimizer.name', 'p4']);
    expect(table.paramColumns.length).toBeLessThanOrEqual(defaultParamColumns);
    expect(table.metricColumns).toEqual([{ key: 'val_accuracy', field: 'best' }]);
    expect(table.customized).toBe(false);
  });

  it('keeps the columns the user chose across visits, until they ask for the data again', async () => {
    const first = new RunsTableState();
    await first.followData();
    first.toggleParam('kernelSize', false);
    first.toggleMetric('loss', 'min', true);
    // Ticking what is already shown changes nothing.
    first.toggleMetric('loss', 'min', true);
    expect(first.customized).toBe(true);
    expect(first.paramColumns).not.toContain('kernelSize');
    expect(first.metricColumns).toEqual([
      { key: 'val_accuracy', field: 'best' },
      { key: 'loss', field: 'min' },
    ]);

    const second = new RunsTableState();
    expect(second.customized).toBe(true);
    expect(second.paramColumns).toEqual(first.paramColumns);
    expect(second.metricColumns).toEqual(first.metricColumns);
    // The data does not override a choice...
    await second.followData();
    expect(second.paramColumns).not.toContain('kernelSize');
    // ...until the user resets it.
    await second.resetColumns();
    expect(second.customized).toBe(false);
    expect(second.paramColumns).toContain('kernelSize');
    expect(new RunsTableState().customized).toBe(false);
  });

  it('a damaged saved layout falls back to columns that follow the data', () => {
    localStorage.setItem('kernellab.runsTable.columns', '{"params": 3');
    expect(new RunsTableState().customized).toBe(false);
  });

  it('offers in the picker every known key and any chosen one the runs no longer have', async () => {
    const table = new RunsTableState();
    await table.followData();
    table.toggleParam('gone.param', true);
    table.toggleMetric('gone_metric', 'last', true);
    expect(table.paramChoices).toEqual(['kernelSize', 'epochs', 'learningRate', 'optimizer.name', 'p4', 'gone.param']);
    expect(table.metricChoices).toEqual(['accuracy', 'loss', 'val_accuracy', 'val_loss', 'gone_metric']);
    expect(table.hasMetricColumn('gone_metric', 'last')).toBe(true);
    expect(table.hasMetricColumn('gone_metric', 'best')).toBe(false);
  });

  it('says in the page’s language that it could not read the columns, with the core’s reason', async () => {
    // A sweep id the store refuses (ids are positive): the columns cannot be asked for.
    const table = new RunsTableState();
    table.sweepId = -1;
    await table.followData();
    const en = (table.error as Error).message;
    expect(en).toMatch(/^Could not read which columns these runs have: .*sweepId/);
    try {
      setLocale('ko', { reload: false });
      await table.followData();
      const ko = (table.error as Error).message;
      expect(ko).toMatch(/^이 실행들에 어떤 열이 있는지 읽지 못했습니다: .*sweepId/);
      expect(ko).not.toMatch(/Could not|which columns/);
    } finally {
      setLocale('en', { reload: false });
    }
  });

  it('rows carry the values of the columns chosen', async () => {
    const table = new RunsTableState();
    await table.followData();
    await table.reload();
    const row = table.row(0)!;
    expect(Object.keys(row.params).sort()).toEqual([...table.paramColumns].sort());
    expect(row.metrics['val_accuracy.best']).toEqual(expect.any(Number));
  });
});

describe('RunsGrid', () => {
  it('lays out the columns: select, id, name, status, the chosen params and metrics, then tags, created, duration', async () => {
    const table = new RunsTableState();
    const grid = new RunsGrid(table);
    await table.followData();
    table.paramColumns = ['hyperparameters.learningRate'];
    expect(grid.columns.map((c) => c.id)).toEqual([
      'select',
      'id',
      'name',
      'status',
      'param:hyperparameters.learningRate',
      'metric:val_accuracy.best',
      'tags',
      'created',
      'duration',
    ]);
    // Headers show the short key; the name takes the rest but never less than its minimum.
    expect(grid.columns[4]!.label).toBe('learningRate');
    expect(grid.template).toMatch(/^2\.2rem 3\.6rem minmax\(10rem, 1fr\) 8\.4rem /);
    const fixed = grid.columns.filter((c) => c.id !== 'name').reduce((s, c) => s + c.width, 0);
    expect(grid.minRowWidth).toBeCloseTo(fixed + 10);
  });

  it('grouping puts the group first, sorts by it, and marks where each group starts', async () => {
    const table = new RunsTableState();
    const grid = new RunsGrid(table);
    table.groupBy = 'kernelSize';
    await table.reload();
    expect(grid.columns[0]).toMatchObject({ id: 'group', label: 'kernelSize', sort: 'param:kernelSize' });
    expect(grid.sortState('param:kernelSize')).toBe('descending');
    expect(grid.sortState('id')).toBe('none');
    const values = rows(table).map((r) => r.params.kernelSize);
    const starts = values.map((_, i) => grid.groupStart(i));
    expect(starts.filter(Boolean).length).toBe(new Set(values).size);
    values.forEach((v, i) => expect(starts[i]).toBe(i === 0 || values[i - 1] !== v));
    // Sorting by another column ends the grouping.
    table.toggleSort('name');
    expect(table.groupBy).toBe('');
    expect(grid.sortState('name')).toBe('descending');
    table.toggleSort('name');
    expect(grid.sortState('name')).toBe('ascending');
    expect(grid.groupStart(3)).toBe(false);
  });

  it('moves the keyboard cursor within the rows and ignores keys that do not move it', async () => {
    const table = new RunsTableState();
    const grid = new RunsGrid(table);
    await table.reload();
    expect(grid.move('ArrowUp')).toBe(0);
    expect(grid.move('ArrowDown')).toBe(1);
    expect(grid.move('PageDown')).toBe(16);
    expect(grid.move('PageDown')).toBe(23);
    expect(grid.move('PageUp')).toBe(8);
    expect(grid.move('Home')).toBe(0);
    expect(grid.move('End')).toBe(23);
    expect(grid.move('Enter')).toBeNull();
    expect(grid.active).toBe(23);
    expect(grid.activeRow?.id).toBe(1);
  });

  it('columns follow the table as it changes', () => {
    const table = new RunsTableState();
    const grid = new RunsGrid(table);
    const seen: number[] = [];
    const stop = $effect.root(() => {
      $effect(() => {
        seen.push(grid.columns.length);
      });
    });
    flushSync();
    table.toggleParam('p4', true);
    flushSync();
    stop();
    expect(seen).toEqual([7, 8]);
  });

  it('a run lasts from its start to its end, or to now while it runs', () => {
    expect(runDuration({ startedAt: null, endedAt: null })).toBeNull();
    expect(runDuration({ startedAt: 1000, endedAt: 4000 })).toBe(3000);
    expect(runDuration({ startedAt: 1000, endedAt: null }, 2500)).toBe(1500);
  });
});
