import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';

export const artifactsDir = join(import.meta.dirname, '..', 'artifacts');

/**
 * Saves the page as `<name>-light.png` and `<name>-dark.png` under e2e/artifacts/. The app
 * follows prefers-color-scheme, so emulating it switches the theme without touching the app.
 */
export async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    // Charts repaint on the theme change event; give them a frame.
    await page.evaluate(() => {
      // e2e code is type-checked without the DOM library; this runs in the page, where it exists.
      const raf = (globalThis as unknown as { requestAnimationFrame(callback: () => void): number }).requestAnimationFrame;
      return new Promise<void>((resolve) => raf(() => raf(resolve)));
    });
    await page.screenshot({ path: join(artifactsDir, `${name}-${colorScheme}.png`), fullPage: true });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/**
 * What a page logged while a journey ran. `refusals` are Chromium's own "Failed to load
 * resource: … status of 4xx" lines: the core answers bad input (an impossible model, a wrong
 * file) with HTTP 400 and the app shows the message where the user acted, but Chromium logs every
 * 4xx response regardless. They are kept apart, never dropped; everything else is in `errors`.
 */
export function watchConsole(page: Page): { errors: string[]; refusals: string[] } {
  const errors: string[] = [];
  const refusals: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(text)) refusals.push(text);
    else errors.push(text);
  });
  page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
  return { errors, refusals };
}
