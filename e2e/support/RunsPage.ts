import type { Locator, Page } from '@playwright/test';

/** The runs table: locators and the actions a user takes on it. */
export class RunsPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly total: Locator;
  readonly grid: Locator;
  readonly search: Locator;
  readonly compareButton: Locator;
  /** "Train on this browser's GPU" (browser mode) and what the page's GPU host is doing. */
  readonly lendGpu: Locator;
  readonly stopLending: Locator;
  readonly lendingStatus: Locator;
  /** "Import runs…", what the last import did, and why it failed. */
  readonly importButton: Locator;
  readonly importNote: Locator;
  readonly importError: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: /^Runs/ });
    this.total = page.getByTestId('runs-total');
    this.grid = page.getByRole('grid', { name: 'Runs' });
    this.search = page.getByLabel(/^Search/);
    this.compareButton = page.getByTestId('compare-selected');
    this.lendGpu = page.getByRole('button', { name: "Train on this browser's GPU" });
    this.stopLending = page.getByRole('button', { name: "Stop training on this browser's GPU" });
    this.lendingStatus = page.getByTestId('browser-gpu-status');
    this.importButton = page.getByRole('button', { name: 'Import runs…' });
    this.importNote = page.getByTestId('import-note');
    this.importError = page.getByRole('alert').filter({ hasText: 'Could not import the runs' });
  }

  /** Imports a runs export as a user does in browser mode: the button, then the file in the chooser. */
  async importFile(path: string): Promise<void> {
    const chooser = this.page.waitForEvent('filechooser');
    await this.importButton.click();
    await (await chooser).setFiles(path);
  }

  /** The status a row shows, and why a queued run waits when it is not for a worker. */
  waiting(runId: number): Locator {
    return this.row(runId).getByTestId('status-waiting');
  }

  async open(appUrl: string): Promise<void> {
    await this.page.goto(appUrl.replace(/#.*$/, '') + '#/runs');
  }

  row(runId: number): Locator {
    return this.page.getByTestId(`run-row-${runId}`);
  }

  async select(runId: number): Promise<void> {
    await this.page.getByLabel(`Select run ${runId}`, { exact: true }).check();
  }

  /** The column headers, left to right. */
  headers(): Locator {
    return this.grid.getByRole('columnheader');
  }

  /**
   * How the table fits: whether it scrolls sideways at all, and the headers whose text is wider
   * than their cell (cut off) or broken inside a word (a word split over two lines).
   */
  async layout(): Promise<{ overflowX: number; cutHeaders: string[]; brokenWords: string[] }> {
    return this.grid.evaluate((grid) => {
      // Runs in the page; e2e code is type-checked without the DOM library, hence the narrow types.
      interface Box {
        textContent: string | null;
        clientWidth: number;
        scrollWidth: number;
        offsetWidth: number;
        style: Record<string, string>;
        querySelector(selector: string): Box | null;
        querySelectorAll(selector: string): Iterable<Box>;
        appendChild(child: Box): void;
        remove(): void;
        ownerDocument: { createElement(tag: string): Box };
      }
      const table = grid as unknown as Box;
      // The selection column's header is for screen readers only (visually hidden).
      const cells = [...table.querySelectorAll('[role="columnheader"]')].filter((c) => !c.querySelector('.visually-hidden'));
      const brokenWords: string[] = [];
      for (const cell of cells) {
        const text = cell.textContent?.replace(/[▲▼]/g, '').trim() ?? '';
        // A word wider than its cell can only be shown broken (or cut).
        for (const word of text.split(/\s+/).filter(Boolean)) {
          const probe = cell.ownerDocument.createElement('span');
          probe.textContent = word;
          Object.assign(probe.style, { whiteSpace: 'nowrap', visibility: 'hidden', position: 'absolute' });
          cell.appendChild(probe);
          if (probe.offsetWidth > cell.clientWidth) brokenWords.push(word);
          probe.remove();
        }
      }
      return {
        overflowX: table.scrollWidth - table.clientWidth,
        cutHeaders: cells.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => c.textContent?.trim() ?? ''),
        brokenWords,
      };
    });
  }

  renderedRows(): Locator {
    return this.grid.locator('.body [role="row"]');
  }
}
