/**
 * sweeps.start answers in bounded size (issue 12): a 100,000-run sweep's answer carried every run
 * id (589 KB). It carries the count and at most 1,000 ids; the rest are listed by sweep.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { startAnswerRunIds } from '../contract/index.ts';
import { createService, type Service } from '../service.ts';
import { tinySweep } from './sweepFixture.ts';

let temp: { dir: string; cleanup: () => void };
let service: Service;
beforeAll(() => {
  temp = makeTempDir('kernellab-start-answer-');
  service = createService({ dataDir: join(temp.dir, 'home'), shell: 'cli' });
});
afterAll(async () => {
  await service.close();
  temp.cleanup();
});

describe('the answer of sweeps.start', () => {
  it('lists every run of a small sweep', async () => {
    const started = await service.call('sweeps.start', { spec: tinySweep({ axes: { kernelSize: [3, 5] } }), runsOn: 'agents' });
    expect(started).toMatchObject({ queued: 2, runIdsTruncated: false });
    expect(started.runIds).toEqual(service.context.store.runsOfSweep(started.sweepId).map((r) => r.id));
  });

  it('carries the count and the first 1,000 run ids of a bigger one, the rest listed by sweep', async () => {
    const spec = tinySweep({ axes: { learningRate: { min: 0.001, max: 0.01, steps: 120 } }, repeats: 10 });
    const started = await service.call('sweeps.start', { spec, runsOn: 'agents' });
    expect(started).toMatchObject({ planned: 1200, queued: 1200, runIdsTruncated: true });
    expect(started.runIds).toHaveLength(startAnswerRunIds);
    const all = service.context.store.runsOfSweep(started.sweepId).map((r) => r.id);
    expect(all).toHaveLength(1200);
    expect(started.runIds).toEqual(all.slice(0, startAnswerRunIds));
    const listed = await service.call('runs.list', { sweepId: started.sweepId, limit: 10 });
    expect(listed.total).toBe(1200);
  });
});
