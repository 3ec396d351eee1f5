import { expect, test } from '@playwright/test';
import { ComparePage } from './support/ComparePage.ts';
import { NewRunPage } from './support/NewRunPage.ts';
import { RunPage } from './support/RunPage.ts';
import { RunsPage } from './support/RunsPage.ts';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { SweepPage } from './support/SweepPage.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp({ mnist: true });
});
test.afterAll(async () => {
  await app.stop();
});

// Real training: four LeNet-5 points on a 500-image MNIST subset, on whatever backend loads here.
test.setTimeout(600_000);

test('a user sweeps LeNet-5 over kernel size 3,5 × epochs 1,2, watches it live, reads the grid, a confusion matrix and a comparison', async ({
  page,
}) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const form = new NewRunPage(page);
  await form.open(app.url, 'sweep');
  await form.choosePreset('LeNet-5 (relu)');
  await form.setSubset(500, 200);
  await form.setAxis(0, 'kernelSize', '3, 5');
  await form.setAxis(1, 'epochs', '1, 2');
  await page.getByLabel('Name (optional)').fill('LeNet-5 kernel × epochs on 500 MNIST images');
  await expect(form.previewSummary).toContainText(/^4 runs/);
  await expect(form.preview.locator('tbody tr')).toHaveCount(4);
  await screenshotBothThemes(page, 'new-sweep');
  await form.start.click();

  // The sweep page follows the sweep live: the progress text moves without a reload.
  const sweep = new SweepPage(page);
  await expect(sweep.progressText).toBeVisible();
  const first = await sweep.progressText.textContent();
  await expect(sweep.progressText).not.toHaveText(first!, { timeout: 300_000 });
  await screenshotBothThemes(page, 'sweep-running');
  await expect(page.getByTestId('sweep-progress').getByText(/4 completed/)).toBeVisible({ timeout: 540_000 });

  await expect(sweep.grid).toBeVisible();
  await expect(sweep.points.locator('tbody tr')).toHaveCount(4);
  // The 1-epoch points were read from the 2-epoch runs, and the page says so and what that means.
  await expect(page.getByTestId('sweep-derived')).toHaveText('2 read from longer runs (epoch folding)');
  await page.getByTestId('sweep-derived').getByRole('button', { name: 'epoch folding' }).click();
  await expect(page.getByTestId('folding-help')).toContainText('trains the longest once and reads each shorter point');
  await screenshotBothThemes(page, 'sweep-live-done');

  // The grid cell kernel 3 × 2 epochs opens its run, evaluated on the test subset.
  await sweep.openCell('3', '2');
  const run = new RunPage(page);
  await expect(run.title).toBeVisible();
  await expect(run.confusionMatrix).toBeVisible();
  await expect(run.perClass.locator('tbody tr')).toHaveCount(10);

  // Two runs of the sweep side by side: only kernel size differs between k3 e2 and k5 e2.
  const runs = new RunsPage(page);
  await runs.open(app.url);
  await runs.search.fill('epochs=2');
  await expect(runs.total).toHaveText('2');
  const ids = await runs.grid
    .locator('.body [role="row"]')
    .evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-testid')?.replace('run-row-', ''))));
  for (const id of ids) await runs.select(id);
  await runs.compareButton.click();
  const compare = new ComparePage(page);
  await compare.diffOnly.check();
  await expect(compare.paramRow('kernelSize')).toBeVisible();
  await expect(compare.paramRow('learningRate')).toHaveCount(0);
  expect(errors).toEqual([]);
});
