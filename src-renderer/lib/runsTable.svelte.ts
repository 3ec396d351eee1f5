import type { ListRunsQuery, RunRow, RunStatus, SummaryField } from '../../src-main/core/contract/runs.ts';
import { call } from './api.ts';
import { errorMessage } from './format.ts';
import { parseQuickFilter } from './quickFilter.ts';

export interface MetricColumn {
  key: string;
  field: SummaryField;
}

const pageSize = 200;

function unique<T>(items: T[]): T[] {
  return items.filter((item, i) => items.indexOf(item) === i);
}
const storageKey = 'kernellab.runsTable.columns';

interface SavedColumns {
  params: string[];
  metrics: MetricColumn[];
}

function loadColumns(): SavedColumns {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? 'null') as SavedColumns | null;
    if (saved && Array.isArray(saved.params) && Array.isArray(saved.metrics)) return saved;
  } catch {
    // A damaged saved layout falls back to the defaults.
  }
  return {
    params: ['epochs', 'learningRate', 'batchSize'],
    metrics: [
      { key: 'val_accuracy', field: 'best' },
      { key: 'loss', field: 'last' },
    ],
  };
}

/**
 * The runs table: which columns, filters and sort the user chose, and the rows, fetched a page at
 * a time as the virtual list scrolls to them (10,000 runs never cross the wire at once).
 */
export class RunsTableState {
  paramColumns = $state<string[]>([]);
  metricColumns = $state<MetricColumn[]>([]);
  /** Keys the store knows, for the column picker and the quick filter. */
  knownParams = $state.raw<string[]>([]);
  knownMetrics = $state.raw<string[]>([]);

  search = $state('');
  statuses = $state<RunStatus[]>([]);
  sweepId = $state<number | null>(null);
  experimentId = $state<number | null>(null);
  groupBy = $state('');
  sort = $state<{ by: string; dir: 'asc' | 'desc' }>({ by: 'id', dir: 'desc' });

  total = $state(0);
  loaded = $state(false);
  error = $state<unknown>(undefined);
  /**
   * Loaded rows by page. A page arrives as one assignment, so the table re-renders once per page
   * rather than once per row (200 signal writes made fast scrolling stutter).
   */
  pages = $state.raw<Record<number, RunRow[]>>({});

  row(index: number): RunRow | undefined {
    return this.pages[Math.floor(index / pageSize)]?.[index % pageSize];
  }

  #generation = 0;
  // Bookkeeping of requests in flight, never rendered: a plain Map on purpose.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity
  readonly #pages = new Map<number, Promise<void>>();

  constructor() {
    const saved = loadColumns();
    this.paramColumns = saved.params;
    this.metricColumns = saved.metrics;
  }

  saveColumns(): void {
    localStorage.setItem(storageKey, JSON.stringify({ params: this.paramColumns, metrics: this.metricColumns }));
  }

  get searchErrors(): string[] {
    return parseQuickFilter(this.search, (k) => this.knownMetrics.includes(k)).errors;
  }

  query(offset: number): ListRunsQuery {
    const quick = parseQuickFilter(this.search, (k) => this.knownMetrics.includes(k));
    const status = unique([...this.statuses, ...quick.status]);
    const params = unique([...this.paramColumns, 'epochs', ...(this.groupBy ? [this.groupBy] : [])]);
    // Grouping sorts by the group first; rows of a group then sit together in the virtual list.
    const sort = this.groupBy ? { by: `param:${this.groupBy}`, dir: this.sort.dir } : this.sort;
    return {
      ...(status.length ? { status } : {}),
      ...(quick.tag ? { tag: quick.tag } : {}),
      ...((quick.sweepId ?? this.sweepId) ? { sweepId: quick.sweepId ?? this.sweepId! } : {}),
      ...((quick.experimentId ?? this.experimentId) ? { experimentId: quick.experimentId ?? this.experimentId! } : {}),
      params: quick.params,
      metrics: quick.metrics,
      paramColumns: params,
      metricColumns: this.metricColumns,
      sort,
      offset,
      limit: pageSize,
    };
  }

  /** Drops every cached row and loads the first page with the current columns, filters and sort. */
  async reload(): Promise<void> {
    if (this.searchErrors.length) return;
    this.#generation += 1;
    this.#pages.clear();
    this.pages = {};
    await this.#loadPage(0);
  }

  /** Refetches the pages already on screen (live updates) without clearing them first. */
  async refreshLoaded(): Promise<void> {
    const pages = [...this.#pages.keys()];
    this.#pages.clear();
    await Promise.all(pages.map((p) => this.#loadPage(p)));
  }

  /** Makes sure rows start…end are loaded or loading. */
  ensure(start: number, end: number): void {
    for (let page = Math.floor(start / pageSize); page <= Math.floor(end / pageSize); page++) {
      if (page * pageSize < this.total && !this.#pages.has(page)) void this.#loadPage(page);
    }
  }

  #loadPage(page: number): Promise<void> {
    const generation = this.#generation;
    const promise = (async () => {
      try {
        const result = await call('runs.list', this.query(page * pageSize));
        if (generation !== this.#generation) return;
        this.total = result.total;
        const lastPage = Math.floor(Math.max(0, result.total - 1) / pageSize);
        const pages = Object.fromEntries(Object.entries(this.pages).filter(([p]) => Number(p) <= lastPage));
        this.pages = { ...pages, [page]: result.rows };
        this.error = undefined;
      } catch (error) {
        if (generation !== this.#generation) return;
        this.#pages.delete(page);
        this.error = error;
      } finally {
        if (generation === this.#generation) this.loaded = true;
      }
    })();
    this.#pages.set(page, promise);
    return promise;
  }

  /** Learns which params and metrics exist from the newest runs, for the column picker. */
  async discoverKeys(): Promise<void> {
    try {
      const newest = await call('runs.list', { limit: 50, sort: { by: 'id', dir: 'desc' } });
      if (newest.rows.length === 0) return;
      const compared = await call('runs.compare', { ids: newest.rows.map((r) => r.id) });
      this.knownParams = compared.params.map((p) => p.key).sort();
      this.knownMetrics = compared.summaries.map((s) => s.key).sort();
    } catch (error) {
      this.error = new Error(`Could not read which columns exist: ${errorMessage(error)}`);
    }
  }

  toggleSort(by: string): void {
    if (this.groupBy && by !== `param:${this.groupBy}`) this.groupBy = '';
    this.sort = this.sort.by === by ? { by, dir: this.sort.dir === 'asc' ? 'desc' : 'asc' } : { by, dir: 'desc' };
  }
}
