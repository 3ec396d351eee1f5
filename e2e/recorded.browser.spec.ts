import { expect, test } from '@playwright/test';
import { ComparePage } from './support/ComparePage.ts';
import { RunPage } from './support/RunPage.ts';
import { RunsPage } from './support/RunsPage.ts';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { importRuns, seededSweep } from './support/seedRuns.ts';
import { SweepPage } from './support/SweepPage.ts';

/**
 * Journeys over recorded history: two finished kernel-size × epochs sweeps (18 runs each, with
 * evaluations) imported through the app's own runs.import, as a user's JSON export would be.
 */
let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
  await importRuns(app.url, seededSweep('LeNet-5 k×e, lr 0.001'));
  await importRuns(app.url, seededSweep('LeNet-5 k×e, lr 0.0005, 6k images', { learningRate: 0.0005, seed: 99, trainImages: 6000 }));
});
test.afterAll(async () => {
  await app.stop();
});

test.beforeEach(async ({ page }) => {
  await page.setViewportSize({ width: 1400, height: 900 });
});

test('a user finds the recorded runs, picks two and compares them with only the differing parameters', async ({ page }) => {
  const { errors } = watchConsole(page);
  const runs = new RunsPage(page);
  await runs.open(app.url);
  await expect(runs.total).toHaveText('36');
  await expect(runs.row(36)).toBeVisible();
  // The columns follow the data: what the two sweeps varied (the repeats' seed aside), then the main metric.
  await expect(runs.headers()).toHaveText([
    'Select',
    /^#/,
    'Name',
    'Status',
    'kernelSize',
    'epochs',
    'learningRate',
    'trainImages',
    'val_accuracy (best)',
    'Tags · note',
    'Created',
    'Duration',
  ]);
  await expect(runs.row(36)).toContainText('6000');
  // At 1,400 px everything fits: no header cut or broken inside a word, no column past the edge.
  expect(await runs.layout()).toEqual({ overflowX: 0, cutHeaders: [], brokenWords: [] });
  await screenshotBothThemes(page, 'runs-table');

  // Tags and notes are edited in the table itself.
  await runs.row(36).getByRole('button', { name: 'Edit tags of run 36' }).click();
  await page.getByLabel('Tags of run 36, comma separated').fill('best, lr-half');
  await page.getByLabel('Tags of run 36, comma separated').press('Enter');
  await expect(runs.row(36)).toContainText('lr-half');
  await runs.row(36).getByRole('button', { name: 'Note of run 36' }).click();
  const note = page.getByRole('dialog', { name: 'Note of run 36' });
  await note.getByLabel('Note').fill('Half the learning rate: same accuracy at 4 epochs.');
  await note.getByRole('button', { name: 'Save note' }).click();
  await expect(note.getByRole('status')).toHaveText('Saved');
  await note.getByRole('button', { name: 'Close' }).click();
  await runs.search.fill('tag:lr-half');
  await expect(runs.total).toHaveText('1');

  await runs.search.fill('');
  // Grouped by learning rate: the rows of each value sit together under a marked first row.
  await page.getByLabel('Group by').selectOption('learningRate');
  await expect(runs.grid.locator('.group-start')).toHaveCount(2);
  await expect(runs.grid.locator('.group-start').first().getByRole('gridcell').first()).toHaveText(/0\.00(05|1)/);
  await screenshotBothThemes(page, 'runs-grouped');
  await page.getByLabel('Group by').selectOption('');

  await runs.search.fill('learningRate=0.0005 epochs=4');
  await expect(runs.total).toHaveText('6');
  // The columns follow the listed runs: these six differ only in kernel size.
  await expect(runs.headers().filter({ hasText: /kernelSize|epochs|learningRate|trainImages/ })).toHaveText(['kernelSize']);
  await runs.search.fill('');
  await expect(runs.total).toHaveText('36');

  // Run 18 and run 36: the same point (kernel 7, 4 epochs, repeat 1) of the two sweeps.
  await runs.select(36);
  await runs.select(18);
  await expect(runs.compareButton).toBeVisible();
  // `c` compares the selection (focus is still on the last checkbox the user ticked).
  await page.keyboard.press('c');
  const compare = new ComparePage(page);
  await expect(compare.heading).toHaveText('Compare 2 runs');
  // The legend names each run by what differs between them.
  await expect(compare.legend(18)).toContainText('learningRate=0.001');
  await expect(compare.legend(36)).toContainText('learningRate=0.0005');
  await expect(compare.paramRow('batchSize')).toBeVisible();
  await compare.diffOnly.check();
  await expect(compare.paramRow('learningRate')).toBeVisible();
  // The second sweep trained on 6,000 of the 60,000 images: a parameter, so it shows as a difference.
  await expect(compare.paramRow('trainImages')).toContainText(/60000\s*6000/);
  await expect(compare.paramRow('batchSize')).toHaveCount(0);
  // Stars follow each metric's kind: the faster run for images/s, the lower loss; memory is not ranked.
  await expect(compare.summaryRow('samples_per_sec')).toContainText('(higher is better)');
  await expect(compare.summaryRow('samples_per_sec').getByText('★')).toHaveCount(1);
  await expect(compare.summaryRow('loss')).toContainText('(lower is better)');
  await expect(compare.summaryRow('loss').getByText('★')).toHaveCount(1);
  await expect(compare.summaryRow('rss_bytes')).toContainText('(not ranked, last)');
  await expect(compare.summaryRow('rss_bytes')).toContainText('MiB');
  await expect(compare.summaryRow('rss_bytes')).not.toContainText('★');
  await expect(compare.summaryRow('num_tensors')).not.toContainText('★');
  await screenshotBothThemes(page, 'compare');
  expect(errors).toEqual([]);
});

