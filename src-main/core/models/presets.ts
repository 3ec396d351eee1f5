import { Hyperparameters, ModelSpec, PresetId, type HyperparametersInput, type ModelSpecInput } from '../contract/training.ts';

export interface Preset {
  id: PresetId;
  title: string;
  description: string;
  spec: ModelSpec;
  hyperparameters: Hyperparameters;
}

interface PresetSource {
  title: string;
  description: string;
  spec: ModelSpecInput;
  hyperparameters: HyperparametersInput;
}

const lenet = (activation: 'swish' | 'relu'): ModelSpecInput['layers'] => [
  { type: 'conv2d', filters: 6, kernelSize: 5, activation },
  { type: 'maxPool2d', poolSize: 2 },
  { type: 'conv2d', filters: 16, kernelSize: 5, activation },
  { type: 'maxPool2d', poolSize: 2 },
  { type: 'flatten' },
  { type: 'dense', units: 120, activation },
  { type: 'dense', units: 84, activation },
];

const mnist = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10 };

/** TF-1's weight_variable and bias_variable: tf.truncated_normal(stddev=0.1) and tf.constant(0.1). */
const tf1Weights = {
  kernelInitializer: { type: 'truncated_normal', mean: 0, stddev: 0.1 },
  biasInitializer: { type: 'constant', value: 0.1 },
} as const;

