import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { screenshotBothThemes, watchConsole } from './support/screenshots.ts';
import { startServedApp, type ServedApp } from './support/servedApp.ts';
import { callServed } from './support/seedRuns.ts';
import { SweepPage } from './support/SweepPage.ts';

/** A small real sweep: LeNet-5 on 300 MNIST images, kernel size 3, 5, one or two epochs. */
const sweep = (name: string, epochs: number[]) => ({
  name,
  base: {
    preset: 'lenet5-relu',
    dataset: 'mnist',
    subset: { train: 300, test: 100 },
    hyperparameters: { batchSize: 32, learningRate: 0.001, backend: 'wasm' },
  },
  axes: { kernelSize: [3, 5], epochs },
});

let app: ServedApp;
const agents: ChildProcess[] = [];
test.beforeAll(async () => {
  app = await startServedApp({ mnist: true });
});
test.afterAll(async () => {
  // By PID: the agents this spec started.
  for (const agent of agents) if (agent.exitCode === null && agent.signalCode === null) agent.kill('SIGTERM');
  await app.stop();
});

test.setTimeout(600_000);

test('a user watches a sweep trained by remote agents live, beside a sweep training on this machine, and writes a Slurm job for it', async ({
  page,
}) => {
  const { errors } = watchConsole(page);
  await page.setViewportSize({ width: 1400, height: 1000 });
  // One sweep trains here; the other is queued for agents, and two agents (started by the test, as
  // a cluster would) pull its runs over HTTP with the sweep's token.
  const local = await callServed<{ sweepId: number }>(app.url, 'sweeps.start', { spec: sweep('trained here', [1]) });
  const remote = await callServed<{ sweepId: number }>(app.url, 'sweeps.start', {
    spec: sweep('trained by agents', [1, 2]),
    runsOn: 'agents',
  });
  const { secret } = await callServed<{ secret: string }>(app.url, 'agents.createToken', { sweepId: remote.sweepId });
  const tokenFile = join(app.home, 'agent-token');
  writeFileSync(tokenFile, secret, { mode: 0o600 });

  const page_ = new SweepPage(page);
  await page_.open(app.url, remote.sweepId);
  await expect(page_.runsOn).toHaveText('on remote agents only');
  await expect(page_.cluster).toContainText('No agent has asked for work yet');
  const before = await page_.progressText.textContent();

  const server = new URL(app.url).origin;
  for (const name of ['node-a', 'node-b'])
    agents.push(
      spawn(
        process.execPath,
        [
          'bin/kernellab.js',
          'agent',
          '--server',
          server,
          '--token-file',
          tokenFile,
          '--job',
          `e2e ${name}`,
          '--cache',
          join(app.home, 'node-cache'),
          '--spool',
          join(app.home, `spool-${name}`),
          '--threads',
          '1',
        ],
        { stdio: 'ignore' },
      ),
    );

  // The agents appear, each holding a run, and the progress moves without a reload.
  await expect(page_.agentRows).toHaveCount(2, { timeout: 120_000 });
  await expect(page_.cluster.getByTestId('agent-run').getByRole('link').first()).toBeVisible({ timeout: 120_000 });
  await expect(page_.progressText).not.toHaveText(before!, { timeout: 300_000 });
  await screenshotBothThemes(page, 'sweep-agents-running');
  await expect(page.getByTestId('sweep-progress').getByText(/4 completed/)).toBeVisible({ timeout: 540_000 });
  await expect(page_.points.locator('tbody tr')).toHaveCount(4);
  await expect(page_.cluster.getByTestId('agent-state').first()).toHaveText(/gone/, { timeout: 60_000 });

  // Beside it, the sweep trained on this machine, and both in the sweeps list.
  await page_.open(app.url, local.sweepId);
  await expect(page_.runsOn).toHaveText('on this machine');
  await expect(page.getByTestId('sweep-progress').getByText(/2 completed/)).toBeVisible({ timeout: 300_000 });
  await page.goto(app.url.replace(/#.*$/, '') + '#/sweeps');
  await expect(page.getByTestId('sweeps-table').getByRole('link', { name: 'trained by agents' })).toBeVisible();
  await expect(page.getByTestId('sweeps-table').getByRole('link', { name: 'trained here' })).toBeVisible();
  await expect(page.getByTestId('sweeps-table').getByTestId('sweep-on-agents')).toHaveCount(1);

  // This machine lists the agents that pulled work from it.
  await page.goto(app.url.replace(/#.*$/, '') + '#/about');
  await expect(page.getByTestId('agents-table').getByTestId('agent-row')).toHaveCount(2);

  // "Run on cluster" writes a Slurm job array for a new sweep without submitting it.
  const third = await callServed<{ sweepId: number }>(app.url, 'sweeps.start', { spec: sweep('for the cluster', [1]), runsOn: 'agents' });
  await page_.open(app.url, third.sweepId);
  const result = await page_.writeSlurmScript('https://login1.example:7860');
  await expect(result).toContainText('Nothing was submitted');
  await expect(page_.clusterDialog.locator('pre')).toContainText('#SBATCH --array=0-1%2');
  await screenshotBothThemes(page, 'run-on-cluster');
  expect(errors).toEqual([]);
});
