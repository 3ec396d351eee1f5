/**
 * Prepares a lent run's images in a worker thread (issue 16): reading the dataset, taking its
 * subset and validation split (training/trainingData.ts prepareData, the images a worker process
 * trains on) and encoding them for a browser GPU host (gpuhost/runDataCodec.ts). Full MNIST is
 * tens of megabytes read, gathered and copied; on the service's event loop that held every other
 * request (health, claims, metric batches) for about a second. The encoded bytes come back
 * transferred, not copied. No tfjs: a worker thread suffices.
 *
 * RunDataCache.ts starts it with `workerData` a RunDataJob and hears one RunDataReply.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { z } from 'zod';
import { Hyperparameters } from '../contract/training.ts';
import { DatasetName } from '../contract/datasets.ts';
import type { ErrorBody } from '../contract/bridge.ts';
import { toErrorBody } from '../errors.ts';
import { encodeRunData } from '../gpuhost/runDataCodec.ts';
import { prepareData } from '../training/trainingData.ts';

/** What the thread prepares: checked again on its side, as every message a worker takes is. */
export const RunDataJob = z
  .object({
    datasetsDir: z.string().min(1).max(4096),
    dataset: DatasetName,
    subset: z
      .object({ trainPerClass: z.number().int().positive().optional(), testPerClass: z.number().int().positive().optional() })
      .strict(),
    hyperparameters: Hyperparameters,
  })
  .strict();
export type RunDataJob = z.input<typeof RunDataJob>;

/** The thread's one answer. */
export type RunDataReply = { type: 'prepared'; bytes: Uint8Array } | { type: 'failed'; error: ErrorBody };

async function prepare(input: unknown): Promise<RunDataReply> {
  try {
    const job = RunDataJob.parse(input);
    const bytes = encodeRunData(await prepareData(job));
    return { type: 'prepared', bytes };
  } catch (error) {
    return { type: 'failed', error: toErrorBody(error) };
  }
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  void prepare(workerData).then((reply) =>
    reply.type === 'prepared' ? port.postMessage(reply, [reply.bytes.buffer as ArrayBuffer]) : port.postMessage(reply),
  );
}
