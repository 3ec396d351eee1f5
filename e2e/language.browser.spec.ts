import { expect, test, type Page } from '@playwright/test';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { importRuns, seededSweep } from './support/seedRuns.ts';

/** A recorded kernel-size × epochs sweep (18 runs with evaluations), imported as a user's export would be. */
let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
  await importRuns(app.url, seededSweep('LeNet-5 k×e, lr 0.001'));
});
test.afterAll(async () => {
  await app.stop();
});

const nav = (page: Page) => page.getByRole('navigation');

test('a user switches the app to Korean, and it stays Korean after a reload', async ({ page }) => {
  const logs = watchConsole(page);
  await page.goto(app.url.replace(/#.*$/, '') + '#/about');
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

test('a Korean user reads the runs table and a run in Korean, and Hangul is drawn with a real font', async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(app.url.replace(/#.*$/, '') + '#/runs');
  await page.getByTestId('language').selectOption('ko');
  const grid = page.getByRole('grid', { name: '실행' });
  await expect(page.getByTestId('runs-total')).toHaveText('18');
  await expect(grid.getByRole('columnheader')).toHaveText([
    '선택',
    /^#/,
    '이름',
    '상태',
    'kernelSize',
    'epochs',
    /^val_accuracy/,
    '태그 · 메모',
    '생성',
    '소요 시간',
  ]);
  await expect(page.getByTestId('run-row-1').getByTestId('status')).toHaveText('완료');
  await expect(page.getByRole('heading', { name: /^실행/ })).toBeVisible();
  await expect(page.getByRole('link', { name: '새 스윕' }).first()).toBeVisible();
  // Dates in the Korean order (2026. 11. 30. 21:05), from Intl.
  await expect(page.getByTestId('run-row-1').getByRole('gridcell').nth(8)).toHaveAttribute(
    'title',
    /^\d{4}\. \d{2}\. \d{2}\. \d{2}:\d{2}$/,
  );
  // A run's time in Korean units (16.6초, 3분 10초), never "s" or "min".
  await expect(page.getByTestId('run-row-1').getByRole('gridcell').nth(9)).toHaveText(/^(\d+\.\d초|\d+분 \d+초|\d+시간 \d+분)$/);
  // The note dialog, closed and with no run chosen yet, has a label that reads right.
  await expect(page.getByTestId('note-dialog')).toHaveAttribute('aria-label', '실행 메모');
  // Without a CJK font Chromium draws every syllable as the same missing-glyph box (CI installs fonts-noto-cjk).
  const widths = await page.evaluate(() => {
    const g = globalThis as unknown as {
      document: {
        createElement(tag: 'canvas'): { getContext(kind: '2d'): { font: string; measureText(text: string): { width: number } } };
      };
    };
    const ctx = g.document.createElement('canvas').getContext('2d');
    ctx.font = '20px sans-serif';
    return ['실', '행', '\u{10FFFD}'].map((t) => ctx.measureText(t).width);
  });
  expect(new Set(widths).size, `glyph widths ${widths.join(', ')}: Hangul looks like the missing-glyph box`).toBeGreaterThan(1);
  await screenshotBothThemes(page, 'runs-ko');

  await page.getByTestId('run-row-1').getByRole('link').click();
  await expect(page.getByRole('heading', { name: '요약 지표' })).toBeVisible();
  await expect(page.getByRole('heading', { name: '혼동 행렬 (행: 정답, 열: 예측)' })).toBeVisible();
  await expect(page.getByTestId('run-throughput')).toHaveText(/^초당 이미지 \d{1},\d{3}장$/);
  await expect(page.getByRole('img', { name: 'loss 곡선' })).toBeVisible();
  await expect(page.locator('dt', { hasText: '데이터셋' })).toBeVisible();
  await screenshotBothThemes(page, 'run-ko');

  // The choice survives a reload: the run view comes back in Korean.
  await page.reload();
  await expect(page.getByRole('heading', { name: '요약 지표' })).toBeVisible();
  await page.goto(app.url.replace(/#.*$/, '').replace(/\?.*$/, '') + '#/sweeps/1');
  await expect(page.getByText('색 기준')).toBeVisible();
  await screenshotBothThemes(page, 'sweep-ko');
  expect(errors).toEqual([]);
});

test('a Korean user reads where a sweep stands and what the core refused in Korean, each field named as typed', async ({ page }) => {
  const { errors, refusals } = watchConsole(page);
  const base = app.url.replace(/#.*$/, '');
  await page.goto(base + '#/sweeps/1');
  await page.getByTestId('language').selectOption('ko');
  // The core's "run 19 of 19, done", said by the page from its code.
  await expect(page.getByTestId('sweep-progress-text')).toHaveText(/^실행 (\d+)개 중 \1번째, 완료$/);

  // A sweep that is not there: the core's not-found, in Korean.
  await page.goto(base + '#/sweeps/999');
  await expect(page.getByTestId('error')).toContainText('스윕 999이(가) 없습니다');

  // A value the core refuses: the field path stays as the user typed it, the words are Korean.
  await page.goto(base + '#/about');
  const budget = page.getByRole('form', { name: '이 컴퓨터에서 동시에 학습할 실행 수' });
  await budget.getByLabel('동시 실행 수').fill('300');
  await budget.getByRole('button', { name: '저장' }).click();
  await expect(page.getByRole('alert')).toHaveText('sweeps.setConcurrency의 입력이 올바르지 않습니다: workers: 256 이하여야 합니다');
  expect(refusals.length).toBeGreaterThan(0);
  expect(errors).toEqual([]);
});
