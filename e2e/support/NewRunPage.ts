import type { Locator, Page } from '@playwright/test';

/** New run / new sweep: the form, the model builder and the sweep preview. */
export class NewRunPage {
  readonly page: Page;
  readonly builder: Locator;
  readonly shapeError: Locator;
  readonly totalParams: Locator;
  readonly start: Locator;
  readonly previewSummary: Locator;
  readonly preview: Locator;
  /** How the sweep searches: method, trials, pruner, metric; and what the preview says of it. */
  readonly method: Locator;
  readonly trials: Locator;
  readonly pruner: Locator;
  readonly optimize: Locator;
  readonly searchPreview: Locator;
  readonly pruningPreview: Locator;
  /** A question the app asks before a big start (more than 10,000 runs or epochs), and its yes button. */
  readonly confirm: Locator;
  readonly confirmYes: Locator;

  constructor(page: Page) {
    this.page = page;
    this.builder = page.getByTestId('model-builder');
    this.shapeError = page.getByTestId('shape-error');
    this.totalParams = page.getByTestId('builder-total-params');
    this.start = page.getByTestId('start');
    this.previewSummary = page.getByTestId('sweep-preview-summary');
    this.preview = page.getByTestId('sweep-preview');
    this.method = page.getByTestId('sweep-method');
    this.trials = page.getByTestId('sweep-trials');
    this.pruner = page.getByTestId('sweep-pruner');
    this.optimize = page.getByTestId('sweep-optimize');
    this.searchPreview = page.getByTestId('search-preview');
    this.pruningPreview = page.getByTestId('pruning-preview');
    this.confirm = page.getByTestId('confirm');
    this.confirmYes = page.getByTestId('confirm-yes');
  }

  async open(appUrl: string, mode: 'run' | 'sweep' = 'run'): Promise<void> {
    await this.page.goto(appUrl.replace(/#.*$/, '') + (mode === 'sweep' ? '#/new?mode=sweep' : '#/new'));
  }

  async choosePreset(title: string): Promise<void> {
    await this.page.getByTestId('preset-select').selectOption({ label: title });
  }

  async editPresetLayers(): Promise<void> {
    await this.page.getByRole('button', { name: 'Edit its layers' }).click();
  }

  /** The receptive field column of a layer in the builder (`14×14`). */
  receptiveField(index: number): Locator {
    return this.page.getByTestId(`builder-field-${index}`);
  }

  layerShape(index: number): Locator {
    return this.page.getByTestId(`builder-shape-${index}`);
  }

  layerField(field: string, index: number): Locator {
    return this.page.getByLabel(`${field} of layer ${index}`, { exact: true });
  }

  /** "from Keras JSON": paste a model's JSON and import it into the builder. */
  async importKeras(json: string): Promise<void> {
    await this.page.getByTestId('from-keras').check();
    await this.page.getByTestId('keras-json').fill(json);
    await this.page.getByTestId('keras-import').click();
  }

  /** "from Keras JSON": choose a file (a .keras zip or a JSON file) in the file picker. */
  async chooseKerasFile(file: { name: string; buffer: Buffer }): Promise<void> {
    await this.page.getByTestId('from-keras').check();
    await this.page.getByLabel('Keras model file').setInputFiles({ ...file, mimeType: 'application/octet-stream' });
  }

  get kerasImported(): Locator {
    return this.page.getByTestId('keras-imported');
  }

  /** A hyperparameter field by its label (`rho`, `epsilon`, `Optimizer`, `Learning-rate schedule`). */
  setting(label: string): Locator {
    const named = { name: label, exact: true };
    return this.page.getByRole('spinbutton', named).or(this.page.getByRole('combobox', named)).or(this.page.getByRole('checkbox', named));
  }

  async setSubset(train: number, test: number): Promise<void> {
    await this.page.getByLabel('Training images (subset)').fill(String(train));
    await this.page.getByLabel('Test images (subset)').fill(String(test));
  }

  async setEpochs(epochs: number): Promise<void> {
    await this.page.getByLabel('Epochs', { exact: true }).fill(String(epochs));
  }

  async setRepeats(repeats: number): Promise<void> {
    await this.page.getByLabel('Repeats per point', { exact: true }).fill(String(repeats));
  }

  async setAxis(index: number, name: string, values: string): Promise<void> {
    await this.page.getByLabel(`Name of axis ${index + 1}`, { exact: true }).fill(name);
    await this.page.getByLabel(`Values of axis ${index + 1}`, { exact: true }).fill(values);
  }
}
