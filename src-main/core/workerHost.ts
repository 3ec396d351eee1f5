import { fork, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * How the core starts a worker process. Node shells use child_process.fork; the Electron shell
 * passes one over utilityProcess. Either way a crash or an out-of-memory kills the worker only.
 */
export interface WorkerHandle {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
  readonly pid: number | undefined;
}

export type WorkerLauncher = (entry: string, args: string[], env?: NodeJS.ProcessEnv) => WorkerHandle;

const resolveHook = fileURLToPath(new URL('./training/esmResolveHook.ts', import.meta.url));
const sourceCache = fileURLToPath(new URL('./tsSourceCacheHook.ts', import.meta.url));

export const forkWorker: WorkerLauncher = (entry, args, env) =>
  handleOf(
    fork(entry, args, {
      env: { ...process.env, ...env },
      // A worker run from TypeScript sources loads tfjs's ESM files, which need the resolve hook,
      // and keeps its sources' stripped JavaScript between starts as the CLI does.
      execArgv: entry.endsWith('.ts') ? ['--import', sourceCache, '--import', resolveHook] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    }),
  );

/**
 * Workers as copies of this very executable, told their role by `roleEnv`: the single-file
 * kernellab-agent (Node SEA) cannot fork a script, so it starts itself as the worker.
 */
export function selfWorkerLauncher(roleEnv: Record<string, string>): WorkerLauncher {
  return (_entry, args, env) =>
    handleOf(
      spawn(process.execPath, args, {
        env: { ...process.env, ...env, ...roleEnv },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      }),
    );
}

function handleOf(child: ChildProcess): WorkerHandle {
  // A worker can die between our last look at it and a send: the write then fails (EPIPE,
  // ECONNRESET, ERR_IPC_CHANNEL_CLOSED) a tick later. That is the worker's death, which the exit
  // listener reports; the failed write must not become an unhandled 'error' that kills this process.
  const died = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  child.on('error', died);
  return {
    send: (message) => {
      if (!child.connected) return;
      try {
        child.send(message as never, (error) => {
          if (error) died();
        });
      } catch {
        died();
      }
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => {
      child.on('exit', listener);
      // A worker that could not be started at all (EAGAIN, ENOMEM) emits 'error' and no 'exit'.
      child.on('error', () => {
        if (child.pid === undefined) listener(null, null);
      });
    },
    kill: (signal) => child.kill(signal),
    get pid() {
      return child.pid;
    },
  };
}
