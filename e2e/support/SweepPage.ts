import type { Locator, Page } from '@playwright/test';

export class SweepPage {
  readonly page: Page;
  readonly grid: Locator;
  readonly gridTable: Locator;
  readonly progressText: Locator;
  readonly points: Locator;

  constructor(page: Page) {
    this.page = page;
    this.grid = page.getByRole('img', { name: 'sweep grid' });
    this.gridTable = page.getByTestId('grid-table-sweep grid');
    this.progressText = page.getByTestId('sweep-progress-text');
    this.points = page.getByTestId('sweep-points');
  }

  async open(appUrl: string, id: number): Promise<void> {
    await this.page.goto(appUrl.replace(/#.*$/, '') + `#/sweeps/${id}`);
  }

  /** Opens the grid's table form and clicks a cell: the cell's best run opens. */
  async openCell(row: string, col: string): Promise<void> {
    await this.page.getByText('sweep grid as a table').click();
    await this.page.getByTestId(`grid-cell-${row}-${col}`).click();
  }
}
