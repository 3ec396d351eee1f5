import type { Locator, Page } from '@playwright/test';

/** Inside runs: try it (draw or drop an image), filters, feature maps. */
export class InspectPage {
  readonly page: Page;
  readonly drawPad: Locator;
  readonly predictions: Locator;
  readonly filterPanels: Locator;
  readonly filterLayer: Locator;
  readonly epochSlider: Locator;
  /** The epoch the filters show ('best checkpoint' until one is chosen). */
  readonly epochShown: Locator;
  readonly featureMapRuns: Locator;
  readonly featureMapCanvases: Locator;
  readonly mapsEpochSlider: Locator;
  /** The epoch the feature maps use ('best checkpoint' until one is chosen). */
  readonly mapsEpochShown: Locator;

  constructor(page: Page) {
    this.page = page;
    this.drawPad = page.getByTestId('draw-pad');
    this.predictions = page.getByTestId('prediction-table');
    this.filterPanels = page.getByTestId('filter-panel');
    this.filterLayer = page.getByTestId('filters-layer');
    this.epochSlider = page.getByTestId('filters-epoch-slider');
    this.epochShown = page.getByTestId('filters-epoch');
    this.featureMapRuns = page.getByTestId('feature-maps-run');
    this.featureMapCanvases = page.getByTestId('feature-map-canvas');
    this.mapsEpochSlider = page.getByTestId('maps-epoch-slider');
    this.mapsEpochShown = page.getByTestId('maps-epoch');
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

  /** The filters of one run, by the run's id. */
  filterPanel(runId: number): Locator {
    return this.page.locator(`[data-testid="filter-panel"][data-run="${runId}"]`);
  }

  /** Moves the filters' epoch slider to its `stop`-th recorded epoch (0: the first). */
  async showEpoch(stop: number): Promise<void> {
    await this.epochSlider.fill(String(stop));
  }

  /** The pixels of one run's filter mosaic as a data URL, to tell two pictures apart. */
  async filterPixels(runId: number): Promise<string> {
    return this.filterPanel(runId)
      .getByTestId('filter-canvas')
      .evaluate((canvas) => (canvas as unknown as { toDataURL(): string }).toDataURL());
  }

  /** Sets this machine's per-epoch weights limit (MiB per run) from the Filters tab. */
  async setSnapshotLimit(mib: number): Promise<void> {
    await this.page.getByTestId('snapshot-limit-toggle').click();
    await this.page.getByTestId('snapshot-limit-input').fill(String(mib));
    await this.page.getByTestId('snapshot-limit-save').click();
  }

  /** Shows every conv and pooling layer's activations for test image `index`. */
  async showFeatureMaps(index: number): Promise<void> {
    await this.page.getByLabel('Test image index').fill(String(index));
    await this.page.getByTestId('feature-maps-show').click();
  }

  /** Moves the feature maps' epoch slider to its `stop`-th recorded epoch (0: the first). */
  async showMapsEpoch(stop: number): Promise<void> {
    await this.mapsEpochSlider.fill(String(stop));
  }

  /** The pixels of every feature-map canvas, in order, as data URLs. */
  async featureMapPixels(): Promise<string[]> {
    return this.featureMapCanvases.evaluateAll((canvases) =>
      canvases.map((canvas) => (canvas as unknown as { toDataURL(): string }).toDataURL()),
    );
  }

  predicted(runId: number): Locator {
    return this.page.getByTestId(`predicted-${runId}`);
  }
}
