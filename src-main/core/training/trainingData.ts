import { gather, loadSplit, stratifiedSplit, subsetPerClass, tailSplit, type RawSplit } from '../datasets/index.ts';
import { coded } from '../errors.ts';
import type { TrainRequest } from './workerProtocol.ts';

/** The splits one training run reads, as the loop takes them (decoded, in memory). */
export interface TrainingData {
  train: RawSplit;
  /** Null when validationSplit is 0; the test split itself when validateOn is 'test'. */
  validation: RawSplit | null;
  test: RawSplit;
  /** Index of each test example in the full test split (a subset keeps its original numbering). */
  testIndices: ArrayLike<number> | null;
}

/** Train/validation/test splits for a request: optional per-class subsets, a stratified or tail (Keras) validation split. */
export async function prepareData(
  request: Pick<TrainRequest, 'datasetsDir' | 'dataset' | 'subset' | 'hyperparameters'>,
): Promise<TrainingData> {
  const hp = request.hyperparameters;
  let train: RawSplit = await loadSplit(request.datasetsDir, request.dataset, 'train');
  let test: RawSplit = await loadSplit(request.datasetsDir, request.dataset, 'test');
  let testIndices: Uint32Array | null = null;
  if (request.subset.trainPerClass) train = gather(train, subsetPerClass(train.labels, request.subset.trainPerClass, hp.seed));
  if (request.subset.testPerClass) {
    testIndices = subsetPerClass(test.labels, request.subset.testPerClass, hp.seed);
    test = gather(test, testIndices);
  }
  let validation: RawSplit | null = null;
  if (hp.validateOn === 'test') validation = test;
  else if (hp.validationSplit > 0) {
    const split =
      hp.validationSplitMode === 'tail'
        ? tailSplit(train.count, hp.validationSplit)
        : stratifiedSplit(train.labels, hp.validationSplit, hp.seed);
    validation = gather(train, split.validation);
    train = gather(train, split.train);
  }
  // Queueing refuses this from the dataset's published counts; a dataset folder holding fewer images still gets words, not a crash.
  if (train.count === 0)
    throw coded(
      'invalid_input',
      `No training image is left: validationSplit ${hp.validationSplit} holds out all ${validation?.count ?? 0} of the training split; use a smaller validationSplit or validateOn 'test'`,
      'training_no_image_left',
      { split: hp.validationSplit, count: validation?.count ?? 0 },
    );
  return { train, validation, test, testIndices };
}
