import { expect, test } from '@playwright/test';
import { chromiumPath, gpuChromiumArgs } from './support/chromium.ts';
import { callServed } from './support/seedRuns.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { tinyMnistRun } from './support/tinyRun.ts';

/**
 * The desktop GPU host window's page (src-renderer/gpuHost.html, built by `npm run build`) in
 * Debian's Chromium: the Electron preload's bridge (gpuHostPreload.ts) is stood in for by one
 * that sends the same agent calls to `kernellab serve` with a GPU-host token, as main adds it in
 * the app. Proves the page itself — its lazy core imports, its GPU Worker, lending through the
 * bridge — trains a run pinned to webgpu (SwiftShader here). The Electron wiring around it is
 * gpuHost.electron.spec.ts (it needs the Electron binary).
 */
test.use({ launchOptions: { ...(chromiumPath ? { executablePath: chromiumPath } : {}), args: gpuChromiumArgs } });

const run = tinyMnistRun({ train: 200, epochs: 1, backend: 'webgpu' });

let app: ServedApp;
test.beforeAll(async () => {
  app = await startServedApp({ mnist: true });
});
test.afterAll(async () => {
  await app.stop();
});
test.setTimeout(240_000);

test("the GPU host window's page lends its GPU through the bridge and trains a run pinned to webgpu", async ({ page }) => {
  const { secret } = await callServed<{ secret: string }>(app.url, 'agents.browserGpuToken', {});
  const origin = new URL(app.url).origin;
  const said: string[] = [];
  page.on('console', (message) => said.push(message.text()));
  await page.addInitScript(
    ({ origin, secret }) => {
      const agent = async (method: string, input: unknown) => {
        const response = await fetch(`${origin}/api/call/${method}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
          body: JSON.stringify(input),
        });
        return (await response.json()) as unknown;
      };
      (globalThis as unknown as { kernellabGpuHost: unknown }).kernellabGpuHost = {
        agent,
        status: (text: string) => console.log(`gpu host status: ${text}`),
        offers: (hardwareGpu: boolean) => console.log(`gpu host offers a hardware GPU: ${hardwareGpu}`),
      };
    },
    { origin, secret },
  );
  // The served app's token in the URL, which its server keeps as a cookie for the page's files (not the agent calls).
  await page.goto(`${origin}/gpuHost.html?token=${new URL(app.url).searchParams.get('token')}`);
  const { runId } = await callServed<{ runId: number }>(app.url, 'runs.start', { run });
  const detail = () => callServed<{ status: string; error: string | null; device: string | null }>(app.url, 'runs.get', { id: runId });
  await expect.poll(async () => (await detail()).status, { timeout: 180_000, intervals: [1000] }).toBe('completed');
  // SwiftShader is a software adapter: the window must not claim a hardware GPU (unpinned runs would start it).
  expect(said).toContain('gpu host offers a hardware GPU: false');
  expect(said.some((line) => line.startsWith(`gpu host status: run ${runId} (`))).toBe(true);
});
