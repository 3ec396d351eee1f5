import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { artifactsDir, screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
});
test.afterAll(async () => {
  await app.stop();
});

// A measurement, not a timed assertion: the figure is written to e2e/artifacts/chart-draw.json
// and printed; the test checks only that every round drew.
test('a chart of 50 runs × 200 epochs draws, and its draw time is recorded', async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(app.url.replace(/#.*$/, '') + '#/bench');
  const median = page.getByTestId('draw-ms');
  await expect(median).toHaveText(/^\d+(\.\d+)?$/);
  const medianMs = Number(await median.textContent());
  const all = (await page.getByTestId('draw-all').textContent())!.replace(/[()]/g, '').split(',').map(Number);
  expect(all).toHaveLength(5);
  mkdirSync(artifactsDir, { recursive: true });
  writeFileSync(join(artifactsDir, 'chart-draw.json'), JSON.stringify({ runs: 50, epochs: 200, medianMs, allMs: all }, null, 2));
  console.log(`chart draw, 50 runs × 200 epochs: median ${medianMs} ms (rounds: ${all.join(', ')} ms)`);
  await screenshotBothThemes(page, 'chart-bench');
  expect(errors).toEqual([]);
});
