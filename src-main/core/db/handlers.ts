import { rmSync } from 'node:fs';
import { coded, sweepNotFound } from '../errors.ts';
import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import type { ServiceContext } from '../context.ts';
import { runDirOf } from '../home.ts';

type RunsMethodName =
  | 'runs.list'
  | 'runs.columns'
  | 'runs.get'
  | 'runs.metrics'
  | 'runs.compare'
  | 'runs.pivot'
  | 'runs.setTags'
  | 'runs.setNote'
  | 'runs.delete'
  | 'runs.export'
  | 'runs.import'
  | 'runs.importFile'
  | 'experiments.list'
  | 'experiments.create'
  | 'sweeps.list'
  | 'sweeps.get';

/** The experiment store's API methods, each a thin call into ctx.store (SQL lives in core/db). */
export function runsHandlers(ctx: ServiceContext): Handlers<Pick<Methods, RunsMethodName>> {
  const store = () => ctx.store;
  return {
    'runs.list': (input) => store().listRuns(input),
    'runs.columns': (input) => store().tableColumns(input),
    'runs.get': ({ id }) => store().runDetail(id),
    'runs.metrics': ({ id, keys, maxPoints }) => store().metricSeries(id, { keys, maxPoints }),
    'runs.compare': (input) => store().compareRuns(input),
    'runs.pivot': (input) => store().pivot(input),
    'runs.setTags': ({ id, tags }) => ({ tags: store().setTags(id, tags) }),
    'runs.setNote': ({ id, body }) => ({ note: store().setNote(id, body) }),
    'runs.delete': ({ id }) => {
      // A worker is writing to a running run; deleting it under the worker loses its last batches
      // with a confusing "run does not exist". The user cancels first.
      const run = store().getRun(id);
      if (run?.status === 'running')
        throw coded('conflict', `Run ${id} is running: cancel it before deleting it`, 'error_run_running_delete', { id });
      const deleted = store().deleteRun(id);
      // Its checkpoints go with it (derived runs have no folder of their own: theirs is the source's).
      if (deleted && run) rmSync(runDirOf(ctx.layout, run.uuid), { recursive: true, force: true });
      return { deleted };
    },
    'runs.export': ({ selection, format }) => store().exportRuns(selection, format),
    'runs.import': ({ content }, { signal }) =>
      store().importRuns(content, { signal, onProgress: (progress) => ctx.events.emit('runs.importProgress', progress) }),
    // Read from the file a part at a time (db/exportFile.ts); the desktop app names it by a dialog token (electron/pathGrants.ts).
    'runs.importFile': ({ path }, { signal }) =>
      store().importRunsFile(path, { signal, onProgress: (progress) => ctx.events.emit('runs.importProgress', progress) }),
    'experiments.list': () => store().listExperiments(),
    'experiments.create': ({ name, description }) => store().createExperiment({ name, description }),
    'sweeps.list': ({ experimentId }) => store().listSweeps({ experimentId }),
    'sweeps.get': ({ id }) => {
      const sweep = store().getSweep(id);
      if (!sweep) throw sweepNotFound(id);
      return sweep;
    },
  };
}
