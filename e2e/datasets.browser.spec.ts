import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { DatasetsPage } from './support/DatasetsPage.ts';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { mnistDir, startServedApp, type ServedApp } from './support/servedApp.ts';

// The real MNIST IDX files (decompressed).
const mnistFiles = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) =>
  join(mnistDir, f),
);

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
});
test.afterAll(async () => {
  await app.stop();
});

test('a user without internet imports MNIST from files and looks at samples of each digit', async ({ page }) => {
  const { errors, refusals } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 900 });
  const datasets = new DatasetsPage(page);
  await datasets.open(app.url);
  await expect(datasets.heading).toBeVisible();
  await expect(datasets.card('mnist').getByTestId('status')).toHaveText('absent');
  await screenshotBothThemes(page, 'datasets-empty');

  await datasets.importFiles(mnistFiles);
  await expect(datasets.importResult).toContainText('MNIST', { timeout: 90_000 });
  await expect(datasets.card('mnist').getByTestId('status')).toHaveText('ready');

  await datasets.card('mnist').getByRole('button', { name: 'Show samples' }).click();
  const gallery = datasets.samples('mnist');
  await expect(gallery.getByRole('img')).toHaveCount(60);
  await expect(gallery.getByRole('img', { name: /^7 / }).first()).toBeVisible();
  await screenshotBothThemes(page, 'datasets');
  expect(errors).toEqual([]);
  expect(refusals).toEqual([]);
});

test('a user who points the import at the wrong files sees the core say what is wrong', async ({ page }) => {
  const { errors, refusals } = watchConsole(page);
  const datasets = new DatasetsPage(page);
  await datasets.open(app.url);
  await datasets.importFiles([join(mnistDir, '..', 'package.json')]);
  await expect(page.getByRole('alert').filter({ hasText: 'Import failed' })).toContainText('package.json');
  // The failed import is reported where it happened; the app logs nothing. Chromium logs the
  // 400 reply itself, once.
  expect(errors).toEqual([]);
  expect(refusals).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
});
