/**
 * The renderer in a real browser (Playwright's Chromium, /usr/bin/chromium where present), served
 * by `kernellab serve` from the built renderer (run `npm run build` first):
 *   - one chart of 50 runs × 200 epochs: median of 5 full draws (the target: < 200 ms);
 *   - the runs table with 10,000 imported runs: p95 frame time while scrolling fast.
 */
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { startServedApp } from '../e2e/support/servedApp.ts';
import { importRuns, manyRuns } from '../e2e/support/seedRuns.ts';
import type { BenchContext, BenchResult } from './types.ts';

const chromiumPath = process.env.PLAYWRIGHT_CHROMIUM ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);

export async function run(context: BenchContext): Promise<BenchResult[]> {
  if (!existsSync('out/renderer/index.html')) {
    return [
      { name: 'ui: chart draw, 50 runs × 200 epochs (median of 5)', value: null, unit: 'ms', note: 'absent: run `npm run build` first' },
    ];
  }
  const runCount = context.quick ? 2_000 : 10_000;
  const app = await startServedApp();
  const browser = await chromium.launch({
    ...(chromiumPath ? { executablePath: chromiumPath } : {}),
    args: ['--no-sandbox', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const origin = app.url.replace(/#.*$/, '');
    await page.goto(origin + '#/bench');
    await page.getByTestId('draw-ms').filter({ hasText: /^\d/ }).waitFor({ timeout: 60_000 });
    const median = Number(await page.getByTestId('draw-ms').textContent());
    const all = (await page.getByTestId('draw-all').textContent())!.replace(/[()]/g, '');

    for (const file of manyRuns(runCount)) await importRuns(app.url, file);
    await page.goto(origin + '#/runs');
    await page
      .getByTestId('runs-total')
      .filter({ hasText: String(runCount) })
      .waitFor({ timeout: 60_000 });
    const frames = await page.evaluate(async () => {
      // Runs in the page; this file is type-checked without the DOM library.
      const win = globalThis as unknown as {
        document: { querySelector(selector: string): { scrollTop: number } | null };
        requestAnimationFrame(callback: (now: number) => void): number;
      };
      const grid = win.document.querySelector('[role="grid"]')!;
      const times: number[] = [];
      let last = performance.now();
      let running = true;
      const tick = (now: number) => {
        times.push(now - last);
        last = now;
        if (running) win.requestAnimationFrame(tick);
      };
      win.requestAnimationFrame(tick);
      for (let i = 0; i < 60; i++) {
        grid.scrollTop += 34 * 33;
        await new Promise((resolve) => setTimeout(resolve, 16));
      }
      running = false;
      return times.slice(1);
    });
    const sorted = [...frames].sort((a, b) => a - b);
    return [
      {
        name: 'ui: chart draw, 50 runs × 200 epochs (median of 5)',
        value: median,
        unit: 'ms',
        target: '< 200',
        note: `rounds ${all} ms; headless Chromium, no GPU`,
      },
      {
        name: `ui: runs table, ${runCount.toLocaleString('en-US')} runs, fast scroll p95 frame`,
        value: sorted[Math.floor(sorted.length * 0.95)]!,
        unit: 'ms',
        note: `${frames.length} frames while scrolling 33 rows per 16 ms; max ${sorted.at(-1)!.toFixed(0)} ms`,
      },
    ];
  } finally {
    await browser.close();
    await app.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./types.ts');
  console.log(formatTable(await run({ previous: [], quick: process.env.KERNELLAB_BENCH_QUICK === '1' })));
}
