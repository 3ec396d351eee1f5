import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import type { ServiceContext } from '../context.ts';
import { datasetSamples } from './samples.ts';
import { verifyDataset } from './status.ts';

type DatasetMethods =
  | 'datasets.list'
  | 'datasets.download'
  | 'datasets.cancel'
  | 'datasets.import'
  | 'datasets.delete'
  | 'datasets.verify'
  | 'datasets.samples';

/** The datasets API over the service's transfers (transfers.ts): downloads and imports in flight live there. */
export function datasetsHandlers(ctx: ServiceContext): Handlers<Pick<Methods, DatasetMethods>> {
  const { datasets } = ctx;
  return {
    'datasets.list': () => ({ datasets: datasets.list(), mirror: datasets.mirror }),
    'datasets.download': ({ name, wait }) => datasets.download(name, wait),
    'datasets.cancel': async ({ name }) => ({ canceled: await datasets.cancel(name) }),
    'datasets.import': ({ name, paths }, { signal }) => datasets.import(name, paths, signal),
    'datasets.delete': ({ name }) => ({ deleted: datasets.delete(name) }),
    'datasets.verify': async ({ name }) => {
      const problems = await verifyDataset(datasets.root, name);
      return { name, ok: problems.length === 0, problems: problems.map((p) => p.sentence), problemCodes: problems.map((p) => p.text) };
    },
    'datasets.samples': ({ name, split, perClass, indices }) => datasetSamples(datasets.root, name, split, { perClass, indices }),
  };
}
