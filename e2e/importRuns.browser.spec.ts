import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { RunsPage } from './support/RunsPage.ts';
import { watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { manyRuns } from './support/seedRuns.ts';

let app: ServedApp;
let folder: string;
test.beforeAll(async () => {
  app = await startServedApp();
  folder = mkdtempSync(join(tmpdir(), 'kernellab-e2e-import-'));
});
test.afterAll(async () => {
  await app.stop();
  rmSync(folder, { recursive: true, force: true });
});

test('a user in browser mode imports a runs export with "Import runs…" and sees its runs', async ({ page }) => {
  const { errors } = watchConsole(page);
  // A runs export as `kernellab runs export --format json` writes it: 12 runs with their metrics.
  const exported = join(folder, 'runs-12.json');
  writeFileSync(exported, JSON.stringify(manyRuns(12)[0]));
  const runs = new RunsPage(page);
  await runs.open(app.url);
  await expect(runs.total).toHaveText('0');

  await runs.importFile(exported);
  await expect(runs.importNote).toHaveText('Imported 12 runs from runs-12.json (0 were already here).');
  await expect(runs.total).toHaveText('12');
  await expect(runs.grid.getByText('bulk run 12', { exact: true })).toBeVisible();

  // The same file again: nothing new, and the page says so.
  await runs.importFile(exported);
  await expect(runs.importNote).toHaveText('Imported 0 runs from runs-12.json (12 were already here).');
  await expect(runs.total).toHaveText('12');

  // A file that is not an export is refused, saying why, and changes nothing.
  const notExport = join(folder, 'notes.json');
  writeFileSync(notExport, '{"hello": "world"}');
  await runs.importFile(notExport);
  await expect(runs.importError).toContainText('Invalid runs export');
  await expect(runs.total).toHaveText('12');
  expect(errors).toEqual([]);
});
