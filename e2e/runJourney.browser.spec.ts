import { expect, test } from '@playwright/test';
import { NewRunPage } from './support/NewRunPage.ts';
import { RunPage } from './support/RunPage.ts';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp({ mnist: true });
});
test.afterAll(async () => {
  await app.stop();
});

test.setTimeout(600_000);

test('a user starts one LeNet-5 run and follows it live to its evaluation', async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const form = new NewRunPage(page);
  await form.open(app.url);
  await form.choosePreset('LeNet-5 (relu)');
  await form.setSubset(3000, 500);
  await page.getByLabel('Epochs').fill('3');
  await form.start.click();

  const run = new RunPage(page);
  await expect(run.title).toContainText('#1');
  // Live: batch progress arrives while it trains, then the curves and the final evaluation.
  await expect(run.progress).toContainText(/epoch \d/, { timeout: 300_000 });
  // The backend the worker really got shows while it trains, not the 'auto' it was queued with.
  await expect(page.getByTestId('run-backend')).toContainText(/wasm|tensorflow|cpu/);
  await screenshotBothThemes(page, 'run-live');
  await expect(run.status).toHaveText('completed', { timeout: 540_000 });
  await expect(page.getByRole('img', { name: 'loss curves', exact: true })).toBeVisible();
  await expect(run.confusionMatrix).toBeVisible();
  // The most confidently wrong test images are shown as pictures from the imported dataset.
  await expect(run.mistakeImages.first()).toBeVisible();
  await expect(page.getByTestId('run-backend')).not.toBeEmpty();
  expect(errors).toEqual([]);
});
