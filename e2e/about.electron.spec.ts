import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { AboutPage } from './support/AboutPage.ts';

/**
 * The Electron binary is downloaded on first use, which is impossible on machines without
 * internet access (CI here). Find it without triggering that download.
 */
function electronBinary(): string | undefined {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(binary) ? binary : undefined;
}

const binary = electronBinary();
const skipReason =
  'SKIPPED: the Electron binary is not installed (node_modules/electron/dist is missing: Electron downloads it on first run, and this machine cannot download it)';
// Said in the test output too, not only in the report's annotations.
if (!binary) console.log(`Electron e2e — ${skipReason}`);

test('the desktop app opens its window and shows live values from the core', async () => {
  test.skip(!binary, skipReason);
  const home = mkdtempSync(join(tmpdir(), 'kernellab-electron-'));
  const app = await electron.launch({ executablePath: binary!, args: ['out/main/main.js', `--home=${home}`, '--no-sandbox'] });
  try {
    const window = await app.firstWindow();
    const about = new AboutPage(window);
    await about.openFromNav();
    await expect(about.shell).toHaveText('electron');
    await expect(about.dataDir).toHaveText(home);
    await expect(about.backend('wasm')).toContainText('yes');
  } finally {
    await app.close();
    rmSync(home, { recursive: true, force: true });
  }
});
