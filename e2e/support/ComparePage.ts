import type { Locator, Page } from '@playwright/test';

export class ComparePage {
  readonly page: Page;
  readonly heading: Locator;
  readonly diffOnly: Locator;
  readonly paramTable: Locator;
  readonly summaryTable: Locator;
  readonly curves: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: /^Compare \d+ runs/ });
    this.diffOnly = page.getByTestId('diff-only');
    this.paramTable = page.getByTestId('param-table');
    this.summaryTable = page.getByTestId('summary-table');
    this.curves = page.getByRole('img', { name: /by run$/ });
  }

  paramRow(key: string): Locator {
    return this.page.getByTestId(`param-row-${key}`);
  }

  /** A metric's row in the summary table (its values, the leader starred). */
  summaryRow(key: string): Locator {
    return this.page.getByTestId(`summary-row-${key}`);
  }

  legend(runId: number): Locator {
    return this.page.getByTestId(`compare-legend-${runId}`);
  }
}
