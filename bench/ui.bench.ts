/**
 * UI timings in a real Chromium (Debian's, as in the e2e tests) against `kernellab serve`:
 * first paint of the runs view with 10,000 runs, frame times while scrolling it, and the draw
 * time of a 50 runs × 200 epochs chart. Needs `npm run build` (the served renderer).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../e2e/support/chromium.ts';
import { firstRunRowMs, measureScrollFrames, percentile } from '../e2e/support/measure.ts';
import { importRuns, manyRuns } from '../e2e/support/seedRuns.ts';
import { startServedApp } from '../e2e/support/servedApp.ts';
import type { BenchContext, BenchResult } from './types.ts';

const built = fileURLToPath(new URL('../out/renderer/index.html', import.meta.url));

export async function run(_context: BenchContext): Promise<BenchResult[]> {
  if (!existsSync(built)) throw new Error('the renderer is not built: run `npm run build` first');
  if (!chromiumPath) {
    return [{ name: 'ui: all', value: null, unit: 'ms', note: 'absent: no Chromium at /usr/bin/chromium (set PLAYWRIGHT_CHROMIUM)' }];
  }
  const app = await startServedApp();
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: chromiumArgs,
  });
  try {
    for (const file of manyRuns(10_000)) await importRuns(app.url, file);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const base = app.url.replace(/#.*$/, '');
    await page.goto(base + '#/runs');
    await page.waitForSelector('[data-testid^="run-row-"]');
    // Measured on a second load: the first also paid for the token exchange and a cold cache.
    const paints: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.reload();
      paints.push(await firstRunRowMs(page));
    }
    const frames = await measureScrollFrames(page);
    await page.goto(base + '#/bench');
    await page.getByTestId('draw-ms').filter({ hasText: /^\d/ }).waitFor({ timeout: 120_000 });
    const drawMs = Number(await page.getByTestId('draw-ms').textContent());
    return [
      { name: 'ui: runs view with 10,000 runs, navigation → first row painted (median of 3)', value: percentile(paints, 50), unit: 'ms' },
      {
        name: 'ui: runs table fast scroll, frame time p95',
        value: percentile(frames, 95),
        unit: 'ms',
        target: '≤ 33',
        note: `${frames.length} frames, max ${Math.max(...frames).toFixed(0)} ms`,
      },
      { name: 'ui: chart of 50 runs × 200 epochs, draw time (median of 5)', value: drawMs, unit: 'ms', target: '< 200' },
    ];
  } finally {
    await browser.close();
    await app.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: false })));
}
