import type { Locator, Page } from '@playwright/test';

/** Inside runs: try it (draw or drop an image), filters, feature maps. */
export class InspectPage {
  readonly page: Page;
  readonly drawPad: Locator;
  readonly predictions: Locator;

  constructor(page: Page) {
    this.page = page;
    this.drawPad = page.getByTestId('draw-pad');
    this.predictions = page.getByTestId('prediction-table');
  }

  async open(appUrl: string, query: string): Promise<void> {
    await this.page.goto(appUrl.replace(/#.*$/, '') + `#/inspect?${query}`);
  }

  tab(name: string): Locator {
    return this.page.getByRole('tab', { name });
  }

  /** Draws a stroke through points given in fractions of the canvas (0..1), as a mouse would. */
  async draw(points: [number, number][]): Promise<void> {
    const box = (await this.drawPad.boundingBox())!;
    const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
    await this.page.mouse.move(...at(points[0]!));
    await this.page.mouse.down();
    for (const point of points.slice(1)) await this.page.mouse.move(...at(point), { steps: 8 });
    await this.page.mouse.up();
  }

  predicted(runId: number): Locator {
    return this.page.getByTestId(`predicted-${runId}`);
  }
}
