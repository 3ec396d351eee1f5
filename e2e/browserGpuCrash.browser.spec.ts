import { expect, test } from '@playwright/test';
import { chromiumPath, gpuChromiumArgs } from './support/chromium.ts';
import { RunsPage } from './support/RunsPage.ts';
import { callServed } from './support/seedRuns.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { tinyMnistRun } from './support/tinyRun.ts';

/**
 * The GPU process of the browser that lends its GPU crashes during a run (Chromium's
 * Browser.crashGpuProcess over CDP, as a driver reset or a GPU out of memory would kill it).
 */
test.use({ launchOptions: { ...(chromiumPath ? { executablePath: chromiumPath } : {}), args: gpuChromiumArgs } });

const run = tinyMnistRun({ train: 2000, epochs: 20, validationSplit: 0.2, backend: 'webgpu' });

interface Detail {
  id: number;
  status: string;
  error: string | null;
}

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp({ mnist: true });
});
test.afterAll(async () => {
  await app.stop();
});
test.setTimeout(240_000);

test("the lending browser's GPU process crashes mid-run: the run fails saying so, the page says it, and the next run trains", async ({
  page,
  browser,
}) => {
  const { runId } = await callServed<{ runId: number }>(app.url, 'runs.start', { run });
  const detail = (id: number) => callServed<Detail>(app.url, 'runs.get', { id });
  const runs = new RunsPage(page);
  await runs.open(app.url);
  await runs.lendGpu.click();
  await expect(runs.lendingStatus).toContainText('epoch 1 of 20', { timeout: 120_000 });
  const cdp = await browser.newBrowserCDPSession();
  await cdp.send('Browser.crashGpuProcess');

  await expect.poll(async () => (await detail(runId)).status, { timeout: 60_000 }).toBe('failed');
  expect((await detail(runId)).error).toMatch(/^the browser's GPU process stopped during the run \(it crashed or its driver reset it\)/);
  await expect(page.getByTestId('browser-gpu-failure')).toContainText(
    `Run ${runId} failed in this browser: the browser's GPU process stopped`,
  );
  // The page goes on lending; the next run gets a fresh Worker on the restarted GPU process.
  const next = await callServed<{ runId: number }>(app.url, 'runs.start', {
    run: { ...run, subset: { train: 200, test: 100 }, hyperparameters: { ...run.hyperparameters, epochs: 1 } },
  });
  await expect.poll(async () => (await detail(next.runId)).status, { timeout: 120_000, intervals: [1000] }).toBe('completed');
  await runs.stopLending.click();
});
