/**
 * Entry of the service host process. In the desktop app it is an Electron utility process
 * (process.parentPort); tests start it with child_process.fork (process.send). See serviceHost.ts.
 */
import type { HostChannel } from './hostProtocol.ts';
import { runServiceHost } from './serviceHost.ts';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

if (parentPort) {
  const channel: HostChannel = {
    postMessage: (message) => parentPort.postMessage(message),
    onMessage: (listener) => parentPort.on('message', (event) => listener(event.data)),
  };
  // postMessage hands the message to Electron at once; main also takes the host's exit as its close.
  runServiceHost(channel, (code) => setImmediate(() => process.exit(code)));
} else if (process.send) {
  let pending = 0;
  let exitCode: number | null = null;
  const channel: HostChannel = {
    postMessage: (message) => {
      pending++;
      process.send!(message, undefined, undefined, () => {
        pending--;
        if (pending === 0 && exitCode !== null) process.exit(exitCode);
      });
    },
    onMessage: (listener) => process.on('message', listener),
  };
  // process.send is asynchronous: exit once the last message (closed, startFailed) has left.
  runServiceHost(channel, (code) => {
    exitCode = code;
    if (pending === 0) process.exit(code);
  });
  // Main is gone (killed): nothing would ever ask this service to close, so close it now.
  process.on('disconnect', () => process.exit(1));
} else {
  throw new Error('The service host runs as a child of the KernelLab app: start the app, not this file');
}