test('a user opens a sweep grid, then the best run of a cell and its confusion matrix', async ({ page }) => {
  const { errors } = watchConsole(page);
  const sweep = new SweepPage(page);
  await sweep.open(app.url, 1);
  await expect(sweep.grid).toBeVisible();
  await expect(sweep.points.locator('tbody tr')).toHaveCount(18);
  // Parallel coordinates share the colour-by axis and its legend with the curves.
  await expect(page.getByTestId('pc-legend')).toHaveText(/kernelSize=3\s*kernelSize=5\s*kernelSize=7/);
  await page.getByLabel('colour by').selectOption('epochs');
  await expect(page.getByTestId('pc-legend')).toHaveText(/epochs=1\s*epochs=2\s*epochs=4/);
  await page.getByLabel('colour by').selectOption('kernelSize');
  await screenshotBothThemes(page, 'sweep');
  await sweep.openCell('3', '4');
  const run = new RunPage(page);
  await expect(run.title).toContainText('k3 e4');
  await expect(run.confusionMatrix).toBeVisible();
  await expect(run.perClass.locator('tbody tr')).toHaveCount(10);
  // A finished run shows the images/s it measured; its system metrics wait in a closed section.
  await expect(page.getByTestId('run-throughput')).toHaveText(/^\d{1},\d{3} images\/s$/);
  await expect(page.getByTestId('system-metrics')).not.toHaveAttribute('open');
  await expect(page.getByRole('img', { name: 'rss_bytes curves' })).toBeHidden();
  await expect(page.getByRole('img', { name: 'loss curves' })).toBeVisible();
  await screenshotBothThemes(page, 'run');
  await page.getByTestId('system-metrics').locator('summary').click();
  await expect(page.getByRole('img', { name: 'rss_bytes curves' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a user lays two sweeps side by side on one colour scale and looks at their difference', async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.goto(app.url.replace(/#.*$/, '') + '#/sweeps');
  await expect(page.getByTestId('sweeps-table').locator('tbody tr')).toHaveCount(2);
  // One count per sweep (every run completed, so no breakdown) and the best of its main metric.
  await expect(page.getByTestId('sweep-runs-1')).toHaveText('18');
  await expect(page.getByTestId('sweep-best-1')).toContainText(/^0\.8\d{3}\s*val_accuracy$/);
  await screenshotBothThemes(page, 'sweeps');
  await page.getByLabel('Choose sweep 1').check();
  await page.getByLabel('Choose sweep 2').check();
  await page.getByTestId('compare-sweeps').click();
  await expect(page.getByRole('img', { name: 'grid of sweep 1' })).toBeVisible();
  await expect(page.getByRole('img', { name: 'grid of sweep 2' })).toBeVisible();
  await page.getByLabel(/show the difference/).check();
  await expect(page.getByRole('img', { name: 'difference grid' })).toBeVisible();
  await screenshotBothThemes(page, 'sweeps-side-by-side');
  expect(errors).toEqual([]);
});
