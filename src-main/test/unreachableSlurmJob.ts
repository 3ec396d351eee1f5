/**
 * Test support: a Slurm job recorded as sent through a login node this machine cannot reach (a
 * host under .invalid never resolves), so cancelling it fails for real, over ssh.
 */
import { coreText } from '../core/contract/coreText.ts';
import type { RunStore } from '../core/db/RunStore.ts';

export const unreachableLoginNode = 'login.kernellab-test.invalid';

export function recordUnreachableSlurmJob(store: RunStore, sweepId: number, jobId: string): void {
  store.clusters.addJob({
    sweepId,
    kind: 'slurm',
    settings: { ssh: unreachableLoginNode },
    jobId,
    tasks: 2,
    file: 'job.sbatch',
    tokenId: store.agents.createToken(sweepId, 'test').token.id,
    state: 'submitted',
    detail: `sbatch on ${unreachableLoginNode}`,
    detailText: coreText('cluster_job_sbatch_on', { host: unreachableLoginNode }),
  });
}
