/**
 * Specs sized before allocation (issue 12, defect 11): a run that cannot fit the machine's memory,
 * has no training image left or is too deep to build is refused when it is queued, in words with
 * the numbers, and nothing is queued; a sweep marks only such points impossible.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { linkMnist } from '../../test/mnistHome.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { errorSentence } from '../errors.ts';
import { Hyperparameters, ModelSpec } from '../contract/training.ts';
import { getPreset } from '../models/presets.ts';
import { memoryProblem, runMemory, wasmHeapBytes } from '../models/runMemory.ts';
import { inferShapes } from '../models/shapeInference.ts';
import { createService, type Service } from '../service.ts';
import { runSizeProblem, sizeRun } from './runSize.ts';

let temp: { dir: string; cleanup: () => void };
let service: Service;
beforeEach(async () => {
  temp = makeTempDir('kernellab-run-size-');
  // runs.start refuses a dataset that is not on the machine.
  await linkMnist(join(temp.dir, 'home'));
  // Answers only: what it queues is never trained here.
  service = createService({ dataDir: join(temp.dir, 'home'), shell: 'cli', trains: false });
});
afterEach(async () => {
  await service.close();
  temp.cleanup();
});

const queuedRuns = async () => (await service.call('runs.list', {})).total;
const flatDense = (units: number) => ({
  inputShape: [28, 28, 1],
  numClasses: 10,
  layers: [{ type: 'flatten' }, { type: 'dense', units }],
});

describe('runs are sized before anything is allocated', () => {
  it('refuses a validation split that leaves no training image, in words with the counts', async () => {
    const refusal = await service
      .call('runs.start', { run: { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters: { epochs: 1, validationSplit: 0.999999 } } })
      .catch((e: unknown) => e as Error);
    expect((refusal as Error).message).toContain(
      'hyperparameters.validationSplit: 0.999999 holds out every training image (60,000 in the training split, 0 left to train on)',
    );
    // A subset: its images are the ones counted (100 per class, all held out at 0.999).
    const subset = await service
      .call('runs.start', {
        run: { preset: 'lenet5-relu', dataset: 'mnist', subset: { train: 1000 }, hyperparameters: { epochs: 1, validationSplit: 0.999 } },
      })
      .catch((e: unknown) => e as Error);
    expect((subset as Error).message).toContain('(1,000 in the training split, 0 left to train on)');
    // The same split validating on the test set trains on every image.
    await service.call('runs.start', {
      run: { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters: { epochs: 1, validationSplit: 0.999999, validateOn: 'test' } },
    });
    expect(await queuedRuns()).toBe(1);
  });

  it('refuses a model larger than the machine with its parameters and bytes, and queues nothing', async () => {
    const refusal = await service
      .call('runs.start', { run: { dataset: 'mnist', model: flatDense(1e9), hyperparameters: { epochs: 1, learningRate: 0.001 } } })
      .catch((e: unknown) => e as Error);
    expect((refusal as Error).message).toMatch(
      /the run needs about [\d.]+ GiB of memory \(795,000,000,010 parameters: [\d.]+ GiB of weights, gradients and optimizer state; [\d.]+ GiB of activations for an evaluation batch of 500\), more than this machine's memory \([\d.]+ GiB\)/,
    );
    expect(await queuedRuns()).toBe(0);
  });

  it("marks only a sweep's points that do not fit impossible, saying why", async () => {
    const preview = await service.call('sweeps.preview', {
      spec: {
        base: { dataset: 'mnist', model: flatDense(10), hyperparameters: { epochs: 1, learningRate: 0.001 } },
        axes: { 'layers[1].units': [64, 1e9] },
      },
    });
    expect([preview.trained, preview.impossible]).toEqual([1, 1]);
    const [fits, tooBig] = preview.points;
    expect(fits).toMatchObject({ role: 'train', error: null });
    expect(tooBig).toMatchObject({ role: 'impossible', values: { 'layers[1].units': 1e9 } });
    expect(tooBig!.error).toContain('795,000,000,010 parameters');
  });

  it('refuses a model deeper than 1,000 layers before building it', async () => {
    const deep = { ...flatDense(4), layers: [{ type: 'flatten' }, ...Array.from({ length: 10_000 }, () => ({ type: 'dense', units: 4 }))] };
    await expect(
      service.call('runs.start', { run: { dataset: 'mnist', model: deep, hyperparameters: { epochs: 1, learningRate: 0.001 } } }),
    ).rejects.toThrow('base.model.layers: at most 1,000 layers');
  });

  it('asks for a confirmation before a run of more than 10,000 epochs, as for a sweep of more than 10,000 runs', async () => {
    const run = { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters: { epochs: 1e9 } } as const;
    await expect(service.call('runs.start', { run })).rejects.toThrow(
      'hyperparameters.epochs: 1,000,000,000 epochs for one run (more than 10,000); confirm with yes: true (--yes on the command line)',
    );
    await expect(
      service.call('sweeps.preview', { spec: { base: { preset: 'lenet5-relu', dataset: 'mnist' }, axes: { epochs: [10, 20_000] } } }),
    ).rejects.toThrow('hyperparameters.epochs: 20,000 epochs for one run');
    // The question a shell shows with a button that sends the same call with yes.
    await expect(service.call('runs.start', { run })).rejects.toMatchObject({
      confirm: 'Train 1,000,000,000 epochs per run? That is more than 10,000.',
    });
    expect(await queuedRuns()).toBe(0);
    await service.call('runs.start', { run, yes: true });
    expect(await queuedRuns()).toBe(1);
  });

  it('counts weights, gradients, optimizer state and a batch of activations against the memory it is given', () => {
    const model = ModelSpec.parse(getPreset('lenet5-relu').spec);
    const summary = inferShapes(model);
    const adam = Hyperparameters.parse({ epochs: 1, learningRate: 0.001, optimizer: 'adam' });
    const sgd = Hyperparameters.parse({ epochs: 1, learningRate: 0.001, optimizer: 'sgd' });
    const size = sizeRun(model, summary, adam, 'mnist', null);
    // Adam keeps two moments per weight beside the weight and its gradient; SGD keeps none.
    expect(size.weightBytes).toBe(summary.totalParams * 4 * 4);
    expect(sizeRun(model, summary, sgd, 'mnist', null).weightBytes).toBe(summary.totalParams * 4 * 2);
    // Doubling the batch doubles the activations, not the weights.
    const big = sizeRun(model, summary, { ...adam, batchSize: 64 }, 'mnist', null);
    expect(big.trainingBytes).toBe(2 * size.trainingBytes);
    expect(size.trainImages).toBe(54_000);
    expect(runSizeProblem(size, adam, 2 ** 30)).toBeNull();
    expect(runSizeProblem(size, adam, 2 ** 20)?.sentence).toMatch(/more than this machine's memory \(0\.00 GiB\)/);
  });

  it("refuses on wasm's 4 GiB heap what this machine could hold: 4096 filters of kernel 28 'same' on MNIST", () => {
    const model = ModelSpec.parse({
      inputShape: [28, 28, 1],
      numClasses: 10,
      layers: [{ type: 'conv2d', filters: 4096, kernelSize: 28, padding: 'same' }, { type: 'flatten' }],
    });
    const hp = Hyperparameters.parse({ epochs: 1, learningRate: 0.001 });
    const memory = runMemory(model, inferShapes(model), hp);
    // A forward pass over an evaluation batch of 500 keeps 2 × 3,211,264 floats per image.
    expect(memory.evaluationBytes).toBe(500 * (784 + 2 * 28 * 28 * 4096 + 10) * 4);
    expect(memoryProblem(memory, hp, { bytes: 24 * 2 ** 30, kind: 'machine' })).toBeNull();
    expect(memoryProblem(memory, hp, { bytes: wasmHeapBytes, kind: 'wasm' })?.sentence).toMatch(
      /^the run needs about 1[23]\.\d GiB of memory \(35,\d{3},\d{3} parameters: .*activations for an evaluation batch of 500\), more than the wasm backend's heap \(4\.0 GiB\)/,
    );
  });

  it('stores errors as sentences naming the field, not as zod JSON', () => {
    const zodError = z.object({ epochs: z.number().int().positive() }).safeParse({ epochs: -1 }).error!;
    expect(zodError.message.trim().startsWith('[')).toBe(true);
    expect(errorSentence(zodError)).toMatch(/^Invalid value: epochs: Too small/);
    expect(errorSentence(new Error('disk full'))).toBe('disk full');
  });
});
