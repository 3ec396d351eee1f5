import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { linkMnist } from '../src-main/test/mnistHome.ts';
import { electronBinary, electronSkipReason } from './support/electronBinary.ts';
import { tinyMnistRun } from './support/tinyRun.ts';

/**
 * The desktop GPU host (src-main/electron/gpuHostWindow.ts) in the real app: a run pinned to
 * webgl starts the hidden window, which trains it; the window's render process crashed mid-run
 * fails that run in words and a fresh window trains the next. Needs the Electron binary and
 * `npm run build`; WebGL in Electron's hidden window may be a software one here (correctness, not speed).
 */
const binary = electronBinary();
const skipReason = electronSkipReason;
if (!binary) console.log(`Electron GPU host e2e — ${skipReason}`);

const run = (epochs: number, train: number) => ({ run: tinyMnistRun({ train, epochs, backend: 'webgl' }) });

/** A call through the app's own bridge, from its main window. */
const invoke = <T>(window: Page, method: string, input: unknown) =>
  window.evaluate(
    async ([m, i]) => {
      const reply = (await (
        globalThis as unknown as {
          kernellab: { invoke(m: string, i: unknown): Promise<{ ok: boolean; result?: unknown; error?: { message: string } }> };
        }
      ).kernellab.invoke(m, i)) as { ok: boolean; result?: unknown; error?: { message: string } };
      if (!reply.ok) throw new Error(`${m}: ${reply.error?.message}`);
      return reply.result;
    },
    [method, input] as const,
  ) as Promise<T>;

test.setTimeout(300_000);

test('a run pinned to webgl starts the hidden GPU host window; its render process crashing fails that run and a fresh window trains the next', async () => {
  test.skip(!binary, skipReason);
  const home = mkdtempSync(join(tmpdir(), 'kernellab-electron-gpu-'));
  let app: ElectronApplication | undefined;
  try {
    // The app's own imports take paths only from its file dialog (pathGrants.ts): MNIST is linked into the data folder first.
    await linkMnist(home);
    app = await electron.launch({ executablePath: binary!, args: ['out/main/main.js', `--home=${home}`, '--no-sandbox'] });
    const window = await app.firstWindow();
    const status = async (id: number) => (await invoke<{ status: string; error: string | null }>(window, 'runs.get', { id })).status;

    const first = await invoke<{ runId: number }>(window, 'runs.start', run(30, 2000));
    await expect.poll(() => status(first.runId), { timeout: 120_000, intervals: [1000] }).toBe('running');
    const hidden = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().filter((w) => !w.isVisible()).length);
    expect(hidden).toBe(1);
    await app.evaluate(({ BrowserWindow }) =>
      BrowserWindow.getAllWindows()
        .find((w) => !w.isVisible())
        ?.webContents.forcefullyCrashRenderer(),
    );
    await expect.poll(() => status(first.runId), { timeout: 60_000, intervals: [1000] }).toBe('failed');
    const failed = await invoke<{ error: string | null }>(window, 'runs.get', { id: first.runId });
    expect(failed.error).toMatch(/^the desktop app's GPU host window stopped during the run \(its render process is gone: /);

    const next = await invoke<{ runId: number }>(window, 'runs.start', run(1, 200));
    await expect.poll(() => status(next.runId), { timeout: 180_000, intervals: [1000] }).toBe('completed');
  } finally {
    await app?.close();
    rmSync(home, { recursive: true, force: true });
  }
});
