import { expect, test } from '@playwright/test';
import { AboutPage } from './support/AboutPage.ts';
import { chromiumPath, gpuChromiumArgs } from './support/chromium.ts';
import { ComparePage } from './support/ComparePage.ts';
import { RunsPage } from './support/RunsPage.ts';
import { callServed } from './support/seedRuns.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { tinyModel } from './support/tinyRun.ts';

/**
 * "Train on this browser's GPU" in browser mode (issue 16), in Debian's Chromium with
 * --enable-unsafe-webgpu: here a SwiftShader (software) adapter, which proves the plumbing and
 * the numbers, never a GPU's speed. A two-point sweep over backend: the webgpu point waits for a
 * browser GPU until the page lends its own, trains in the page's Worker and streams back through
 * the agent.* methods; the wasm point trains in a worker process of `kernellab serve`.
 */
test.use({ launchOptions: { ...(chromiumPath ? { executablePath: chromiumPath } : {}), args: gpuChromiumArgs } });

/** Small enough for SwiftShader: a 4-filter conv net on 200 MNIST images, one epoch, fixed seed. */
const spec = {
  name: 'webgpu against wasm',
  base: {
    model: tinyModel({ pool: true }),
    dataset: 'mnist',
    subset: { train: 200, test: 100 },
    hyperparameters: { epochs: 2, batchSize: 32, learningRate: 0.01, validationSplit: 0.2, seed: 3 },
  },
  axes: { backend: ['webgpu', 'wasm'] },
};

interface Detail {
  id: number;
  status: string;
  backend: string;
  device: string;
  deviceCode: { code: string; params: Record<string, unknown> } | null;
  error: string | null;
  environment: Record<string, unknown>;
}
interface Series {
  series: Record<string, { epoch: number; value: number | string }[]>;
}

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp({ mnist: true });
});
test.afterAll(async () => {
  await app.stop();
});

test.setTimeout(300_000);

test("a sweep's webgpu point waits for a browser GPU, trains in the page's Worker and matches its wasm point", async ({ page }) => {
  const { sweepId } = await callServed<{ sweepId: number }>(app.url, 'sweeps.start', { spec });
  const rows = await callServed<{ rows: { id: number; backend: string }[] }>(app.url, 'runs.list', { sweepId, limit: 10 });
  const gpuId = rows.rows.find((r) => r.backend === 'webgpu')!.id;
  const wasmId = rows.rows.find((r) => r.backend !== 'webgpu')!.id;
  const detail = (id: number) => callServed<Detail>(app.url, 'runs.get', { id });

  const runs = new RunsPage(page);
  await runs.open(app.url);
  await expect(runs.row(gpuId)).toBeVisible();
  // Nothing on the server trains it: it says what it waits for while the wasm point trains.
  await expect(runs.waiting(gpuId)).toHaveText('browser GPU');
  await expect(runs.row(gpuId).getByTestId('status')).toHaveAttribute('title', /waiting for a browser GPU: open KernelLab in a browser/);
  await expect.poll(async () => (await detail(wasmId)).status, { timeout: 120_000 }).toBe('completed');
  expect((await detail(gpuId)).status).toBe('queued');

  await runs.lendGpu.click();
  await expect(runs.lendingStatus).toContainText(`run ${gpuId}`, { timeout: 60_000 });
  await expect.poll(async () => (await detail(gpuId)).status, { timeout: 240_000, intervals: [1000] }).toBe('completed');
  await runs.stopLending.click();
  await expect(runs.lendGpu).toBeVisible();

  const gpu = await detail(gpuId);
  expect(gpu.backend).toBe('webgpu');
  // SwiftShader here: recorded as a software adapter, never called a GPU.
  expect(gpu.device).toMatch(/^WebGPU on .*software adapter \(SwiftShader\), not a GPU$/);
  // The real Worker's line comes with its code, stored for the page's language.
  expect(gpu.deviceCode).toMatchObject({ code: 'gpu_adapter_software_named', params: { api: 'WebGPU', rasteriser: 'SwiftShader' } });
  expect(gpu.environment.runtime).toMatchObject({ adapter: { isFallbackAdapter: true } });
  const lossOf = async (id: number) =>
    (await callServed<Series>(app.url, 'runs.metrics', { id, keys: ['loss', 'val_loss', 'val_accuracy'] })).series;
  const [onGpu, onWasm] = await Promise.all([lossOf(gpuId), lossOf(wasmId)]);
  for (const key of ['loss', 'val_loss', 'val_accuracy']) {
    expect(onGpu[key]?.map((p) => p.epoch)).toEqual([1, 2]);
    onGpu[key]!.forEach((p, i) => expect(Number(p.value)).toBeCloseTo(Number(onWasm[key]![i]!.value), 4));
  }
  // Its checkpoints were uploaded into the run's folder by the server.
  const checkpoints = await callServed<{ checkpoints: { kind: string }[] }>(app.url, 'runs.get', { id: gpuId });
  expect(checkpoints.checkpoints.map((c) => c.kind)).toEqual(expect.arrayContaining(['best', 'last']));

  // Side by side: the compare view shows both points and the backend that tells them apart.
  await page.goto(app.url.replace(/#.*$/, '').replace(/\?.*$/, '') + `#/compare?ids=${gpuId},${wasmId}`);
  const compare = new ComparePage(page);
  await expect(compare.heading).toBeVisible();
  await expect(compare.paramRow('backend')).toContainText('webgpu');
  await expect(compare.paramRow('backend')).toContainText('wasm');
  await expect(compare.summaryRow('val_accuracy')).toBeVisible();
});

test('This machine lists the adapter a lending page reported, with its age, and auto never picks SwiftShader', async ({ page }) => {
  const about = new AboutPage(page);
  await about.open(app.url);
  await about.lendGpu.click();
  await expect(about.lendingStatus).toContainText('asking again', { timeout: 60_000 });
  // Real Chromium's own adapter, as the page read it and the server judged it.
  await expect(about.gpuHosts).toContainText(/WebGPU on google swiftshader .*software adapter \(SwiftShader\), not a GPU/);
  await expect(about.gpuHosts).toContainText(/reported \d+ min ago · lending now/);
  await expect(about.autoBackend).toContainText(/^(wasm|tensorflow|cpu): .*auto never picks a software adapter, so runs train on/);
  const info = await callServed<{ auto: { backend: string | null }; chosenBackend: string | null; gpuHosts: { lending: boolean }[] }>(
    app.url,
    'app.info',
    {},
  );
  expect(info.auto.backend).toBe(info.chosenBackend);
  expect(info.gpuHosts[0]).toMatchObject({ lending: true });
  await about.stopLending.click();
  await expect(about.gpuHosts).toContainText('not lending');
});
