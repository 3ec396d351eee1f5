/**
 * Main's side of the service host (serviceHost.ts): the service as main sees it — calls answered
 * by the host, its events for every window, the training workers main starts on its behalf — and
 * the host's life: started once, started again when it crashes (a few times), closed in order on
 * quit. Kept free of Electron (main.ts passes the utility process in) so tests drive it with a
 * Node child process.
 */
import type { KernelLabEvent, MethodName, MethodOutput } from '../core/contract/index.ts';
import { coded, KernelLabError } from '../core/errors.ts';
import type { WorkerHandle, WorkerLauncher } from '../core/service.ts';
import { FromHost, type HostChannel, type HostStartOptions, type ToHost } from './hostProtocol.ts';

/** The host process as main holds it. */
export interface HostProcess extends HostChannel {
  onExit(listener: (code: number | null) => void): void;
  kill(): void;
}

export interface ServiceClientOptions {
  /** Starts a host process (utilityProcess.fork in the app). */
  spawnHost: () => HostProcess;
  start: HostStartOptions;
  /** How main starts the training workers the host asks for. */
  launchWorker: WorkerLauncher;
  onEvent: (event: KernelLabEvent) => void;
  /** The host crashed more often than `restarts` allows and is not started again; the error says so, coded for the user's language. */
  onGiveUp?: (error: KernelLabError) => void;
  /** How long close() waits for the host to stop its runs and close the database before killing it (ms). */
  closeTimeoutMs?: number;
  /** At most `count` restarts within `windowMs`; default 3 a minute. */
  restarts?: { count: number; windowMs: number };
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: KernelLabError) => void;
}

/** One started host and what belongs to it: when it dies, its workers are killed and its calls fail. */
interface HostGeneration {
  process: HostProcess;
  workers: Map<number, WorkerHandle>;
  ready: Promise<void>;
  pending: Map<number, Pending>;
  exited: boolean;
  closed: () => void;
}

/**
 * A worker needs a little longer than a batch to land a stop, and one stuck loading data is
 * killed after 30 s by the host (workerExecutor's grace): past that plus margin, main kills the host.
 */
const defaultCloseTimeoutMs = 45_000;

export class ServiceClient {
  readonly #options: ServiceClientOptions;
  #current: HostGeneration;
  #nextCall = 1;
  #restartTimes: number[] = [];
  #closing: Promise<void> | undefined;
  #fatal: KernelLabError | undefined;

  constructor(options: ServiceClientOptions) {
    this.#options = options;
    this.#current = this.#spawn();
  }

  /** Resolves when the service is up; rejects when it could not start (the error says why). */
  ready(): Promise<void> {
    return this.#current.ready;
  }

  /**
   * One API call, answered by the host: its result, or its error as a KernelLabError. `agentToken`:
   * for an agent.* call of the desktop GPU host (gpuHostWindow.ts), never of a page.
   */
  async call<M extends MethodName>(name: M, input: unknown, options: { agentToken?: string } = {}): Promise<MethodOutput<M>> {
    if (this.#closing)
      throw coded('unavailable', `KernelLab is shutting down; ${name} was not run`, 'error_shutting_down', { method: name });
    if (this.#fatal) throw this.#fatal;
    const host = this.#current;
    await host.ready;
    const id = this.#nextCall++;
    return new Promise<MethodOutput<M>>((resolve, reject) => {
      if (host.exited) {
        reject(coded('unavailable', `the KernelLab service stopped; ${name} was not run`, 'error_service_stopped', { method: name }));
        return;
      }
      host.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      this.#post(host, {
        type: 'call',
        id,
        method: name,
        input,
        ...(options.agentToken === undefined ? {} : { agentToken: options.agentToken }),
      });
    });
  }

