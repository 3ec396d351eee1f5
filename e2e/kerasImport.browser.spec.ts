import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import yazl from 'yazl';
import { NewRunPage } from './support/NewRunPage.ts';
import { watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';

// What Keras 3 itself wrote (src-main/core/models/keras/fixtures/make_fixtures.py).
const fixtures = join(import.meta.dirname, '..', 'src-main', 'core', 'models', 'keras', 'fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');

/** A zip of these members (a .keras file is one). */
function zip(members: Record<string, Buffer>): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const [name, data] of Object.entries(members)) file.addBuffer(data, name);
  file.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    file.outputStream.on('data', (c: Buffer) => chunks.push(c));
    file.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    file.outputStream.on('error', reject);
  });
}

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp();
});
test.afterAll(async () => {
  await app.stop();
});

test('a notebook user pastes model.to_json(): its layers land in the builder and its compile settings in the form', async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const form = new NewRunPage(page);
  await form.open(app.url);
  await expect(page.getByRole('heading', { name: 'New run' })).toBeVisible();

  // A layer KernelLab cannot train is refused by name, with what to do, and nothing can start.
  const refusals = JSON.parse(fixture('refusals.keras3.json')) as Record<string, unknown>;
  await form.importKeras(JSON.stringify(refusals.leaky_relu));
  await expect(page.getByRole('alert')).toContainText("layer 'leaky_re_lu' (LeakyReLU)");
  await expect(page.getByRole('alert')).toContainText("use Activation('relu')");
  await expect(form.start).toBeDisabled();

  // RMSprop(learning_rate=CosineDecay(0.01, 500, alpha=0.1), rho=0.8, momentum=0.5, epsilon=1e-6, centered=True).
  await form.importKeras(fixture('logits_rmsprop.keras3.json'));
  await expect(form.kerasImported).toContainText("Keras 3 Sequential 'logits'");
  await expect(form.layerShape(1)).toHaveText('[16]');
  await expect(form.setting('Optimizer')).toHaveValue('rmsprop');
  await expect(form.setting('Learning rate')).toHaveValue('0.01');
  await expect(form.setting('rho')).toHaveValue('0.8');
  await expect(form.setting('momentum')).toHaveValue('0.5');
  await expect(form.setting('epsilon')).toHaveValue('0.000001');
  await expect(form.setting('centered')).toBeChecked();
  await expect(form.setting('Learning-rate schedule')).toHaveValue('cosine');
  await expect(form.setting('decay_steps')).toHaveValue('500');
  await expect(form.setting('alpha')).toHaveValue('0.1');
  await expect(form.start).toBeEnabled();

  // Keras' defaults are shown as they are: Adam's constants appear when Adam is chosen.
  await form.setting('Optimizer').selectOption('adam');
  await expect(form.setting('beta_1')).toHaveValue('0.9');
  await expect(form.setting('beta_2')).toHaveValue('0.999');
  expect(errors).toEqual([]);
});

test('a notebook user chooses the .keras file model.save wrote: the app reads its config, and says why a zip without one is refused', async ({
  page,
}) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const form = new NewRunPage(page);
  await form.open(app.url);
  await expect(page.getByRole('heading', { name: 'New run' })).toBeVisible();

  // A zip that is no .keras file: refused in words, nothing imported.
  await form.chooseKerasFile({ name: 'weights.keras', buffer: await zip({ 'model.weights.h5': Buffer.alloc(64, 7) }) });
  await expect(page.getByRole('alert')).toContainText('weights.keras is a zip without config.json, so not a .keras model file');
  await expect(form.kerasImported).toHaveCount(0);

  // What Keras 3 saved (Conv2D + Flatten, Adam(0.002)): its layers in the builder, its optimizer in the form.
  await form.chooseKerasFile({ name: 'model.keras', buffer: readFileSync(join(fixtures, 'model.keras')) });
  await expect(form.kerasImported).toContainText("Imported Keras 3 Sequential 'saved': 2 layers, with its compile settings");
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expect(form.setting('Optimizer')).toHaveValue('adam');
  await expect(form.setting('Learning rate')).toHaveValue('0.002');
  await expect(form.start).toBeEnabled();
  expect(errors).toEqual([]);
});
