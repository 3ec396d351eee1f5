import type { Page } from '@playwright/test';

/**
 * In-page measurements shared by the e2e specs and `npm run bench` (bench/ui.bench.ts). They
 * report numbers; thresholds belong to the benchmark table, not to tests.
 */

/** Frame times (ms) while the runs grid is scrolled `steps` times by `rowsPerStep` rows. */
export function measureScrollFrames(page: Page, steps = 60, rowsPerStep = 33, rowHeight = 34): Promise<number[]> {
  return page.evaluate(
    async ({ steps, rowsPerStep, rowHeight }) => {
      // Runs in the page; e2e code is type-checked without the DOM library, hence the narrow types.
      const win = globalThis as unknown as {
        document: { querySelector(selector: string): { scrollTop: number } | null };
        requestAnimationFrame(callback: (now: number) => void): number;
      };
      const requestAnimationFrame = win.requestAnimationFrame.bind(win);
      const grid = win.document.querySelector('[role="grid"]')!;
      const times: number[] = [];
      let last = performance.now();
      let running = true;
      const tick = (now: number) => {
        times.push(now - last);
        last = now;
        if (running) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
      for (let i = 0; i < steps; i++) {
        grid.scrollTop += rowHeight * rowsPerStep;
        await new Promise((resolve) => setTimeout(resolve, 16));
      }
      running = false;
      return times.slice(1);
    },
    { steps, rowsPerStep, rowHeight },
  );
}

/** Milliseconds from navigation start until the first run row is on screen. */
export async function firstRunRowMs(page: Page): Promise<number> {
  await page.waitForSelector('[data-testid^="run-row-"]');
  return page.evaluate(() => performance.now());
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
