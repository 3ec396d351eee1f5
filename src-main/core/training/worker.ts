/**
 * Entry of a training worker process (child_process.fork or Electron utilityProcess).
 * It talks to main only through the typed messages in workerProtocol.ts.
 */
import { probeBackends } from './backends.ts';
import { FromWorker, ToWorker } from './workerProtocol.ts';

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
}

// Electron's utilityProcess exposes process.parentPort; child_process.fork exposes process.send.
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: FromWorker): void {
  const checked = FromWorker.parse(message);
  if (parentPort) parentPort.postMessage(checked);
  else process.send?.(checked);
}

async function handle(raw: unknown): Promise<void> {
  const parsed = ToWorker.safeParse(raw);
  if (!parsed.success) throw new Error(`worker: unknown message ${JSON.stringify(raw).slice(0, 200)}`);
  const message = parsed.data;
  switch (message.type) {
    case 'probe': {
      send({ type: 'probeResult', backends: await probeBackends() });
      process.exit(0);
      break;
    }
    default: {
      const unknown: never = message.type;
      throw new Error(`worker: unhandled message type ${String(unknown)}`);
    }
  }
}

function onMessage(raw: unknown): void {
  handle(raw).catch((error: unknown) => {
    send({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}

if (parentPort) parentPort.on('message', (event) => onMessage(event.data));
else process.on('message', onMessage);
