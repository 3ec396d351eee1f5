import { accessSync, constants, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { version as tfjsVersion } from '@tensorflow/tfjs-core/dist/version.js';
import { coreText } from './contract/coreText.ts';
import type { Health } from './contract/app.ts';
import type { Handlers } from './contract/define.ts';
import { backendOrder, type Methods } from './contract/index.ts';
import type { ServiceContext } from './context.ts';
import { chooseAutoBackend, gpuHostReports } from './gpuhost/autoBackend.ts';

function readAppVersion(appRoot: string): string {
  const pkg = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

type Check = Health['checks'][number];

/** Whether a folder can be written, as a health check; `forRuns` says what the runs folder not being writable costs. */
function writable(name: string, dir: string, forRuns = false): Check {
  try {
    accessSync(dir, constants.W_OK);
    return { name, ok: true, detail: `${dir} is writable`, detailCode: coreText('health_writable', { folder: dir }) };
  } catch (error) {
    const why = (error as Error).message;
    return forRuns
      ? {
          name,
          ok: false,
          detail: `${dir} is not writable: runs cannot save checkpoints (${why})`,
          detailCode: coreText('health_runs_not_writable', { folder: dir, why }),
        }
      : { name, ok: false, detail: `${dir} is not writable: ${why}`, detailCode: coreText('health_not_writable', { folder: dir, why }) };
  }
}

export function appHandlers(ctx: ServiceContext): Handlers<Pick<Methods, 'app.info' | 'app.health'>> {
  const appVersion = readAppVersion(ctx.appRoot);
  return {
    'app.info': async () => {
      const backends = await ctx.backends.get();
      const chosen = backendOrder.find((name) => backends.some((b) => b.name === name && b.available)) ?? null;
      const gpuHosts = gpuHostReports(ctx.store, (id) => ctx.store.agents.info(id)?.state === 'active').map(
        ({ agentId: _agentId, ...report }) => report,
      );
      return {
        appVersion,
        nodeVersion: process.versions.node,
        electronVersion: process.versions.electron ?? null,
        tfjsVersion,
        platform: `${process.platform}-${process.arch}`,
        cpus: cpus().length,
        dataDir: ctx.layout.root,
        shell: ctx.shell,
        backends,
        chosenBackend: chosen,
        gpuHosts,
        auto: chooseAutoBackend(backends, chosen, gpuHosts, Date.now()),
      };
    },
    'app.health': () => {
      const checks: Check[] = [writable('dataDir', ctx.layout.root), writable('runs', ctx.layout.runs, true)];
      // SQLite keeps writing into a database file deleted (or replaced) while it is open: every
      // write would be lost, so that is a failed check, and the store refuses writes.
      const gone = ctx.store.fileGone();
      checks.push(
        gone === null
          ? {
              name: 'database',
              ok: true,
              detail: `${ctx.layout.database} is the database in use`,
              detailCode: coreText('health_database_in_use', { file: ctx.layout.database }),
            }
          : { name: 'database', ok: false, detail: gone.sentence, detailCode: gone.text },
      );
      return { ok: checks.every((c) => c.ok), uptimeMs: Date.now() - ctx.startedAt, checks };
    },
  };
}
