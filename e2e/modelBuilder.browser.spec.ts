import { expect, test } from '@playwright/test';
import { NewRunPage } from './support/NewRunPage.ts';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
});
test.afterAll(async () => {
  await app.stop();
});

test('a user builds a model, sees every layer’s shape, and sees why a too-large kernel is impossible', async ({ page }) => {
  const { errors, refusals } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  // A fresh install: the runs table says what to do first; `n` opens the new-run form.
  await page.goto(app.url.replace(/#.*$/, '') + '#/runs');
  await expect(page.getByTestId('empty-state')).toContainText('No runs yet');
  await screenshotBothThemes(page, 'runs-empty');
  await page.keyboard.press('n');
  const form = new NewRunPage(page);
  await expect(page.getByRole('heading', { name: 'New run' })).toBeVisible();
  await form.choosePreset('LeNet-5 (relu)');
  await form.editPresetLayers();

  // MNIST is 28×28×1: conv 5×5 valid → 24×24×6, pool → 12×12×6, conv 5×5 → 8×8×16.
  await expect(form.layerShape(0)).toHaveText('[24 × 24 × 6]');
  await expect(form.layerShape(2)).toHaveText('[8 × 8 × 16]');
  await expect(form.totalParams).not.toBeEmpty();
  // Receptive fields beside the shapes: 5×5, then 6 after the pool, 14 after the second 5×5 conv.
  await expect(form.receptiveField(0)).toHaveText('5×5');
  await expect(form.receptiveField(2)).toHaveText('14×14');
  await screenshotBothThemes(page, 'model-builder');

  // A 3×3 first kernel narrows every field after it: 3×3, and 12×12 after the second conv.
  await form.layerField('kernel', 0).fill('3');
  await expect(form.receptiveField(0)).toHaveText('3×3');
  await expect(form.receptiveField(2)).toHaveText('12×12');

  await form.layerField('kernel', 0).fill('5');

  // A 13×13 kernel on the 12×12 map that the first pool leaves is impossible.
  await form.layerField('kernel', 2).fill('13');
  await expect(form.shapeError).toContainText('layers[2] (conv2d)');
  await expect(form.shapeError).toContainText('floor((12 + 0 − 13) / 1) + 1 = 0');
  await expect(form.layerShape(2)).toHaveText('impossible');
  await expect(form.start).toBeDisabled();
  await screenshotBothThemes(page, 'model-builder-error');

  // Same padding keeps it possible: the error goes away as the user fixes it.
  await form.layerField('padding', 2).selectOption('same');
  await expect(form.shapeError).toHaveCount(0);
  await expect(form.layerShape(2)).toHaveText('[12 × 12 × 16]');
  await expect(form.start).toBeEnabled();
  expect(errors).toEqual([]);
  // The refusals were the core's 400 answers to the impossible spec, shown in the builder.
  expect(refusals.length).toBeGreaterThan(0);
});
