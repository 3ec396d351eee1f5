import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { measureScrollFrames, percentile } from './support/measure.ts';
import { RunsPage } from './support/RunsPage.ts';
import { artifactsDir, screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { importRuns, manyRuns } from './support/seedRuns.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
  for (const file of manyRuns(10_000)) await importRuns(app.url, file);
});
test.afterAll(async () => {
  await app.stop();
});

test.setTimeout(300_000);

test('a user with 10,000 runs scrolls the whole table from the keyboard, sorts and filters it', async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 900 });
  const runs = new RunsPage(page);
  await runs.open(app.url);
  await expect(runs.total).toHaveText('10000');
  await expect(runs.row(10_000)).toBeVisible();
  // Virtualised: only the rows on screen (plus a margin) are in the page.
  expect(await runs.renderedRows().count()).toBeLessThan(80);

  // A measurement, not an assertion: frame times while the wheel scrolls 400 rows per step through
  // the first 2,000 rows (pages load as they come into view). Written to e2e/artifacts/runs-scroll.json.
  const frames = await measureScrollFrames(page);
  const sorted = [...frames].sort((a, b) => a - b);
  const p95 = percentile(frames, 95);
  mkdirSync(artifactsDir, { recursive: true });
  writeFileSync(
    join(artifactsDir, 'runs-scroll.json'),
    JSON.stringify({ rows: 10_000, frames: frames.length, p95FrameMs: p95, maxFrameMs: sorted.at(-1) }, null, 2),
  );
  console.log(
    `runs table, 10,000 rows, fast scroll: ${frames.length} frames, p95 frame ${p95.toFixed(1)} ms, max ${sorted.at(-1)!.toFixed(1)} ms`,
  );
  expect(frames.length).toBeGreaterThan(10);

  // End jumps to the last row; its page is fetched when it scrolls into view.
  await runs.grid.focus();
  await page.keyboard.press('End');
  await expect(runs.row(1)).toBeVisible();
  expect(await runs.renderedRows().count()).toBeLessThan(80);
  await page.keyboard.press('Space');
  await expect(page.getByLabel('Select run 1', { exact: true })).toBeChecked();
  await page.keyboard.press('Home');
  await expect(runs.row(10_000)).toBeVisible();

  // Sort by the best validation accuracy, highest first, then ascending.
  await page
    .getByRole('columnheader', { name: /val_accuracy \(best\)/ })
    .getByRole('button')
    .click();
  await expect(page.getByRole('columnheader', { name: /val_accuracy \(best\)/ })).toHaveAttribute('aria-sort', 'descending');

  // `/` focuses the search; a filter narrows 10,000 rows to a third.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('/');
  await expect(runs.search).toBeFocused();
  await runs.search.fill('learningRate=0.002');
  await expect(runs.total).toHaveText('3333');
  await screenshotBothThemes(page, 'runs-10k');
  expect(errors).toEqual([]);
});
