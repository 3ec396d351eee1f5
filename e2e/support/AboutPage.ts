import type { Locator, Page } from '@playwright/test';

/** Locators and actions of the "This machine" view; specs read as user stories on top of it. */
export class AboutPage {
  readonly page: Page;
  readonly heading: Locator;
  readonly shell: Locator;
  readonly dataDir: Locator;
  readonly chosenBackend: Locator;
  /** What a run that pins no backend trains on, and why. */
  readonly autoBackend: Locator;
  /** What each page that lent its GPU reported (adapters, age, lending now or not). */
  readonly gpuHosts: Locator;
  readonly lendGpu: Locator;
  readonly stopLending: Locator;
  readonly lendingStatus: Locator;
  readonly nodeVersion: Locator;
  readonly trainingSlots: Locator;
  readonly runsAtOnce: Locator;
  readonly threadsPerRun: Locator;
  readonly threadsChoice: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole('heading', { name: 'This machine' });
    this.shell = page.getByTestId('shell');
    this.dataDir = page.getByTestId('data-dir');
    this.chosenBackend = page.getByTestId('chosen-backend');
    this.autoBackend = page.getByTestId('auto-backend');
    this.gpuHosts = page.getByTestId('gpu-hosts');
    this.lendGpu = page.getByRole('button', { name: "Train on this browser's GPU" });
    this.stopLending = page.getByRole('button', { name: "Stop training on this browser's GPU" });
    this.lendingStatus = page.getByTestId('browser-gpu-status');
    this.nodeVersion = page.getByTestId('node-version');
    this.trainingSlots = page.getByTestId('training-slots');
    this.runsAtOnce = page.getByLabel('Runs at once', { exact: true });
    this.threadsPerRun = page.getByTestId('threads-per-run');
    this.threadsChoice = page.getByLabel('Threads per run', { exact: true });
  }

  /** Sets how many runs train at once on this machine. */
  async setRunsAtOnce(workers: number): Promise<void> {
    await this.runsAtOnce.fill(String(workers));
    await this.page.getByRole('button', { name: 'Save' }).click();
  }

  /** Sets how many CPU threads each run computes with: a count, or 'automatic'. */
  async setThreadsPerRun(choice: number | 'automatic'): Promise<void> {
    await this.threadsChoice.selectOption({ label: String(choice) });
    await this.page.getByRole('button', { name: 'Save' }).click();
  }

  /** The card of one engine in the Engines panel. */
  engine(name: string): Locator {
    return this.page.getByTestId(`engine-${name}`);
  }

  backend(name: string): Locator {
    return this.page.getByTestId(`backend-${name}`);
  }

  /** Opens the served app straight on this view (the app starts on the runs table). */
  async open(url: string): Promise<void> {
    await this.page.goto(url.replace(/#.*$/, '') + '#/about');
  }

  /** Reaches this view the way a user does, from the header. */
  async openFromNav(): Promise<void> {
    await this.page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'This machine' }).click();
  }
}
