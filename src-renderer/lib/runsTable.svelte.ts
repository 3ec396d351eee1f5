import { m } from '../../i18n/paraglide/messages.js';
import type { ListRunsQuery, RunRow, RunsFilter, RunStatus, SummaryField } from '../../src-main/core/contract/runs.ts';
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

/** The columns the user chose, or null: then the columns follow the data (runs.columns). */
function loadColumns(): SavedColumns | null {
  try {
    const saved = JSON.parse(localStorage.getItem(storageKey) ?? 'null') as SavedColumns | null;
    if (saved && Array.isArray(saved.params) && Array.isArray(saved.metrics)) return saved;
  } catch {
    // A damaged saved layout falls back to columns that follow the data.
  }
  return null;
}

/** At most this many param columns by default: the ones that vary most tellingly come first. */
export const defaultParamColumns = 6;

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

  /** True once the user has chosen columns (kept across visits); until then they follow the data. */
  customized = $state(false);

  constructor() {
    const saved = loadColumns();
    if (saved) {
      this.paramColumns = saved.params;
      this.metricColumns = saved.metrics;
      this.customized = true;
    }
  }

  saveColumns(): void {
    this.customized = true;
    localStorage.setItem(storageKey, JSON.stringify({ params: this.paramColumns, metrics: this.metricColumns }));
  }

  /** Forgets the chosen columns: they follow the data again. */
  async resetColumns(): Promise<void> {
    localStorage.removeItem(storageKey);
    this.customized = false;
    await this.followData();
  }

  #columnsGeneration = 0;

  /**
   * Asks the store which columns the filtered runs call for (runs.columns): the keys for the
   * column picker, and — unless the user chose columns — the params that vary among them, then
   * the main metric.
   */
  async followData(): Promise<void> {
    const generation = ++this.#columnsGeneration;
    try {
      const columns = await call('runs.columns', this.filter());
      if (generation !== this.#columnsGeneration) return;
      // Assigned only when they change: the quick filter reads knownMetrics, and a new but equal
      // array would make every effect that parses the search run (and ask for columns) again.
      if (JSON.stringify(columns.params) !== JSON.stringify(this.knownParams)) this.knownParams = columns.params;
      if (JSON.stringify(columns.metrics) !== JSON.stringify(this.knownMetrics)) this.knownMetrics = columns.metrics;
      if (this.customized) return;
      // The seed differs between repeats of a point, which the run names already number: a column to
      // add when it is the question, not one that crowds the swept settings out by default.
      const params = columns.varying.filter((k) => k !== 'seed').slice(0, defaultParamColumns);
      const metrics: MetricColumn[] = columns.main ? [{ key: columns.main, field: 'best' }] : [];
      if (JSON.stringify(params) !== JSON.stringify(this.paramColumns)) this.paramColumns = params;
      if (JSON.stringify(metrics) !== JSON.stringify(this.metricColumns)) this.metricColumns = metrics;
    } catch (error) {
      if (generation === this.#columnsGeneration) this.error = new Error(m.runs_columns_unreadable({ reason: errorMessage(error) }));
    }
  }

  get searchErrors(): string[] {
    return parseQuickFilter(this.search, (k) => this.knownMetrics.includes(k)).errors;
  }

  /** The runs the table shows: status boxes, the sweep and experiment pickers and the search box together. */
  filter(): RunsFilter {
    const quick = parseQuickFilter(this.search, (k) => this.knownMetrics.includes(k));
    const status = unique([...this.statuses, ...quick.status]);
    return {
      ...(status.length ? { status } : {}),
      ...(quick.tag ? { tag: quick.tag } : {}),
      ...((quick.sweepId ?? this.sweepId) ? { sweepId: quick.sweepId ?? this.sweepId! } : {}),
      ...((quick.experimentId ?? this.experimentId) ? { experimentId: quick.experimentId ?? this.experimentId! } : {}),
      params: quick.params,
      metrics: quick.metrics,
    };
  }

  query(offset: number): ListRunsQuery {
    const params = unique([...this.paramColumns, ...(this.groupBy ? [this.groupBy] : [])]);
    // Grouping sorts by the group first; rows of a group then sit together in the virtual list.
    const sort = this.groupBy ? { by: `param:${this.groupBy}`, dir: this.sort.dir } : this.sort;
    return {
      ...this.filter(),
      paramColumns: params,
      metricColumns: this.metricColumns,
      sort,
      offset,
      limit: pageSize,
    };
  }

  /**
   * Loads the first page with the current columns, filters and sort. The rows on screen stay until
   * it arrives and then are replaced all at once, so the table never blinks to "loading…".
   */
  async reload(): Promise<void> {
    if (this.searchErrors.length) return;
    this.#generation += 1;
    this.#pages.clear();
    this.#replace = true;
    await this.#loadPage(0);
  }

  /** The next page to arrive replaces every row shown (set by reload). */
  #replace = false;

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
        const kept = this.#replace ? {} : Object.fromEntries(Object.entries(this.pages).filter(([p]) => Number(p) <= lastPage));
        this.#replace = false;
        this.pages = { ...kept, [page]: result.rows };
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

  /** Params the column picker offers: the ones the store knows, and any chosen earlier that no run has now. */
  get paramChoices(): string[] {
    return unique([...this.knownParams, ...this.paramColumns]);
  }

  /** Metrics the column picker offers, likewise. */
  get metricChoices(): string[] {
    return unique([...this.knownMetrics, ...this.metricColumns.map((m) => m.key)]);
  }

  hasMetricColumn(key: string, field: SummaryField): boolean {
    return this.metricColumns.some((m) => m.key === key && m.field === field);
  }

  /** Shows or hides a param column; the choice is kept across visits (columns stop following the data). */
  toggleParam(key: string, on: boolean): void {
    const has = this.paramColumns.includes(key);
    if (on && !has) this.paramColumns = [...this.paramColumns, key];
    else if (!on && has) this.paramColumns = this.paramColumns.filter((k) => k !== key);
    this.saveColumns();
  }

  /** Shows or hides one summary of a metric (`val_accuracy (best)`), kept likewise. */
  toggleMetric(key: string, field: SummaryField, on: boolean): void {
    const has = this.hasMetricColumn(key, field);
    if (on && !has) this.metricColumns = [...this.metricColumns, { key, field }];
    else if (!on && has) this.metricColumns = this.metricColumns.filter((m) => !(m.key === key && m.field === field));
    this.saveColumns();
  }

  /** True when a filter hides runs: an empty table then says so instead of "no runs yet". */
  get filtered(): boolean {
    return this.search.trim() !== '' || this.statuses.length > 0 || this.sweepId !== null || this.experimentId !== null;
  }

  /** `#/runs?sweep=3` (a link from a sweep's page) opens the table filtered to that sweep. */
  applyLink(query: URLSearchParams): void {
    const sweep = Number(query.get('sweep'));
    if (Number.isInteger(sweep) && sweep > 0) this.sweepId = sweep;
  }

  toggleSort(by: string): void {
    if (this.groupBy && by !== `param:${this.groupBy}`) this.groupBy = '';
    this.sort = this.sort.by === by ? { by, dir: this.sort.dir === 'asc' ? 'desc' : 'asc' } : { by, dir: 'desc' };
  }
}
