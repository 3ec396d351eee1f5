import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import { AboutPage } from './support/AboutPage.ts';
import { screenshotBothThemes } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
});
test.afterAll(async () => {
  await app.stop();
});

test('a user opens the served app and sees what this machine can train with', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  const about = new AboutPage(page);
  await about.open(app.url);
  await expect(about.heading).toBeVisible();
  await expect(about.shell).toHaveText('server');
  await expect(about.dataDir).toHaveText(app.home);
  await expect(about.nodeVersion).toContainText(process.versions.node);
  // The wasm backend always loads; it is what runs train on unless tfjs-node-gpu is installed.
  await expect(about.backend('wasm')).toContainText('yes');
  await expect(about.chosenBackend).toHaveText(/wasm|tensorflow/);
  // The token left the address bar once the page kept it.
  expect(page.url()).not.toContain('token=');
  await expect(about.engine('tensorflow').getByTestId('status')).toBeVisible();
  await screenshotBothThemes(page, 'about');
  expect(errors).toEqual([]);
});

test('a user sets how many runs train at once on this machine, for every process on the data folder', async ({ page }) => {
  const about = new AboutPage(page);
  await about.open(app.url);
  await expect(about.trainingSlots).toContainText('shared by the app');
  await about.setRunsAtOnce(1);
  await expect(about.trainingSlots).toContainText('Up to 1 runs train at once');
  // The command line, another process on the same data folder, works within the same budget.
  const cli = JSON.parse(
    execFileSync(process.execPath, ['bin/kernellab.js', '--home', app.home, 'call', 'sweeps.concurrency'], { encoding: 'utf8' }),
  ) as { perBackend: { wasm: number } };
  expect(cli.perBackend.wasm).toBe(1);
  // More than this machine's CPUs is refused in words (issue 12: 256 workers started 8 on 2 cores).
  await about.setRunsAtOnce(256);
  await expect(page.getByRole('alert')).toContainText('more than this machine can train at once');
});

test('a user sets how many CPU threads each run computes with, and goes back to automatic', async ({ page }) => {
  const about = new AboutPage(page);
  await about.open(app.url);
  await expect(about.threadsPerRun).toContainText('when it trains alone');
  await about.setThreadsPerRun(1);
  await expect(about.threadsPerRun).toContainText('Each run computes with 1 CPU thread, as set here');
  // The scheduler of any process on the data folder hands runs that count (kernellab train, serve).
  const concurrency = () =>
    JSON.parse(
      execFileSync(process.execPath, ['bin/kernellab.js', '--home', app.home, 'call', 'sweeps.concurrency'], { encoding: 'utf8' }),
    ) as { threadsSetting: number | null; threads: { alone: number } };
  expect(concurrency()).toMatchObject({ threadsSetting: 1, threads: { alone: 1 } });
  await about.setThreadsPerRun('automatic');
  await expect(about.threadsPerRun).toContainText('(automatic)');
  expect(concurrency().threadsSetting).toBeNull();
});

test('a visitor without the token is turned away', async ({ page }) => {
  const response = await page.goto(new URL(app.url).origin + '/');
  expect(response?.status()).toBe(401);
});
