import { expect, test, type Locator } from '@playwright/test';
import { NewRunPage } from './support/NewRunPage.ts';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { importRuns, seededSweep } from './support/seedRuns.ts';
import { SweepPage } from './support/SweepPage.ts';

/**
 * Journeys of issue 18's smarter sweeps: setting up a TPE search with a pruner in the new-sweep
 * form (the preview is the server's reading of the spec the form sends), and reading which axis
 * mattered in a recorded kernel size × epochs sweep where ASHA pruned one run.
 */
let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
  const recorded = seededSweep('LeNet-5 k×e with a pruned run');
  // The last run (kernel 7, 4 epochs, repeat 1) as ASHA leaves it: stopped at rung 0 after epoch 1, its metrics kept.
  const last = recorded.runs.at(-1) as { status: string; pruned: unknown; error: string | null; metrics: Record<string, unknown[][]> };
  last.status = 'pruned';
  last.pruned = { epoch: 1, rung: 0 };
  last.error = 'ASHA: not in the top 1/3 of the runs at rung 0 (epoch 1)';
  for (const key of Object.keys(last.metrics)) last.metrics[key] = last.metrics[key]!.filter((p) => p[1] === 1);
  await importRuns(app.url, recorded);
});
test.afterAll(async () => {
  await app.stop();
});

/** The text colour a user sees (e2e code is type-checked without the DOM library; this runs in the page). */
function colorOf(locator: Locator): Promise<string> {
  return locator.evaluate((element) => {
    const style = (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle;
    return style(element).color;
  });
}

test.beforeEach(async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 1000 });
});

test('a user sets up a sweep with an ASHA pruner, then a TPE search, and the preview says what each will do', async ({ page }) => {
  const { errors } = watchConsole(page);
  const form = new NewRunPage(page);
  await form.open(app.url, 'sweep');
  await form.choosePreset('LeNet-5 (relu)');
  await form.setAxis(0, 'kernelSize', '3, 5, 7');
  await form.setAxis(1, 'epochs', '1, 2, 4, 8');
  // A grid has no trial count; folded, it trains the three 8-epoch runs and reads the rest from them.
  await expect(form.trials).toHaveCount(0);
  await expect(form.previewSummary).toContainText(/^12 runs \(3 trained, 9 derived by folding\)/);
  await expect(form.pruningPreview).toHaveCount(0);

  // ASHA with r = 1, η = 3 decides at epochs 1 and 3: a run is expected to train 1 + 2/3 + 5/9 of its 8 epochs.
  await form.pruner.selectOption('asha');
  await expect(form.pruningPreview).toContainText('With the asha (r = 1, η = 3, s = 0) pruner: about 7 of 24 epochs trained');
  await expect(form.pruningPreview).toContainText('ASHA keeps about 1 in 3 runs at each rung (epochs 1, 3)');
  await page.getByLabel('Keep 1 in').fill('2');
  await expect(form.pruningPreview).toContainText('asha (r = 1, η = 2, s = 0)');

  // TPE: six trials, proposed from the finished ones to make the chosen metric better.
  await form.method.selectOption('tpe');
  await form.trials.fill('6');
  await expect(form.previewSummary).toContainText(/^6 runs/);
  await expect(form.searchPreview).toContainText('TPE tries 6 points, each proposed from the finished ones to make val_accuracy higher');
  await expect(form.searchPreview).toContainText('pruned by asha (r = 1, η = 2, s = 0)');
  await expect(form.preview.locator('tbody tr')).toHaveCount(6);
  // Its first points stand for every trial in what the pruner is expected to save.
  await expect(form.pruningPreview).toContainText('With the asha (r = 1, η = 2, s = 0) pruner: about');
  await form.optimize.selectOption('val_loss');
  await expect(form.searchPreview).toContainText('to make val_loss lower');
  await screenshotBothThemes(page, 'new-sweep-tpe');

  // Back to a grid: the form forgets the trial count and shows the whole grid again.
  await form.method.selectOption('grid');
  await expect(form.previewSummary).toContainText(/^12 runs/);
  expect(errors).toEqual([]);
});

test('a user opens a recorded sweep and reads which axis mattered, its marginal effects and the run ASHA pruned', async ({ page }) => {
  const { errors } = watchConsole(page);
  const sweep = new SweepPage(page);
  await sweep.open(app.url, 1);
  await expect(sweep.search).toBeVisible();
  // 17 completed runs (the pruned one stopped early, so it does not count); epochs moves val_accuracy
  // by ~0.18 between 1 and 2 epochs, kernel size by ~0.01: epochs comes first.
  await expect(sweep.search).toContainText('fitted to 17 completed runs');
  await expect(sweep.importance.locator('li')).toHaveCount(2);
  await expect(sweep.importance.locator('li').first()).toContainText('epochs');
  const share = Number((await sweep.importance.locator('li').first().locator('.num').textContent())!.replace(/[^\d.]/g, ''));
  expect(share).toBeGreaterThan(50);

  // Each axis's effect: one table row per value, with the number of runs behind each mean.
  await expect(sweep.marginal('epochs').locator('tbody tr')).toHaveCount(3);
  await expect(sweep.marginal('kernelSize').locator('tbody tr')).toHaveCount(3);
  await expect(sweep.marginal('kernelSize').locator('tbody tr').last()).toContainText(/^7.*5$/);

  // The pruned run is listed greyed with where it stopped and why.
  await expect(sweep.prunedPoints.locator('li')).toHaveCount(1);
  await expect(sweep.prunedPoints).toContainText('kernelSize=7 epochs=4 — stopped after epoch 1 (rung 0)');
  await expect(sweep.prunedPoints).toContainText('not in the top 1/3');
  expect(await colorOf(sweep.prunedPoints.locator('li'))).not.toBe(await colorOf(sweep.search.locator('h3')));
  await screenshotBothThemes(page, 'sweep-importance');

  // The pruned run's own page says where and why it stopped, and keeps the epoch it trained.
  await sweep.prunedPoints.getByRole('link', { name: 'run 18' }).click();
  await expect(page.getByTestId('run-pruned')).toContainText(
    "Stopped early by its sweep's pruner after epoch 1 (rung 0): ASHA: not in the top 1/3",
  );
  expect(errors).toEqual([]);
});
