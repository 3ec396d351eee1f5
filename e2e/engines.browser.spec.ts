import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { findInstalledEngine } from '../src-main/test/installedEngine.ts';
import { AboutPage } from './support/AboutPage.ts';
import { screenshotBothThemes } from './support/screenshots.ts';
import { startServedApp } from './support/servedApp.ts';

test('a user without the tensorflow engine sees what installing it needs, and the install buttons', async ({ page }) => {
  const engines = mkdtempSync(join(tmpdir(), 'kernellab-e2e-engines-'));
  const app = await startServedApp({ env: { KERNELLAB_ENGINES_DIR: engines } });
  try {
    const about = new AboutPage(page);
    await about.open(app.url);
    const panel = about.engine('tensorflow');
    await expect(panel.getByTestId('status')).toHaveText('not installed');
    await expect(panel.getByTestId('engine-requirements')).toContainText('python');
    await expect(panel.getByTestId('engine-requirements')).toContainText('npm');
    await expect(panel.getByRole('button', { name: 'Install (CPU)' })).toBeEnabled();
    await expect(panel.getByRole('button', { name: 'Install (CUDA 12 GPU)' })).toBeEnabled();
    await expect(about.backend('tensorflow')).toContainText('kernellab engine install tensorflow');
  } finally {
    await app.stop();
    rmSync(engines, { recursive: true, force: true });
  }
});

test('a user with the tensorflow engine installed sees its version and devices, and runs train on it', async ({ page }) => {
  const engine = findInstalledEngine();
  if (typeof engine === 'string') {
    // CI installs the engine before the tests; elsewhere this journey needs it.
    if (process.env.CI) throw new Error(engine);
    test.skip(true, `SKIPPED: ${engine}`);
    return;
  }
  const app = await startServedApp({ env: { KERNELLAB_ENGINES_DIR: engine.enginesDir } });
  try {
    const about = new AboutPage(page);
    await about.open(app.url);
    const panel = about.engine('tensorflow');
    await expect(panel.getByTestId('status')).toHaveText('ready');
    await expect(panel.getByTestId('engine-version')).toContainText(engine.manifest.check.tensorflowVersion);
    await expect(panel.getByTestId('engine-devices')).toContainText('CPU');
    await expect(about.backend('tensorflow')).toContainText('yes');
    await expect(about.chosenBackend).toHaveText('tensorflow');
    await screenshotBothThemes(page, 'engines-ready');
  } finally {
    await app.stop();
  }
});
