import type { WorkerLauncher } from '../workerHost.ts';
import { FromWorker, type PredictRequest } from './workerProtocol.ts';

/** Runs a checkpoint on images in a fresh worker (main never loads tfjs) and returns class probabilities. */
export function predictInWorker(launch: WorkerLauncher, entry: string, request: PredictRequest, timeoutMs = 60_000): Promise<number[][]> {
  return new Promise((resolve, reject) => {
    const worker = launch(entry, []);
    const timer = setTimeout(() => {
      worker.kill('SIGKILL');
      reject(new Error(`prediction did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    worker.onMessage((raw) => {
      const message = FromWorker.parse(raw);
      clearTimeout(timer);
      if (message.type === 'prediction') resolve(message.probabilities);
      else if (message.type === 'error') reject(new Error(`prediction failed: ${message.message}`));
      else reject(new Error(`prediction got an unexpected '${message.type}' message`));
    });
    worker.onExit((code, signal) => {
      clearTimeout(timer);
      reject(new Error(`prediction worker exited (code ${code}, signal ${signal}) before answering`));
    });
    worker.send(request);
  });
}
