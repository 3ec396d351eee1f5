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

test('a visitor without the token is turned away', async ({ page }) => {
  const response = await page.goto(new URL(app.url).origin + '/');
  expect(response?.status()).toBe(401);
});