  /**
   * Asks the host to stop (running runs interrupted, resumable; the database closed) and resolves
   * once it has exited, or kills it after the close timeout. Calling it again returns the same close.
   */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      const host = this.#current;
      if (host.exited) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        console.error('KernelLab: the service did not close in time; stopping it');
        this.#kill(host);
        resolve();
      }, this.#options.closeTimeoutMs ?? defaultCloseTimeoutMs);
      host.closed = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#post(host, { type: 'close' });
    });
    return this.#closing;
  }

  #spawn(): HostGeneration {
    const child = this.#options.spawnHost();
    let readyResolve!: () => void;
    let readyReject!: (error: KernelLabError) => void;
    const ready = new Promise<void>((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    // A caller may never await ready (a crash before anyone called): not an unhandled rejection.
    ready.catch(() => undefined);
    const host: HostGeneration = { process: child, workers: new Map(), ready, pending: new Map(), exited: false, closed: () => undefined };
    child.onMessage((raw) => this.#onMessage(host, raw, readyResolve, readyReject));
    child.onExit((code) => {
      host.exited = true;
      readyReject(
        coded('unavailable', `the KernelLab service exited (code ${code}) before it was ready`, 'error_service_exited_early', {
          exitCode: String(code),
        }),
      );
      this.#onExit(host, code);
    });
    this.#post(host, { type: 'start', options: this.#options.start });
    return host;
  }

  #onMessage(host: HostGeneration, raw: unknown, ready: () => void, failed: (error: KernelLabError) => void): void {
    const parsed = FromHost.safeParse(raw);
    if (!parsed.success) {
      // A host of another version: stop it rather than half work with it.
      console.error(`KernelLab: the service sent an unknown message ${JSON.stringify(raw)?.slice(0, 200)}`);
      this.#kill(host);
      return;
    }
    const message = parsed.data;
    switch (message.type) {
      case 'ready':
        ready();
        return;
      case 'startFailed':
        this.#fatal = KernelLabError.fromBody(message.error);
        failed(this.#fatal);
        return;
      case 'reply': {
        const pending = host.pending.get(message.id);
        host.pending.delete(message.id);
        if (!pending) return;
        if (message.reply.ok) pending.resolve(message.reply.result);
        else pending.reject(KernelLabError.fromBody(message.reply.error));
        return;
      }
      case 'event':
        // The host emitted it through the core's typed EventBus; main only passes it on to windows.
        this.#options.onEvent(message.event as KernelLabEvent);
        return;
      case 'closed':
        // The database is closed; close() resolves when the process has exited too (#onExit).
        return;
      case 'worker.fork':
        this.#forkWorker(host, message.worker, message.entry, message.args, message.env);
        return;
      case 'worker.send':
        host.workers.get(message.worker)?.send(message.message);
        return;
      case 'worker.kill':
        host.workers.get(message.worker)?.kill(message.signal);
        return;
      default: {
        const unknown: never = message;
        throw new Error(`unhandled service message ${JSON.stringify(unknown)}`);
      }
    }
  }

  #forkWorker(host: HostGeneration, id: number, entry: string, args: string[], env: Record<string, string>): void {
    let worker: WorkerHandle;
    try {
      worker = this.#options.launchWorker(entry, args, env);
    } catch (error) {
      console.error(`KernelLab: could not start a worker: ${error instanceof Error ? error.message : String(error)}`);
      this.#post(host, { type: 'worker.exit', worker: id, code: null, signal: null });
      return;
    }
    host.workers.set(id, worker);
    worker.onMessage((message) => this.#post(host, { type: 'worker.message', worker: id, message }));
    worker.onExit((code, signal) => {
      host.workers.delete(id);
      this.#post(host, { type: 'worker.exit', worker: id, code, signal });
    });
    this.#post(host, { type: 'worker.started', worker: id, ...(worker.pid !== undefined && { pid: worker.pid }) });
  }

  #onExit(host: HostGeneration, code: number | null): void {
    // Its workers would train for nobody: a new host resumes their runs from checkpoints.
    for (const worker of host.workers.values()) worker.kill('SIGKILL');
    host.workers.clear();
    for (const pending of host.pending.values())
      pending.reject(
        coded('unavailable', `the KernelLab service stopped (exit code ${code}) before it answered`, 'error_service_stopped_unanswered', {
          exitCode: String(code),
        }),
      );
    host.pending.clear();
    host.closed();
    if (this.#closing || this.#fatal || host !== this.#current) return;
    const now = Date.now();
    const { count, windowMs } = this.#options.restarts ?? { count: 3, windowMs: 60_000 };
    this.#restartTimes = this.#restartTimes.filter((t) => now - t < windowMs);
    if (this.#restartTimes.length >= count) {
      const seconds = Math.round(windowMs / 1000);
      const message = `the KernelLab service stopped unexpectedly ${count + 1} times within ${seconds} s (last exit code ${code})`;
      this.#fatal = coded('unavailable', message, 'error_service_gave_up', { times: count + 1, seconds, exitCode: String(code) });
      this.#options.onGiveUp?.(this.#fatal);
      return;
    }
    this.#restartTimes.push(now);
    console.error(`KernelLab: the service stopped unexpectedly (exit code ${code}); starting it again`);
    this.#current = this.#spawn();
  }

  #post(host: HostGeneration, message: ToHost): void {
    if (!host.exited) host.process.postMessage(message);
  }

  #kill(host: HostGeneration): void {
    for (const worker of host.workers.values()) worker.kill('SIGKILL');
    host.process.kill();
  }
}
