import type { Locator, Page } from '@playwright/test';

export class DatasetsPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly importPaths: Locator;
  readonly importButton: Locator;
  readonly importResult: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: 'Datasets', exact: true });
    this.importPaths = page.getByLabel('Files or folders, one per line');
    this.importButton = page.getByRole('button', { name: 'Import', exact: true });
    this.importResult = page.getByTestId('import-result');
  }

  async open(appUrl: string): Promise<void> {
    await this.page.goto(appUrl.replace(/#.*$/, '') + '#/datasets');
  }

  card(name: string): Locator {
    return this.page.getByTestId(`dataset-${name}`);
  }

  samples(name: string): Locator {
    return this.page.getByTestId(`samples-${name}`);
  }

  async importFiles(paths: string[]): Promise<void> {
    await this.importPaths.fill(paths.join('\n'));
    await this.importButton.click();
  }
}
