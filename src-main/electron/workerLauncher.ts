import { utilityProcess } from 'electron';
import type { WorkerLauncher } from '../core/service.ts';
import type { HostProcess } from './serviceClient.ts';

/** Workers in the desktop app are Electron utility processes: Node without a window, killed alone. */
export const utilityWorker: WorkerLauncher = (entry, args, env) => {
  const child = utilityProcess.fork(entry, args, {
    env: { ...process.env, ...env },
    stdio: 'inherit',
    serviceName: 'KernelLab training worker',
  });
  return {
    send: (message) => {
      // A worker that has just died: its exit event reports the death; the send must not throw.
      try {
        child.postMessage(message);
      } catch {
        child.kill();
      }
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', (code) => listener(code, null)),
    kill: () => child.kill(),
    get pid() {
      return child.pid;
    },
  };
};

/**
 * The service host as a utility process: the service (SQLite, imports, hashing, the scheduler) runs
 * there, so main's thread only handles windows and forwards calls (serviceClient.ts).
 */
export function utilityServiceHost(entry: string): HostProcess {
  const child = utilityProcess.fork(entry, [], { stdio: 'inherit', serviceName: 'KernelLab service' });
  return {
    postMessage: (message) => {
      // A host that has just died: its exit event reports it and fails the calls it had.
      try {
        child.postMessage(message);
      } catch {
        child.kill();
      }
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.on('exit', listener),
    kill: () => child.kill(),
  };
}
