import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hyperparameters, type HyperparametersInput } from '../contract/training.ts';
import { loadSplit, subsetPerClass, gather, type RawSplit } from '../datasets/index.ts';
import { installMnist } from './mnistFixture.ts';
import { prepareData } from './trainingData.ts';

let mnist: { datasetsDir: string; cleanup: () => void };
beforeAll(async () => {
  mnist = await installMnist();
});
afterAll(() => mnist?.cleanup());

const prepare = (hp: Partial<HyperparametersInput>, trainPerClass = 50) =>
  prepareData({
    datasetsDir: mnist.datasetsDir,
    dataset: 'mnist',
    subset: { trainPerClass, testPerClass: 5 },
    hyperparameters: Hyperparameters.parse({ epochs: 1, learningRate: 0.01, seed: 3, ...hp }),
  });

const imageOf = (split: RawSplit, i: number) => {
  const size = split.height * split.width * split.channels;
  return split.images.subarray(i * size, (i + 1) * size);
};
const classCounts = (split: RawSplit) => Array.from({ length: 10 }, (_, c) => split.labels.filter((l) => l === c).length);

describe('validation split modes', () => {
  it("tail holds out the last fraction of the training images as stored — Keras' validation_split", async () => {
    const all = await loadSplit(mnist.datasetsDir, 'mnist', 'train');
    // The per-class subset keeps the stored order (ascending indices).
    const stored = gather(all, subsetPerClass(all.labels, 50, 3));
    const { train, validation } = await prepare({ validationSplit: 0.2, validationSplitMode: 'tail' });
    // Keras: split_at = floor(500 · 0.8) = 400; the first 400 train, the last 100 validate.
    expect(train.count).toBe(400);
    expect(validation!.count).toBe(100);
    expect(imageOf(train, 0)).toEqual(imageOf(stored, 0));
    expect(imageOf(train, 399)).toEqual(imageOf(stored, 399));
    expect(imageOf(validation!, 0)).toEqual(imageOf(stored, 400));
    expect(Array.from(validation!.labels)).toEqual(Array.from(stored.labels.subarray(400)));
  });

  it('stratified holds out the same fraction of every class, seeded, from all over the split', async () => {
    const { train, validation } = await prepare({ validationSplit: 0.2 });
    expect(validation!.count).toBe(100);
    expect(classCounts(validation!)).toEqual(new Array(10).fill(10));
    expect(classCounts(train)).toEqual(new Array(10).fill(40));
    const tail = await prepare({ validationSplit: 0.2, validationSplitMode: 'tail' });
    // The tail's classes follow the stored order, not the classes' shares.
    expect(classCounts(tail.validation!)).not.toEqual(new Array(10).fill(10));
    expect(Array.from(validation!.labels)).not.toEqual(Array.from(tail.validation!.labels));
    const again = await prepare({ validationSplit: 0.2, seed: 3 });
    expect(Array.from(again.validation!.labels)).toEqual(Array.from(validation!.labels));
  });

  it("holds out exactly Keras' count for fractions that are not round (5,000 of 60,000 at 5000/60000)", async () => {
    const { train, validation } = await prepareData({
      datasetsDir: mnist.datasetsDir,
      dataset: 'mnist',
      subset: {},
      hyperparameters: Hyperparameters.parse({ epochs: 1, learningRate: 0.01, validationSplit: 5000 / 60000, validationSplitMode: 'tail' }),
    });
    expect([train.count, validation!.count]).toEqual([55000, 5000]);
  });

  it('refuses a split that leaves no training image in words, whichever mode holds them out', async () => {
    await expect(prepare({ validationSplit: 0.5 }, 1)).rejects.toThrow(
      "No training image is left: validationSplit 0.5 holds out all 10 of the training split; use a smaller validationSplit or validateOn 'test'",
    );
    await expect(prepare({ validationSplit: 0.999999, validationSplitMode: 'tail' })).rejects.toThrow(
      'holds out all 500 of the training split',
    );
  });
});
