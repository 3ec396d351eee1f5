/**
 * A sweep cancelled on the page (src-renderer/lib/cancelProblems.ts, shown by SweepView) says which of its cluster jobs could not be cancelled, in the
 * page's language. The cancel fails for real: the job was sent through a login node under
 * .invalid, which never resolves, so ssh fails.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunStore } from '../db/RunStore.ts';
import { createService } from '../service.ts';
import { dataDirWithMnist, tinySweep } from '../sweeps/sweepFixture.ts';
import { cancelProblems } from '../../../src-renderer/lib/cancelProblems.ts';
import { recordUnreachableSlurmJob } from '../../test/unreachableSlurmJob.ts';

let home: { dir: string; cleanup: () => void };
let sweepId: number;
const jobId = '4321';

beforeAll(async () => {
  home = await dataDirWithMnist('kernellab-cancel-problems-');
  const service = createService({ dataDir: home.dir, shell: 'cli' });
  sweepId = (await service.call('sweeps.start', { spec: tinySweep({ name: 'cancel' }), runsOn: 'agents' })).sweepId;
  await service.close();
  const store = RunStore.open(join(home.dir, 'kernellab.db'));
  try {
    recordUnreachableSlurmJob(store, sweepId, jobId);
  } finally {
    store.close();
  }
}, 120_000);
afterAll(() => home?.cleanup());

describe('a sweep cancelled on the page', () => {
  it("says the cluster job it could not cancel in the page's language, ssh's words as they are", async () => {
    const service = createService({ dataDir: home.dir, shell: 'cli' });
    try {
      const result = await service.call('sweeps.cancel', { id: sweepId });
      expect(result.clusterJobs?.problems).toHaveLength(1);
      const [en] = cancelProblems(result, 'en');
      expect(en).toBe(result.clusterJobs!.problems[0]);
      const [ko] = cancelProblems(result, 'ko');
      expect(ko).toMatch(
        new RegExp(
          `^slurm 작업 ${jobId}: ssh -o BatchMode=yes .*? 실패\\(종료 코드 255\\): ssh: Could not resolve hostname login\\.kernellab-test\\.invalid`,
        ),
      );
    } finally {
      await service.close();
    }
  });

  it('says nothing when the sweep has no cluster jobs', () => {
    expect(cancelProblems({ canceled: 3 }, 'ko')).toEqual([]);
    expect(cancelProblems({ canceled: 0, clusterJobs: { canceled: ['7'], problems: [] } }, 'ko')).toEqual([]);
  });
});
