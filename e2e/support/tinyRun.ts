/**
 * The GPU specs' model: a 4-filter conv net small enough for SwiftShader (a software GPU) to train
 * on a few hundred MNIST images in seconds, with a fixed seed. `pool` adds a max-pool after the
 * conv (the sweep spec compares webgpu with wasm on it).
 */
export function tinyModel(options: { pool?: boolean } = {}) {
  return {
    name: 'tiny',
    inputShape: [28, 28, 1],
    numClasses: 10,
    layers: [
      { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2 },
      ...(options.pool ? [{ type: 'maxPool2d', poolSize: 2 }] : []),
      { type: 'flatten' },
      { type: 'dense', units: 16 },
    ],
  };
}

/** A run of the tiny model on `train` MNIST images (100 test), batch 16, learning rate 0.01, seed 3. */
export function tinyMnistRun(options: { train: number; epochs: number; validationSplit?: number; backend?: string }) {
  return {
    model: tinyModel(),
    dataset: 'mnist',
    subset: { train: options.train, test: 100 },
    hyperparameters: {
      epochs: options.epochs,
      batchSize: 16,
      learningRate: 0.01,
      validationSplit: options.validationSplit ?? 0,
      seed: 3,
      ...(options.backend !== undefined && { backend: options.backend }),
    },
  };
}