const sources: Record<PresetId, PresetSource> = {
  'lenet5-swish': {
    title: 'LeNet-5 (swish)',
    description: '6@5×5, pool, 16@5×5, pool, 120, 84, softmax — swish activations as in the CIFAR-10 notebook.',
    spec: { name: 'lenet5_swish', inputShape: [32, 32, 3], numClasses: 10, layers: lenet('swish') },
    hyperparameters: { epochs: 10, batchSize: 64, optimizer: 'adam', learningRate: 1e-3, validationSplit: 0.1 },
  },
  'lenet5-relu': {
    title: 'LeNet-5 (relu)',
    description: '6@5×5, pool, 16@5×5, pool, 120, 84, softmax with relu: the MNIST reference network.',
    spec: { name: 'lenet5_relu', ...mnist, layers: lenet('relu') },
    hyperparameters: { epochs: 2, batchSize: 64, optimizer: 'adam', learningRate: 1e-3, validationSplit: 0.1 },
  },
  'mnist-two-conv': {
    title: 'Two-conv MNIST network',
    description: '32@3×3 same, pool, 64@3×3 same, pool, dense 256, dropout 0.2, softmax.',
    spec: {
      name: 'mnist_two_conv',
      ...mnist,
      layers: [
        { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 256 },
        { type: 'dropout', rate: 0.2 },
      ],
    },
    hyperparameters: { epochs: 5, batchSize: 128, optimizer: 'adam', learningRate: 1e-3, validationSplit: 0.1 },
  },
  'fashion-bn-dropout': {
    title: 'Fashion-MNIST BatchNorm/Dropout network',
    description: '32@3×3 same + BatchNorm + pool + dropout 0.25, dense 512 + BatchNorm, softmax.',
    spec: {
      name: 'fashion_bn_dropout',
      ...mnist,
      layers: [
        { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same' },
        { type: 'batchNorm' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'dropout', rate: 0.25 },
        { type: 'flatten' },
        { type: 'dense', units: 512 },
        { type: 'batchNorm' },
      ],
    },
    hyperparameters: { epochs: 10, batchSize: 64, optimizer: 'adam', learningRate: 1e-3, validationSplit: 0.1 },
  },
  'alexnet-28': {
    title: 'AlexNet adapted to 28×28×1',
    description: '5 conv (LRN after the first two), 3 max-pools, dense 256 + dropout 0.5 twice, softmax.',
    spec: {
      name: 'alexnet_28',
      ...mnist,
      layers: [
        { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'same' },
        { type: 'lrn', depthRadius: 2, bias: 1, alpha: 1e-4, beta: 0.75 },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' },
        { type: 'lrn', depthRadius: 2, bias: 1, alpha: 1e-4, beta: 0.75 },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'conv2d', filters: 96, kernelSize: 3, padding: 'same' },
        { type: 'conv2d', filters: 96, kernelSize: 3, padding: 'same' },
        { type: 'conv2d', filters: 64, kernelSize: 3, padding: 'same' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 256 },
        { type: 'dropout', rate: 0.5 },
        { type: 'dense', units: 256 },
        { type: 'dropout', rate: 0.5 },
      ],
    },
    hyperparameters: { epochs: 10, batchSize: 128, optimizer: 'adam', learningRate: 1e-3, validationSplit: 0.1 },
  },
  'fashion-keras-tutorial': {
    title: 'Fashion-MNIST Keras tutorial network',
    description:
      "The Fashion-MNIST Keras tutorial's CNN and fit settings: Conv2D(32, 3×3, relu, valid) → BatchNormalization → MaxPooling2D → " +
      'Dropout(0.25) → Flatten → Dense(512, relu) → BatchNormalization → Dropout(0.5) → Dense(10, softmax), Adam(1e-3), batch_size=128, ' +
      "validation_split=0.2 (Keras' last 20%), EarlyStopping(monitor='val_loss', patience=3); Keras' default initialisers. " +
      'The 30-epoch ceiling is ours: early stopping ends the run.',
    spec: {
      name: 'fashion_keras_tutorial',
      ...mnist,
      layers: [
        { type: 'conv2d', filters: 32, kernelSize: 3, padding: 'valid', activation: 'relu' },
        { type: 'batchNorm' },
        { type: 'maxPool2d', poolSize: 2 },
        { type: 'dropout', rate: 0.25 },
        { type: 'flatten' },
        { type: 'dense', units: 512, activation: 'relu' },
        { type: 'batchNorm' },
        { type: 'dropout', rate: 0.5 },
      ],
    },
    hyperparameters: {
      epochs: 30,
      batchSize: 128,
      optimizer: 'adam',
      learningRate: 1e-3,
      validationSplit: 0.2,
      validationSplitMode: 'tail',
      earlyStopping: { monitor: 'val_loss', patience: 3 },
    },
  },
  'mnist-tf1-deep': {
    title: 'TF-1 "Deep MNIST for Experts" CNN',
    description:
      "TensorFlow 1's MNIST tutorial network (mnist_deep.py) with its initialisers and optimizer: weights from a normal truncated at 2σ " +
      'with stddev 0.1 and biases 0.1 everywhere, conv 32@5×5 same → max pool 2×2 → conv 64@5×5 same → max pool 2×2 → dense 1024 relu → ' +
      "dropout 0.5 (keep_prob 0.5) → softmax, AdamOptimizer(1e-4) with TF-1's epsilon 1e-8, batch 50. 18 epochs ≈ its 20,000 steps of 50 " +
      "on 55,000 images; 5,000 held out for validation (TF-1's input_data held out the first 5,000, here the last).",
    spec: {
      name: 'mnist_tf1_deep',
      ...mnist,
      layers: [
        { type: 'conv2d', filters: 32, kernelSize: 5, padding: 'same', activation: 'relu', ...tf1Weights },
        { type: 'maxPool2d', poolSize: 2, padding: 'same' },
        { type: 'conv2d', filters: 64, kernelSize: 5, padding: 'same', activation: 'relu', ...tf1Weights },
        { type: 'maxPool2d', poolSize: 2, padding: 'same' },
        { type: 'flatten' },
        { type: 'dense', units: 1024, activation: 'relu', ...tf1Weights },
        { type: 'dropout', rate: 0.5 },
      ],
      output: tf1Weights,
    },
    hyperparameters: {
      epochs: 18,
      batchSize: 50,
      optimizer: 'adam',
      learningRate: 1e-4,
      epsilon: 1e-8,
      validationSplit: 5000 / 60000,
      validationSplitMode: 'tail',
    },
  },
  'lenet5-cifar10-keras': {
    title: 'LeNet-5 CIFAR-10 Keras notebook',
    description:
      'The Keras LeNet-5 notebook on CIFAR-10: 6@5×5 → max pool → 16@5×5 → max pool → 120 → 84 → softmax, swish activations, ' +
      "RMSprop with Keras' defaults (1e-3, rho 0.9, epsilon 1e-7), batch 32, Keras' default initialisers. Epochs (10) and the " +
      "validation split (Keras' last 10%) are ours.",
    spec: { name: 'lenet5_cifar10_keras', inputShape: [32, 32, 3], numClasses: 10, layers: lenet('swish') },
    hyperparameters: {
      epochs: 10,
      batchSize: 32,
      optimizer: 'rmsprop',
      learningRate: 1e-3,
      validationSplit: 0.1,
      validationSplitMode: 'tail',
    },
  },
};

/** Every preset, parsed through the same schemas a user's spec goes through. */
export const presets: Preset[] = PresetId.options.map((id) => ({
  id,
  title: sources[id].title,
  description: sources[id].description,
  spec: ModelSpec.parse(sources[id].spec),
  hyperparameters: Hyperparameters.parse(sources[id].hyperparameters),
}));

export function getPreset(id: PresetId): Preset {
  return presets.find((p) => p.id === id)!;
}
