import { expect, test, type Page } from '@playwright/test';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { watchConsole } from './support/screenshots.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
});
test.afterAll(async () => {
  await app.stop();
});

const nav = (page: Page) => page.getByRole('navigation');

test('a user switches the app to Korean, and it stays Korean after a reload', async ({ page }) => {
  const logs = watchConsole(page);
  await page.goto(app.url.replace(/#.*$/, '') + '#/runs');
  await expect(nav(page).getByRole('link', { name: 'Runs', exact: true })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await page.getByTestId('language').selectOption('ko');
  await expect(nav(page).getByRole('link', { name: '실행', exact: true })).toBeVisible();
  await expect(nav(page).getByRole('link', { name: '스윕', exact: true })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ko');
  await page.reload();
  await expect(nav(page).getByRole('link', { name: '이 컴퓨터', exact: true })).toBeVisible();
  await expect(page.getByTestId('language')).toHaveValue('ko');
  // And back: the switch is remembered either way.
  await page.getByTestId('language').selectOption('en');
  await expect(nav(page).getByRole('link', { name: 'This machine', exact: true })).toBeVisible();
  expect(logs.errors).toEqual([]);
});

test.describe('a browser whose language is Korean', () => {
  test.use({ locale: 'ko-KR' });
  test('opens the app in Korean without being asked', async ({ page }) => {
    await page.goto(app.url.replace(/#.*$/, '') + '#/runs');
    await expect(nav(page).getByRole('link', { name: '새 실행', exact: true })).toBeVisible();
    await expect(page.getByTestId('language')).toHaveValue('ko');
  });
});
