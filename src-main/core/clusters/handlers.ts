/**
 * The clusters API: saved profiles, submitting a sweep (Slurm job array or Kubernetes Indexed
 * Job), the jobs of a sweep with their state, and cancelling them. The watcher of open jobs is a
 * part of the service (service.ts starts it in the app and `kernellab serve`; launch.ts).
 */
import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import type { ServiceContext } from '../context.ts';
import { requireWritableData } from '../sweeps/queueing.ts';
import { cancelClusterJobs, refreshClusterJobs, submitSweep } from './launch.ts';

type ClustersMethodName =
  'clusters.profiles' | 'clusters.saveProfile' | 'clusters.deleteProfile' | 'clusters.submit' | 'clusters.jobs' | 'clusters.cancel';

export function clustersHandlers(ctx: ServiceContext): Handlers<Pick<Methods, ClustersMethodName>> {
  const records = ctx.store.clusters;
  return {
    'clusters.profiles': () => records.profiles(),
    'clusters.saveProfile': ({ profile }) => {
      records.saveProfile(profile);
      return records.profile(profile.name);
    },
    'clusters.deleteProfile': ({ name }) => ({ deleted: records.deleteProfile(name) }),
    'clusters.submit': async ({ sweepId, profile, dryRun, tokenLabel }) => {
      requireWritableData(ctx.store, ctx.layout);
      const chosen = typeof profile === 'string' ? records.profile(profile) : profile;
      return submitSweep(ctx, sweepId, chosen, {
        dryRun,
        tokenLabel,
        resumeSweep: (id) => {
          ctx.scheduler.resumeSweeps(id);
        },
      });
    },
    'clusters.jobs': async ({ sweepId, refresh }) => {
      if (refresh) return refreshClusterJobs(ctx, sweepId);
      return records.jobs({ sweepId }).map(({ settings: _s, tokenId: _t, ...job }) => job);
    },
    'clusters.cancel': ({ sweepId }) => cancelClusterJobs(ctx, sweepId),
  };
}
