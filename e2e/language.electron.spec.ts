import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { electronBinary, electronSkipReason } from './support/electronBinary.ts';

/**
 * The desktop app's own words follow the page's language switch: the page tells main the language
 * it set (src-main/electron/language.ts), main rebuilds its menu (menu.ts) in it and remembers the
 * switch for its next start (languageFile.ts). Needs the Electron binary and `npm run build`.
 */
const binary = electronBinary();
const skipReason = electronSkipReason;
if (!binary) console.log(`Electron language e2e — ${skipReason}`);

/** The switch main remembered for its next start (languageFile.ts), or '' when none. */
const rememberedSwitch = async (app: ElectronApplication) => {
  const userData = await app.evaluate(({ app }) => app.getPath('userData'));
  try {
    return readFileSync(join(userData, 'language.txt'), 'utf8');
  } catch {
    return '';
  }
};

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
    // Remembered by main too, so the next start's first moment (a box before the page loads) is Korean.
    await expect.poll(() => rememberedSwitch(app)).toBe('ko\n');
    await window.getByTestId('language').selectOption('en');
    await expect(window.locator('html')).toHaveAttribute('lang', 'en');
    await expect.poll(() => menuLabels(app)).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Window']));
    await expect.poll(() => rememberedSwitch(app)).toBe('en\n');
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
});
