import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { getPreset } from '../models/presets.ts';
import { forkWorker } from '../workerHost.ts';
import { installMnist } from './mnistFixture.ts';
import { probeBackendsInWorker } from './probe.ts';
import { startRun } from './runController.ts';
import { TrainRequest, type TrainingMessage } from './workerProtocol.ts';

const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));
let mnist: { datasetsDir: string; cleanup: () => void };
const temps: (() => void)[] = [];
beforeAll(async () => {
  mnist = await installMnist();
});
afterAll(() => {
  mnist?.cleanup();
  for (const cleanup of temps) cleanup();
});

/** One real worker process training the two-conv net on wasm with `threads` threads. */
async function trainWith(threads: number): Promise<TrainingMessage[]> {
  const runDir = makeTempDir('kernellab-threads-');
  temps.push(runDir.cleanup);
  const preset = getPreset('mnist-two-conv');
  const request = TrainRequest.parse({
    type: 'train',
    runId: threads,
    spec: preset.spec,
    hyperparameters: { ...preset.hyperparameters, epochs: 2, batchSize: 32, backend: 'wasm', validationSplit: 0.1, seed: 3 },
    datasetsDir: mnist.datasetsDir,
    dataset: 'mnist',
    runDir: runDir.dir,
    subset: { trainPerClass: 40, testPerClass: 20 },
    threads,
  });
  const messages: TrainingMessage[] = [];
  const run = startRun(forkWorker, entry, request, { onMessage: (_id, m) => messages.push(m) });
  expect((await run.done).status).toBe('completed');
  return messages;
}

describe('wasm on several threads', () => {
  it('records its thread count and trains to the same numbers as one thread', async () => {
    const one = await trainWith(1);
    const two = await trainWith(2);
    const begin = (ms: TrainingMessage[]) => ms.find((m) => m.type === 'trainBegin') as Extract<TrainingMessage, { type: 'trainBegin' }>;
    expect(begin(one).runtime?.threads).toBe(1);
    expect(begin(one).device).toContain('one thread');
    expect(begin(two).runtime?.threads).toBe(2);
    expect(begin(two).device).toContain('2 threads');

    const epochs = (ms: TrainingMessage[]) => ms.filter((m) => m.type === 'epochEnd') as Extract<TrainingMessage, { type: 'epochEnd' }>[];
    expect(epochs(two)).toHaveLength(2);
    for (const [a, b] of epochs(one).map((e, i) => [e, epochs(two)[i]!] as const)) {
      // XNNPACK splits work into output tiles per thread; each sum is still taken in one order.
      expect(Math.abs(a.logs.loss! - b.logs.loss!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.logs.loss!)));
      expect(Math.abs(a.logs.val_loss! - b.logs.val_loss!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a.logs.val_loss!)));
      expect(b.logs.accuracy).toBeCloseTo(a.logs.accuracy!, 6);
    }
    const test = (ms: TrainingMessage[]) =>
      ms.find((m) => m.type === 'evaluation' && m.epoch === undefined) as Extract<TrainingMessage, { type: 'evaluation' }>;
    expect(Math.abs(test(one).loss - test(two).loss)).toBeLessThan(1e-5);
    expect(test(two).confusion).toEqual(test(one).confusion);
  });
});

describe('the wasm probe (This machine, kernellab info)', () => {
  it('names the threads a run may use, not the one thread the probe loaded with', async () => {
    const probes = await probeBackendsInWorker(forkWorker, entry);
    const wasm = probes.find((p) => p.name === 'wasm');
    expect(wasm?.available).toBe(true);
    expect(wasm?.detail).toContain(`up to ${Math.min(8, availableParallelism())} threads per run`);
    expect(wasm?.detail).not.toContain('one thread');
  });
});
