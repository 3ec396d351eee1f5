/**
 * What the renderer is typed against is what browser mode really sends: every read (and each
 * harmless write) answered over HTTP from a store holding real runs — one diverged with NaN and
 * Infinity in its curves, one completed with checkpoints and an evaluation — is parsed with its
 * method's output schema from the contract. JSON is where a value can drift from its type (NaN
 * becomes null, undefined disappears); this is where that would show.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeMetricValue, methods, type MethodName } from '../core/contract/index.ts';
import { queueSweep } from '../core/sweeps/queueing.ts';
import { tinyModel, tinySweep } from '../core/sweeps/sweepFixture.ts';
import { parseSweepSpec } from '../core/sweeps/sweepSpec.ts';
import { servedService } from '../test/servedService.ts';

/**
 * Methods this suite does not call, and why: each starts training or a download, or needs a
 * dataset or a checkpoint on disk. A new method is either called below or named here.
 */
const notCalled: Partial<Record<MethodName, string>> = {
  'runs.start': 'starts a worker',
  'runs.resume': 'starts a worker',
  'runs.pause': 'needs a running worker',
  'runs.predict': 'needs a checkpoint and a worker',
  'runs.exportModel': 'needs a checkpoint on disk: core/inspect/exportModel.test.ts and cli/exportModel.test.ts',
  'sweeps.start': 'starts workers',
  'sweeps.resume': 'starts workers',
  'datasets.download': 'downloads',
  'datasets.import': 'needs dataset files',
  'datasets.samples': 'needs an installed dataset',
  'datasets.verify': 'needs an installed dataset',
  'engines.install': 'downloads and builds an engine',
  'clusters.submit': 'submits to a cluster (src-main/core/clusters/slurm.slow.test.ts)',
  // Agent methods take an agent token: src-main/server/agents.test.ts calls each through AgentClient, which parses every answer.
  'agent.hello': 'agent token',
  'agent.claim': 'agent token',
  'agent.fetchFile': 'agent token',
  'agent.uploadFile': 'agent token',
  'agent.report': 'agent token',
  'agent.heartbeat': 'agent token',
  'agent.finish': 'agent token',
  'agent.bye': 'agent token',
};

