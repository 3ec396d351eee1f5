import type { Locator, Page } from '@playwright/test';

/** The runs table: locators and the actions a user takes on it. */
export class RunsPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly total: Locator;
  readonly grid: Locator;
  readonly search: Locator;
  readonly compareButton: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: /^Runs/ });
    this.total = page.getByTestId('runs-total');
    this.grid = page.getByRole('grid', { name: 'Runs' });
    this.search = page.getByLabel(/^Search/);
    this.compareButton = page.getByTestId('compare-selected');
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

  renderedRows(): Locator {
    return this.grid.locator('.body [role="row"]');
  }
}
