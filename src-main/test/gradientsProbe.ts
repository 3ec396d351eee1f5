// Child-process fixture for workerHost.test.ts: reports whether tfjs gradients are registered
// when this file runs the way a training worker does.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';

process.send?.({ conv2d: tf.getGradient('Conv2D') !== undefined, maxPool: tf.getGradient('MaxPool') !== undefined });
