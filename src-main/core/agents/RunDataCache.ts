import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RunRecord } from '../db/RunStore.ts';
import { isDatasetName } from '../datasets/registry.ts';
import { Hyperparameters } from '../contract/training.ts';
import { coded, KernelLabError } from '../errors.ts';
import type { RunDataJob, RunDataReply } from './runDataWorker.ts';

// From source the thread runs the .ts beside this file; in the Electron build (electron.config.ts
// input runDataWorker) the bundled .js beside the service host's bundle.
const runDataWorker = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? './runDataWorker.ts' : './runDataWorker.js', import.meta.url),
);

/** How many runs' prepared splits are kept (and at most prepared at once). */
export const runDataCacheSize = 2;

interface Entry {
  bytes: Promise<Uint8Array>;
  /** Ends the thread if it still prepares (an entry dropped before it was ready). */
  stop: () => void;
}

/**
 * A held run's prepared splits (prepareData: the same images a worker process trains on), encoded
 * for a browser GPU host, kept while it is fetched in chunks: the two most recent runs, dropped
 * when a run finishes (a tab that vanished leaves at most those two behind). Each is prepared in
 * its own worker thread (runDataWorker.ts), so the service's event loop keeps answering meanwhile;
 * a dropped entry's thread is ended, so at most two prepare at once.
 */
export class RunDataCache {
  readonly #datasetsDir: string;
  readonly #entries = new Map<string, Entry>();

  constructor(datasetsDir: string) {
    this.#datasetsDir = datasetsDir;
  }

  of(run: RunRecord): Promise<Uint8Array> {
    const key = `${run.id}:${run.attempt}`;
    const cached = this.#entries.get(key);
    if (cached) return cached.bytes;
    const hp = Hyperparameters.safeParse(run.hyperparameters);
    if (!hp.success || !isDatasetName(run.dataset))
      throw coded('invalid_input', `run ${run.id} has invalid hyperparameters or dataset ${run.dataset}`, 'run_data_invalid_run', {
        id: run.id,
        dataset: run.dataset.slice(0, 1000),
      });
    const sweep = run.environment.sweep as { subset?: unknown } | undefined;
    const subset = (run.environment.subset ?? sweep?.subset ?? {}) as { trainPerClass?: number; testPerClass?: number };
    const entry = prepareInThread(run.id, {
      datasetsDir: this.#datasetsDir,
      dataset: run.dataset,
      subset: {
        ...(subset.trainPerClass && { trainPerClass: subset.trainPerClass }),
        ...(subset.testPerClass && { testPerClass: subset.testPerClass }),
      },
      hyperparameters: hp.data,
    });
    entry.bytes.catch(() => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    });
    this.#entries.set(key, entry);
    while (this.#entries.size > runDataCacheSize) this.#drop(this.#entries.keys().next().value!);
    return entry.bytes;
  }

  forget(runId: number): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(`${runId}:`)) this.#drop(key);
  }

  #drop(key: string): void {
    this.#entries.get(key)?.stop();
    this.#entries.delete(key);
  }
}

function prepareInThread(runId: number, job: RunDataJob): Entry {
  // No inherited flags: the thread needs none (a test runner's loader would route its imports through the parent).
  const worker = new Worker(runDataWorker, { workerData: job, execArgv: [] });
  // A thread still preparing never keeps a closing service's process alive.
  worker.unref();
  let settled = false;
  const bytes = new Promise<Uint8Array>((resolve, reject) => {
    const fail = (error: KernelLabError) => {
      if (settled) return;
      settled = true;
      reject(error);
    };
    worker.once('message', (reply: RunDataReply) => {
      switch (reply.type) {
        case 'prepared':
          settled = true;
          resolve(reply.bytes);
          break;
        case 'failed': {
          fail(KernelLabError.fromBody(reply.error));
          break;
        }
        default: {
          const unknown: never = reply;
          const shown = JSON.stringify(unknown).slice(0, 200);
          fail(
            coded('internal', `preparing run ${runId}'s images: unknown reply ${shown}`, 'run_data_unknown_reply', {
              id: runId,
              reply: shown,
            }),
          );
        }
      }
      void worker.terminate();
    });
    worker.once('error', (error) =>
      fail(
        coded('internal', `preparing run ${runId}'s images failed: ${error.message}`, 'run_data_failed', {
          id: runId,
          error: error.message.slice(0, 1000),
        }),
      ),
    );
    worker.once('exit', (code) =>
      fail(
        coded(
          'unavailable',
          `run ${runId}'s images were dropped before they were ready (exit ${code}): a newer run's took their place; ask again`,
          'run_data_dropped',
          { id: runId, exitCode: String(code) },
        ),
      ),
    );
  });
  return { bytes, stop: () => void (settled ? undefined : worker.terminate()) };
}
