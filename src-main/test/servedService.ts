/**
 * A service and its HTTP server on 127.0.0.1 for the tests of one file or describe block, as
 * browser mode runs them: started in beforeAll on a fresh data folder, closed (server, then
 * service, then the folder) in afterAll. The service and server are read after beforeAll ran.
 */
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createService, type Service, type ServiceOptions } from '../core/service.ts';
import { startServer, type RunningServer, type ServeOptions } from '../server/server.ts';
import { makeTempDir } from './tempDir.ts';

export interface ServedService {
  readonly service: Service;
  readonly server: RunningServer;
  /** The test's own temp folder (removed in afterAll), for files beside the data folder. */
  readonly dir: string;
  /** The data folder, inside `dir`. */
  readonly home: string;
}

export function servedService(
  options: {
    service?: Omit<ServiceOptions, 'dataDir' | 'shell'>;
    server?: Omit<ServeOptions, 'service' | 'port'>;
    tempPrefix?: string;
  } = {},
): ServedService {
  const temp = makeTempDir(options.tempPrefix);
  const home = join(temp.dir, 'home');
  let service: Service | undefined;
  let server: RunningServer | undefined;
  beforeAll(async () => {
    service = createService({ ...options.service, dataDir: home, shell: 'server' });
    server = await startServer({ ...options.server, service, port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    await service?.close();
    temp.cleanup();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('servedService: read before its beforeAll ran');
    return value;
  };
  return {
    get service() {
      return started(service);
    },
    get server() {
      return started(server);
    },
    dir: temp.dir,
    home,
  };
}
