import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { linkMnist } from '../../test/mnistHome.ts';
import { type KernelLabError } from '../errors.ts';
import { createService, type Service } from '../service.ts';
import { pausedError, type Executor, type RunOutcome } from './execution.ts';
import { tinySweep } from './sweepFixture.ts';

/** Trains nothing until stopped: these tests are about what is queued, not how it trains. */
const idle: Executor = {
  start: () => {
    let end!: (outcome: RunOutcome) => void;
    const outcome = new Promise<RunOutcome>((resolve) => (end = resolve));
    return { outcome, stop: (mode) => end(mode === 'cancel' ? { kind: 'canceled' } : { kind: 'interrupted', error: pausedError }) };
  },
};

let temp: { dir: string; cleanup: () => void };
let service: Service;
beforeEach(() => {
  temp = makeTempDir('kernellab-ready-');
});
afterEach(async () => {
  await service.close();
  temp.cleanup();
});

const open = () => (service = createService({ dataDir: join(temp.dir, 'home'), shell: 'cli', executor: idle }));
const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (e: unknown) => e as KernelLabError,
  );

describe('a run is created only once its dataset is ready', () => {
  it('runs.start and sweeps.start on a dataset that is not on the machine refuse, say how to get it, and create nothing', async () => {
    open();
    const run = await refusal(service.call('runs.start', { run: tinySweep().base, runHere: true }));
    expect(run).toMatchObject({ code: 'unavailable' });
    expect(run!.message).toContain('mnist is not on this machine yet, so nothing was queued');
    expect(run!.message).toContain('kernellab datasets download mnist');
    expect(run!.message).toContain('kernellab datasets import <dir>');
    const sweep = await refusal(service.call('sweeps.start', { spec: tinySweep() }));
    expect(sweep).toMatchObject({ code: 'unavailable' });
    expect((await service.call('runs.list', {})).total).toBe(0);
    expect(await service.call('sweeps.list', {})).toEqual([]);
  });

  it('an invalid spec is still refused for what is wrong with it first', async () => {
    open();
    const bad = await refusal(service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSize: [99] } }) }));
    expect(bad).toMatchObject({ code: 'invalid_input' });
  });

  it('with the dataset ready, the run records the installed variant and its image counts', async () => {
    await linkMnist(join(temp.dir, 'home'));
    open();
    const { runId } = await service.call('runs.start', { run: { ...tinySweep().base, subset: undefined }, runHere: true });
    const run = await service.call('runs.get', { id: runId });
    expect(run.environment).toMatchObject({ datasetVariant: 'canonical' });
    expect(run.params).toMatchObject({ trainImages: 60000, testImages: 10000 });
  });
});
