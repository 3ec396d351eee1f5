import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { electronBinary, electronSkipReason } from './support/electronBinary.ts';

/**
 * The desktop app's own words follow the page's language switch: the page tells main the language
 * it set (src-main/electron/language.ts) and main rebuilds its menu (menu.ts) in it. Needs the
 * Electron binary and `npm run build`.
 */
const binary = electronBinary();
const skipReason = electronSkipReason;
if (!binary) console.log(`Electron language e2e — ${skipReason}`);

/** The application menu's top-level labels, as main set them. */
const menuLabels = (app: ElectronApplication) =>
  app.evaluate(({ Menu }) => Menu.getApplicationMenu()?.items.map((item) => item.label) ?? []);

test("a user switches the app to Korean and back, and the app's menu follows", async () => {
  test.skip(!binary, skipReason);
  const home = mkdtempSync(join(tmpdir(), 'kernellab-electron-lang-'));
  const app = await electron.launch({
    executablePath: binary!,
    args: ['out/main/main.js', `--home=${home}`, '--no-sandbox'],
  });
  try {
    // Whichever language it starts in (a switch an earlier run remembered wins), the menu follows each switch.
    const window = await app.firstWindow();
    await window.getByTestId('language').selectOption('ko');
    await expect(window.locator('html')).toHaveAttribute('lang', 'ko');
    await expect.poll(() => menuLabels(app)).toEqual(expect.arrayContaining(['파일', '편집', '보기', '창']));
    await window.getByTestId('language').selectOption('en');
    await expect(window.locator('html')).toHaveAttribute('lang', 'en');
    await expect.poll(() => menuLabels(app)).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Window']));
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
});
