import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { AboutPage } from './support/AboutPage.ts';
import { electronBinary, electronSkipReason } from './support/electronBinary.ts';

const binary = electronBinary();
const skipReason = electronSkipReason;
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
