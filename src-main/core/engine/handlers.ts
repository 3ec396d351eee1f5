import type { Handlers } from '../contract/define.ts';
import type { Methods } from '../contract/index.ts';
import type { ServiceContext } from '../context.ts';

type EngineMethods = 'engines.list' | 'engines.install' | 'engines.cancel' | 'engines.remove';

/** The engines API over the service's installs (installs.ts): installs in flight live there. */
export function enginesHandlers(ctx: ServiceContext): Handlers<Pick<Methods, EngineMethods>> {
  const { engines } = ctx;
  return {
    'engines.list': async () => ({ enginesDir: engines.enginesDir, engines: [await engines.info('tensorflow')] }),
    'engines.install': ({ name, gpu, tensorflowVersion, wheelFiles, skipOfficial, wait }) =>
      engines.install({ name, gpu, tensorflowVersion, wheelFiles, skipOfficial }, wait),
    'engines.cancel': async ({ name }) => ({ canceled: await engines.cancel(name) }),
    'engines.remove': ({ name }) => ({ removed: engines.remove(name) }),
  };
}
