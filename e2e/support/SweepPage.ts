import type { Locator, Page } from '@playwright/test';

export class SweepPage {
  readonly page: Page;
  readonly grid: Locator;
  readonly gridTable: Locator;
  readonly progressText: Locator;
  readonly points: Locator;
  /** Where its runs train, its cluster jobs and agents. */
  readonly cluster: Locator;
  readonly runsOn: Locator;
  readonly agentRows: Locator;
  readonly runOnCluster: Locator;
  readonly clusterDialog: Locator;
  /** Which axis mattered: importance bars, marginal effects, best so far, pruned and proposed points. */
  readonly search: Locator;
  readonly importance: Locator;
  readonly prunedPoints: Locator;
  /** "Filters and feature maps" of the sweep's runs. */
  readonly inspectLink: Locator;

  constructor(page: Page) {
    this.page = page;
    this.grid = page.getByRole('img', { name: 'sweep grid' });
    this.gridTable = page.getByTestId('grid-table-sweep grid');
    this.progressText = page.getByTestId('sweep-progress-text');
    this.points = page.getByTestId('sweep-points');
    this.cluster = page.getByTestId('sweep-cluster');
    this.runsOn = page.getByTestId('sweep-runs-on');
    this.agentRows = this.cluster.getByTestId('agent-row');
    this.runOnCluster = page.getByTestId('run-on-cluster');
    this.clusterDialog = page.getByTestId('cluster-dialog');
    this.search = page.getByTestId('sweep-search');
    this.importance = this.search.getByTestId('importance');
    this.prunedPoints = this.search.getByTestId('pruned-points');
    this.inspectLink = page.getByTestId('sweep-inspect');
  }

  async open(appUrl: string, id: number): Promise<void> {
    await this.page.goto(appUrl.replace(/#.*$/, '') + `#/sweeps/${id}`);
  }

  /** An axis's marginal effect: its chart and its table of mean ± sd per value. */
  marginal(axis: string): Locator {
    return this.search.getByTestId(`marginal-${axis}`);
  }

  /** Writes (does not submit) a Slurm job array for the sweep from the "Run on cluster" dialog; returns what it says next. */
  async writeSlurmScript(serverUrl: string): Promise<Locator> {
    await this.runOnCluster.click();
    await this.clusterDialog.getByTestId('cluster-profile').selectOption('');
    await this.clusterDialog.getByTestId('cluster-kind').selectOption('slurm');
    await this.clusterDialog.getByTestId('cluster-server').fill(serverUrl);
    await this.clusterDialog.getByLabel('Only write the script').check();
    await this.clusterDialog.getByTestId('cluster-submit').click();
    return this.clusterDialog.getByTestId('cluster-result');
  }

  /** Opens the grid's table form and clicks a cell: the cell's best run opens. */
  async openCell(row: string, col: string): Promise<void> {
    await this.page.getByText('sweep grid as a table').click();
    await this.page.getByTestId(`grid-cell-${row}-${col}`).click();
  }
}
