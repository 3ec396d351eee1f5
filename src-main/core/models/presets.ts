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
