import { expect, test } from '@playwright/test';
import { NewRunPage } from './support/NewRunPage.ts';
import { watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { callServed } from './support/seedRuns.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp({ mnist: true });
});
test.afterAll(async () => {
  await app.stop();
});

test('a user asked to confirm a run of 20,000 epochs says yes, and the run starts', async ({ page }) => {
  const { errors } = watchConsole(page);
  const form = new NewRunPage(page);
  await form.open(app.url);
  await form.choosePreset('LeNet-5 (relu)');
  await form.setSubset(100, 100);
  await form.setEpochs(20_000);
  await form.start.click();
  // A question with a button, not an error.
  await expect(form.confirm).toContainText('Train 20,000 epochs per run? That is more than 10,000.');
  await expect(page.getByTestId('error')).toHaveCount(0);
  await expect(await callServed<{ total: number }>(app.url, 'runs.list', {})).toMatchObject({ total: 0 });
  await form.confirmYes.click();
  await expect(page).toHaveURL(/#\/runs\/\d+$/);
  const runId = Number(/#\/runs\/(\d+)$/.exec(page.url())![1]);
  // Only the run was wanted here, not 20,000 epochs of training.
  await callServed(app.url, 'runs.cancel', { id: runId });
  const detail = await callServed<{ hyperparameters: { epochs: number } }>(app.url, 'runs.get', { id: runId });
  expect(detail.hyperparameters.epochs).toBe(20_000);
  expect(errors).toEqual([]);
});

test('a user asked to confirm a sweep of 10,100 runs says yes, and the preview and the start button count them', async ({ page }) => {
  const { errors } = watchConsole(page);
  const form = new NewRunPage(page);
  await form.open(app.url, 'sweep');
  await form.choosePreset('LeNet-5 (relu)');
  await form.setSubset(100, 100);
  await form.setAxis(0, 'learningRate', Array.from({ length: 101 }, (_, i) => ((i + 1) / 10_000).toFixed(4)).join(', '));
  await form.setAxis(1, 'epochs', '1');
  await form.setRepeats(100);
  await expect(form.confirm).toContainText('Queue all 10,100 runs of this sweep? That is more than 10,000.');
  await expect(form.start).toBeDisabled();
  await form.confirmYes.click();
  await expect(form.previewSummary).toContainText(/^10100 runs/);
  await expect(form.start).toBeEnabled();
  await expect(form.start).toHaveText('Start sweep (10100 runs)');
  // An edit makes another sweep: the question is asked again, with its own count.
  await form.setAxis(1, 'epochs', '1, 2');
  await expect(form.confirm).toContainText('Queue all 20,200 runs of this sweep? That is more than 10,000.');
  await expect(form.previewSummary).toBeHidden();
  expect(errors).toEqual([]);
});
