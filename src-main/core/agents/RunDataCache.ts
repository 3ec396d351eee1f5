import type { RunRecord } from '../db/RunStore.ts';
import { isDatasetName } from '../datasets/registry.ts';
import { Hyperparameters } from '../contract/training.ts';
import { encodeRunData } from '../gpuhost/runDataCodec.ts';
import { prepareData } from '../training/trainingData.ts';
import { KernelLabError } from '../errors.ts';

/**
 * A held run's prepared splits (prepareData: the same images a worker process trains on), encoded
 * for a browser GPU host, kept while it is fetched in chunks: the two most recent runs, dropped
 * when a run finishes (a tab that vanished leaves at most those two behind).
 */
export class RunDataCache {
  readonly #datasetsDir: string;
  readonly #entries = new Map<string, Promise<Uint8Array>>();

  constructor(datasetsDir: string) {
    this.#datasetsDir = datasetsDir;
  }

  of(run: RunRecord): Promise<Uint8Array> {
    const key = `${run.id}:${run.attempt}`;
    const cached = this.#entries.get(key);
    if (cached) return cached;
    const hp = Hyperparameters.safeParse(run.hyperparameters);
    if (!hp.success || !isDatasetName(run.dataset))
      throw new KernelLabError('invalid_input', `run ${run.id} has invalid hyperparameters or dataset ${run.dataset}`);
    const sweep = run.environment.sweep as { subset?: unknown } | undefined;
    const subset = (run.environment.subset ?? sweep?.subset ?? {}) as { trainPerClass?: number; testPerClass?: number };
    const made = prepareData({ datasetsDir: this.#datasetsDir, dataset: run.dataset, subset, hyperparameters: hp.data }).then(
      encodeRunData,
    );
    made.catch(() => this.#entries.delete(key));
    this.#entries.set(key, made);
    while (this.#entries.size > 2) this.#entries.delete(this.#entries.keys().next().value!);
    return made;
  }

  forget(runId: number): void {
    for (const key of [...this.#entries.keys()]) if (key.startsWith(`${runId}:`)) this.#entries.delete(key);
  }
}
