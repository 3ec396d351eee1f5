import type { BackendProbe } from '../contract/index.ts';
import type { WorkerLauncher } from '../workerHost.ts';
import { FromWorker } from './workerProtocol.ts';

/** Asks a fresh worker which backends load; the main process never loads tfjs itself. */
export function probeBackendsInWorker(launch: WorkerLauncher, entry: string, timeoutMs = 60_000): Promise<BackendProbe[]> {
  return new Promise((resolve, reject) => {
    const worker = launch(entry, []);
    const timer = setTimeout(() => {
      worker.kill('SIGKILL');
      reject(new Error(`backend probe did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    worker.onMessage((raw) => {
      const message = FromWorker.parse(raw);
      clearTimeout(timer);
      if (message.type === 'probeResult') resolve(message.backends);
      else if (message.type === 'error') reject(new Error(`backend probe failed: ${message.message}`));
      else reject(new Error(`backend probe got an unexpected '${message.type}' message`));
    });
    worker.onExit((code, signal) => {
      clearTimeout(timer);
      // Settling twice is a no-op, so this only reports a worker that died before answering.
      reject(new Error(`backend probe worker exited (code ${code}, signal ${signal}) before answering`));
    });
    worker.send({ type: 'probe' });
  });
}

/**
 * Which backends load here, asked of a worker once per service on first demand (probing spawns a
 * worker and loads tfjs there) and asked again after an engine is installed or removed.
 */
export class BackendProbes {
  readonly #launch: WorkerLauncher;
  readonly #entry: string;
  #probe: Promise<BackendProbe[]> | undefined;

  constructor(launch: WorkerLauncher, entry: string) {
    this.#launch = launch;
    this.#entry = entry;
  }

  get(): Promise<BackendProbe[]> {
    this.#probe ??= probeBackendsInWorker(this.#launch, this.#entry).catch((error: unknown) => {
      this.#probe = undefined;
      throw error;
    });
    return this.#probe;
  }

  /** What loads has changed (an engine installed or removed): the next get() asks a worker again. */
  forget(): void {
    this.#probe = undefined;
  }
}
