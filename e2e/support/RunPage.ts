import type { Locator, Page } from '@playwright/test';

export class RunPage {
  readonly page: Page;
  readonly title: Locator;
  /** Downloads the best checkpoint as model.json + weights.bin, and run.json. */
  readonly exportModel: Locator;
  readonly confusionMatrix: Locator;
  readonly perClass: Locator;
  readonly evalAccuracy: Locator;
  readonly progress: Locator;
  readonly status: Locator;
  readonly mistakeImages: Locator;

  constructor(page: Page) {
    this.page = page;
    this.title = page.locator('#run-title');
    this.exportModel = page.getByTestId('export-model');
    this.confusionMatrix = page.getByRole('img', { name: 'confusion matrix' });
    this.perClass = page.getByTestId('per-class');
    this.evalAccuracy = page.getByTestId('eval-accuracy');
    this.progress = page.getByTestId('run-progress');
    this.status = page.locator('.toolbar').getByTestId('status').first();
    this.mistakeImages = page.getByTestId('most-wrong').getByRole('img');
  }

  async open(appUrl: string, id: number): Promise<void> {
    await this.page.goto(appUrl.replace(/#.*$/, '') + `#/runs/${id}`);
  }
}
