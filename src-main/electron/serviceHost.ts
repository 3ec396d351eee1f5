/**
 * The service host: runs the service in its own process (an Electron utility process) and answers
 * main over one channel — calls, events, workers and the orderly close. Kept free of Electron so
 * tests drive it as a Node child process (serviceHostEntry.ts picks the channel).
 */
import { coded, toErrorBody } from '../core/errors.ts';
import { createService, resolveDataDir, type Service, type WorkerHandle, type WorkerLauncher } from '../core/service.ts';
import { ToHost, type FromHost, type HostChannel, type HostStartOptions } from './hostProtocol.ts';

/** A worker main started for this host: what it sends arrives here, what the host sends goes through main. */
class BrokeredWorker implements WorkerHandle {
  readonly #id: number;
  readonly #post: (message: FromHost) => void;
  readonly #messageListeners: ((message: unknown) => void)[] = [];
  readonly #exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  #pid: number | undefined;
  #exited = false;

  constructor(id: number, post: (message: FromHost) => void) {
    this.#id = id;
    this.#post = post;
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  send(message: unknown): void {
    // A worker that has exited: its exit was reported; a late send goes nowhere, as with a dead child.
    if (!this.#exited) this.#post({ type: 'worker.send', worker: this.#id, message });
  }

  onMessage(listener: (message: unknown) => void): void {
    this.#messageListeners.push(listener);
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.#exitListeners.push(listener);
  }

  kill(signal?: NodeJS.Signals): void {
    if (this.#exited) return;
    const known = signal === 'SIGTERM' || signal === 'SIGKILL' || signal === 'SIGINT' ? signal : undefined;
    this.#post({ type: 'worker.kill', worker: this.#id, ...(known && { signal: known }) });
  }

  started(pid: number | undefined): void {
    this.#pid = pid;
  }

  delivered(message: unknown): void {
    for (const listener of this.#messageListeners) listener(message);
  }

  exited(code: number | null, signal: string | null): void {
    this.#exited = true;
    for (const listener of this.#exitListeners) listener(code, signal);
  }
}

/** Every env value a string: what crosses to main and becomes the worker's environment. */
function definedEnv(env: NodeJS.ProcessEnv | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/**
 * Serves main over `channel` until main asks to close; `exit` ends the process once the last
 * message is on its way.
 */
export function runServiceHost(channel: HostChannel, exit: (code: number) => void): void {
  let service: Service | undefined;
  let closing = false;
  const workers = new Map<number, BrokeredWorker>();
  let nextWorker = 1;
  const send = (message: FromHost) => channel.postMessage(message);

  const launchWorker: WorkerLauncher = (entry, args, env) => {
    const id = nextWorker++;
    const worker = new BrokeredWorker(id, send);
    workers.set(id, worker);
    send({ type: 'worker.fork', worker: id, entry, args, env: definedEnv(env) });
    return worker;
  };

  const start = (options: HostStartOptions) => {
    if (service) throw new Error('service host: started twice');
    try {
      service = createService({
        dataDir: resolveDataDir({ flag: options.home }),
        appRoot: options.appRoot,
        workerEntry: options.workerEntry,
        shell: 'electron',
        launchWorker,
      });
    } catch (error) {
      send({ type: 'startFailed', error: toErrorBody(error) });
      exit(1);
      return;
    }
    service.events.subscribe((event) => send({ type: 'event', event }));
    send({ type: 'ready' });
  };

  const call = (id: number, method: string, input: unknown, agentToken: string | undefined) => {
    if (!service) {
      const error = closing
        ? coded('unavailable', 'KernelLab is shutting down', 'error_service_closing', {})
        : coded('unavailable', 'the KernelLab service has not started yet', 'error_service_not_started', {});
      send({ type: 'reply', id, reply: { ok: false, error: error.toBody() } });
      return;
    }
    // Service.call validates the name and the input; an unknown method is its not_found.
    service.call(method as never, input, agentToken === undefined ? {} : { agentToken }).then(
      (result) => send({ type: 'reply', id, reply: { ok: true, result } }),
      (error: unknown) => send({ type: 'reply', id, reply: { ok: false, error: toErrorBody(error) } }),
    );
  };

  const close = async () => {
    if (closing) return;
    closing = true;
    try {
      await service?.close();
    } finally {
      service = undefined;
      send({ type: 'closed' });
      exit(0);
    }
  };

  channel.onMessage((raw) => {
    const parsed = ToHost.safeParse(raw);
    // A main of another version must fail loudly, not half work.
    if (!parsed.success) throw new Error(`service host: unknown message ${JSON.stringify(raw)?.slice(0, 200)}`);
    const message = parsed.data;
    switch (message.type) {
      case 'start':
        start(message.options);
        return;
      case 'call':
        call(message.id, message.method, message.input, message.agentToken);
        return;
      case 'close':
        void close();
        return;
      case 'worker.started':
        workers.get(message.worker)?.started(message.pid);
        return;
      case 'worker.message':
        workers.get(message.worker)?.delivered(message.message);
        return;
      case 'worker.exit': {
        const worker = workers.get(message.worker);
        workers.delete(message.worker);
        worker?.exited(message.code, message.signal);
        return;
      }
      default: {
        const unknown: never = message;
        throw new Error(`service host: unhandled message ${JSON.stringify(unknown)}`);
      }
    }
  });
}