describe('every answer over HTTP parses with its method’s output schema', () => {
  // trains: false — nothing here may claim the queued run (any event can wake a training scheduler).
  const served = servedService({ service: { trains: false }, tempPrefix: 'kernellab-outputs-' });
  let sweepId: number;
  let diverged: number;
  let completed: number;
  let queued: number;

  beforeAll(async () => {
    const store = served.service.context.store;
    // A queued sweep (no scheduler runs here), two of its runs brought to an end by hand.
    const started = await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [3, 5], epochs: [1, 2] }, fold: false })));
    sweepId = started.sweepId;
    [diverged, completed, queued] = started.runIds as [number, number, number];
    expect(store.claimNextRunnable(store.owner, 60_000)?.id).toBe(diverged);
    store.logBatch([
      { runId: diverged, key: 'loss', step: 1, epoch: 1, value: 2.3 },
      { runId: diverged, key: 'loss', step: 2, epoch: 1, value: NaN },
      { runId: diverged, key: 'loss', step: 3, epoch: 1, value: Infinity },
    ]);
    store.transition(diverged, 'diverged', { error: 'loss became NaN at step 2' });
    expect(store.claimNextRunnable(store.owner, 60_000)?.id).toBe(completed);
    store.logBatch(
      [1, 2].flatMap((epoch) => [
        { runId: completed, key: 'loss', step: epoch, epoch, value: 1 / epoch },
        { runId: completed, key: 'val_accuracy', step: epoch, epoch, value: 0.5 + epoch / 10 },
      ]),
    );
    store.addCheckpoint(completed, {
      epoch: 2,
      kind: 'best',
      path: 'runs/x/best',
      bytes: 10,
      sha256: 'a'.repeat(64),
      metric: 'val_accuracy',
      value: 0.7,
    });
    store.addEvaluation(completed, {
      split: 'test',
      loss: 0.5,
      accuracy: 0.75,
      confusion: [
        [3, 1],
        [0, 4],
      ],
      perClass: [{ label: '0', precision: 1, recall: 0.75, f1: 0.86, support: 4 }],
      mostWrong: [{ index: 7, label: 0, predicted: 1, confidence: 0.9 }],
    });
    store.transition(completed, 'completed');
  });

  async function answer(name: MethodName, input: unknown): Promise<unknown> {
    const response = await fetch(`${served.server.url}api/call/${name}`, {
      method: 'POST',
      body: JSON.stringify(input),
      headers: { Authorization: `Bearer ${served.server.token}` },
    });
    const body = (await response.json()) as { ok: boolean; result?: unknown; error?: unknown };
    expect(body, `${name} answered ${response.status}: ${JSON.stringify(body)}`).toMatchObject({ ok: true });
    const parsed = methods[name].output.safeParse(body.result);
    if (!parsed.success) throw new Error(`${name}'s answer does not match its output schema: ${JSON.stringify(parsed.error.issues)}`);
    return parsed.data;
  }

  it('answers each method with what its schema promises', async () => {
    const called = new Set<MethodName>();
    const check = async (name: MethodName, input: unknown) => {
      called.add(name);
      return answer(name, input);
    };
    await check('app.health', {});
    await check('app.info', {});
    await check('datasets.list', {});
    await check('datasets.cancel', { name: 'mnist' });
    await check('datasets.delete', { name: 'cifar10' });
    await check('engines.list', {});
    await check('engines.cancel', { name: 'tensorflow' });
    await check('engines.remove', { name: 'tensorflow' });
    await check('training.presets', {});
    await check('training.summary', { spec: tinyModel });
    const keras = (await check('training.exportKeras', { spec: tinyModel })) as { json: string };
    await check('training.importKeras', { json: keras.json });
    await check('experiments.create', { name: 'outputs' });
    await check('experiments.list', {});
    await check('runs.list', {
      sweepId,
      paramColumns: ['kernelSize', 'epochs'],
      metricColumns: [
        { key: 'loss', field: 'last' },
        { key: 'val_accuracy', field: 'best' },
      ],
    });
    const detail = (await check('runs.get', { id: diverged })) as { summary: { key: string; last: unknown; max: unknown }[] };
    // The diverged run's NaN and Infinity arrive as information, not as null.
    const loss = detail.summary.find((s) => s.key === 'loss')!;
    expect(decodeMetricValue(loss.last as number | 'NaN')).toBe(Infinity);
    await check('runs.get', { id: completed });
    expect(await check('runs.wait', { id: completed, timeoutSeconds: 1 })).toEqual({ id: completed, status: 'completed', ended: true });
    const series = (await check('runs.metrics', { id: diverged })) as { series: { loss: { value: unknown }[] } };
    expect(series.series.loss.map((p) => p.value)).toEqual([2.3, 'NaN', 'Infinity']);
    await check('runs.metrics', { id: completed, maxPoints: 4 });
    await check('runs.columns', { sweepId });
    await check('runs.compare', { ids: [diverged, completed], keys: ['loss'] });
    await check('runs.pivot', {
      sweepId,
      rowParam: 'kernelSize',
      colParam: 'epochs',
      metric: 'loss',
      field: 'last',
      status: ['completed', 'diverged'],
    });
    await check('runs.setTags', { id: completed, tags: ['best'] });
    await check('runs.setNote', { id: completed, body: 'the one to keep' });
    const exported = (await check('runs.export', { selection: { sweepId }, format: 'json' })) as { content: string };
    await check('runs.export', { selection: { runIds: [diverged, completed] }, format: 'csv' });
    await check('runs.export', { selection: { sweepId }, format: 'metrics-csv' });
    await check('runs.import', { content: exported.content });
    const exportFile = join(served.dir, 'exported.json');
    writeFileSync(exportFile, exported.content);
    expect(await check('runs.importFile', { path: exportFile })).toEqual({ imported: 0, skipped: expect.any(Number) });
    // The completed run's checkpoint row names no folder on disk: each run says why it has no answer.
    const refused = {
      runId: completed,
      ok: false,
      error: `run ${completed} has no checkpoint yet`,
      errorCode: { code: 'error_inspect_no_checkpoint_yet', params: { id: completed } },
    };
    expect(await check('inspect.filters', { runIds: [completed], layer: 0 })).toEqual({ runs: [refused] });
    expect(await check('inspect.predict', { runIds: [completed], image: [0, 255] })).toEqual({ runs: [refused] });
    expect(await check('inspect.featureMaps', { runIds: [completed], testIndex: 3 })).toEqual({ runs: [refused] });
    expect(await check('inspect.snapshotLimit', {})).toEqual({ limitMiB: 8, defaultMiB: 8 });
    expect(await check('inspect.setSnapshotLimit', { limitMiB: 32 })).toEqual({ limitMiB: 32, defaultMiB: 8 });
    expect(await check('inspect.snapshotLimit', {})).toEqual({ limitMiB: 32, defaultMiB: 8 });
    await check('sweeps.list', {});
    await check('sweeps.get', { id: sweepId });
    await check('sweeps.preview', { spec: tinySweep() });
    await check('sweeps.progress', { id: sweepId });
    await check('sweeps.importance', { id: sweepId });
    await check('sweeps.pause', { id: sweepId });
    await check('sweeps.concurrency', {});
    await check('sweeps.setConcurrency', { workers: 1 });
    await check('sweeps.reprioritize', { sweepId, priority: 2 });
    const token = (await check('agents.createToken', { sweepId, label: 'outputs' })) as { token: { id: number } };
    await check('agents.tokens', { sweepId });
    await check('agents.list', {});
    await check('agents.browserGpuToken', {});
    await check('agents.revokeToken', { id: token.token.id });
    const profile = { name: 'lab', kind: 'slurm', settings: { serverUrl: 'https://login1:7860/', partition: 'gpu', gres: 'gpu:1' } };
    await check('clusters.saveProfile', { profile });
    await check('clusters.profiles', {});
    await check('clusters.jobs', { sweepId });
    await check('clusters.cancel', { sweepId });
    await check('clusters.deleteProfile', { name: 'lab' });
    await check('runs.cancel', { id: queued });
    await check('sweeps.cancel', { id: sweepId });
    await check('runs.delete', { id: queued });

    const unaccounted = Object.keys(methods).filter((name) => !called.has(name as MethodName) && !(name in notCalled));
    expect(unaccounted, 'methods neither called here nor named in notCalled').toEqual([]);
  });
});
