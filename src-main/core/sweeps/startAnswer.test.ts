/**
 * sweeps.start answers in bounded size (issue 12): a 100,000-run sweep's answer carried every run
 * id (589 KB). It carries the count and at most 1,000 ids; the rest are listed by sweep. A big
 * sweep answers once its first runs are queued and is queued to the end in the background.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { startAnswerRunIds, type SweepProgress } from '../contract/index.ts';
import { createService, type Service } from '../service.ts';
import { tinySweep } from './sweepFixture.ts';

let temp: { dir: string; cleanup: () => void };
let service: Service;
beforeAll(() => {
  temp = makeTempDir('kernellab-start-answer-');
  // The server (and the app) queue a big sweep in the background; a CLI command waits for all of it.
  service = createService({ dataDir: join(temp.dir, 'home'), shell: 'server' });
});
afterAll(async () => {
  await service.close();
  temp.cleanup();
});

describe('the answer of sweeps.start', () => {
  it('lists every run of a small sweep, all queued', async () => {
    const started = await service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSize: [3, 5] } }), runsOn: 'agents' });
    expect(started).toMatchObject({ queued: 2, planned: 2, queueing: false, runIdsTruncated: false });
    expect(started.runIds).toEqual(service.context.store.runsOfSweep(started.sweepId).map((r) => r.id));
    expect(service.context.store.getSweep(started.sweepId)!.status).toBe('running');
  });

  it('answers a bigger one before all its runs are queued, with its first ids; the rest follow in the background', async () => {
    const progress: SweepProgress[] = [];
    const unsubscribe = service.events.subscribe((event) => {
      if (event.name === 'sweep.progress') progress.push(event.payload);
    });
    const spec = tinySweep({ axes: { learningRate: { min: 0.001, max: 0.01, steps: 120 } }, repeats: 10 });
    const started = await service.call('sweeps.start', { spec, runsOn: 'agents' });
    // 1,200 runs take several 25 ms turns to write: the answer comes after the first.
    expect(started).toMatchObject({ planned: 1200, queueing: true, runIdsTruncated: true });
    expect(started.queued).toBeGreaterThan(0);
    expect(started.queued).toBeLessThan(1200);
    expect(started.runIds).toHaveLength(Math.min(started.queued, startAnswerRunIds));
    const atAnswer = await service.call('sweeps.progress', { id: started.sweepId });
    expect(atAnswer).toMatchObject({ status: 'pending', queueing: { total: 1200 } });
    expect(atAnswer.text).toMatch(/^queueing [\d,]+ of 1,200 runs$/);

    while ((await service.call('sweeps.progress', { id: started.sweepId })).queueing !== null) await new Promise((r) => setTimeout(r, 20));
    unsubscribe();
    const all = service.context.store.runsOfSweep(started.sweepId).map((r) => r.id);
    expect(all).toHaveLength(1200);
    expect(started.runIds).toEqual(all.slice(0, started.runIds.length));
    expect(await service.call('sweeps.progress', { id: started.sweepId })).toMatchObject({ status: 'running', queued: 1200 });
    // Queueing told its progress as it went (the first chunk's at the answer; later ones at most
    // every 250 ms, so a machine that queues the rest within 250 ms sends none between), never
    // going back, and the queued sweep's counted one at the end.
    const mine = progress.filter((p) => p.sweepId === started.sweepId);
    const queueing = mine.flatMap((p) => (p.queueing === null ? [] : [p.queueing.queued]));
    expect(queueing[0]).toBe(started.queued);
    expect(queueing).toEqual([...queueing].sort((a, b) => a - b));
    expect(queueing.at(-1)).toBe(1200);
    expect(mine.at(-1)).toMatchObject({ status: 'running', queueing: null, queued: 1200 });
    const listed = await service.call('runs.list', { sweepId: started.sweepId, limit: 10 });
    expect(listed.total).toBe(1200);
  });

  it('from a CLI command, comes once every run is queued (its process ends with the command)', async () => {
    const cli = createService({ dataDir: join(temp.dir, 'home'), shell: 'cli' });
    try {
      const spec = tinySweep({ axes: { learningRate: { min: 0.001, max: 0.01, steps: 120 } }, repeats: 10, name: 'from the CLI' });
      const started = await cli.call('sweeps.start', { spec, runsOn: 'agents' });
      expect(started).toMatchObject({ planned: 1200, queued: 1200, queueing: false, runIdsTruncated: true });
      expect(cli.context.store.getSweep(started.sweepId)).toMatchObject({ status: 'running', runCounts: { queued: 1200 } });
    } finally {
      await cli.close();
    }
  });
});
