/**
 * Early stopping, ReduceLROnPlateau and the learning-rate schedules decide what Keras' own classes
 * decide for the same epoch logs: fixtures/keras_callbacks.json is what Keras 3 wrote
 * (fixtures/keras_callbacks.py drives the real EarlyStopping, ReduceLROnPlateau, ExponentialDecay
 * and CosineDecay).
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EarlyStopping, Hyperparameters, LrSchedule, type MonitoredMetric } from '../contract/training.ts';
import { BestEpoch, bestEpochRule, EarlyStopping as EarlyStoppingCallback, type LoopContext, type TrainingCallback } from './callbacks.ts';
import { freshState } from './checkpointState.ts';
import { learningRateCallbacks, learningRateOf, scheduledRate } from './learningRate.ts';
import { makeOptimizer } from './trainer.ts';

interface EarlyStoppingCase {
  name: string;
  monitor: MonitoredMetric;
  values: number[];
  options: Record<string, unknown>;
  epochsTrained: number;
  stopped: boolean;
  restoredEpoch: number | null;
}
interface PlateauCase {
  name: string;
  monitor: MonitoredMetric;
  values: number[];
  learningRate: number;
  options: Record<string, unknown>;
  logged: number[];
  after: number[];
}
interface ScheduleCase {
  name: string;
  type: 'exponential' | 'cosine';
  initial: number;
  options: Record<string, unknown>;
  steps: number[];
  rates: number[];
}
const keras = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'keras_callbacks.json'), 'utf8')) as {
  earlyStopping: EarlyStoppingCase[];
  plateau: PlateauCase[];
  schedules: ScheduleCase[];
};

/** Keras' snake_case option names as KernelLab's. */
const camel = (options: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(options).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));

/** A loop with scripted epoch logs: just what these callbacks read and set. */
function scriptedLoop(hyperparameters: Hyperparameters, monitor: MonitoredMetric, restored: number[]): LoopContext & { epoch: number } {
  const loop = {
    runId: 1,
    hyperparameters,
    data: { validation: { count: 10 } },
    numClasses: 10,
    model: {},
    optimizer: makeOptimizer(hyperparameters),
    checkpoints: { restoreBest: () => restored.push(loop.state.bestEpoch!) },
    emit: () => undefined,
    monitor,
    resumed: false,
    batchesPerEpoch: 1,
    state: freshState(),
    stop: null,
    epoch: 0,
  };
  return loop as unknown as LoopContext & { epoch: number };
}

beforeAll(async () => {
  expect(await tf.setBackend('cpu')).toBe(true);
});

describe("early stopping decides as Keras' EarlyStopping", () => {
  for (const c of keras.earlyStopping) {
    it(c.name, async () => {
      const earlyStopping = EarlyStopping.parse({ monitor: c.monitor, ...camel(c.options) });
      const hp = Hyperparameters.parse({ epochs: c.values.length, learningRate: 0.01, earlyStopping });
      const restored: number[] = [];
      const loop = scriptedLoop(hp, c.monitor, restored);
      const callbacks: TrainingCallback[] = [
        new BestEpoch(loop, bestEpochRule(hp, c.monitor)),
        new EarlyStoppingCallback(loop, earlyStopping),
      ];
      let trained = 0;
      for (const [i, value] of c.values.entries()) {
        trained = i + 1;
        for (const cb of callbacks) await cb.onEpochEnd?.(i + 1, { [c.monitor]: value });
        if (loop.stop) break;
      }
      for (const cb of callbacks) await cb.onTrainEnd?.();
      expect({ trained, stopped: loop.stop === 'early_stopped', restored: restored[0] ?? null }).toEqual({
        trained: c.epochsTrained,
        stopped: c.stopped,
        restored: c.restoredEpoch,
      });
    });
  }

  it("'auto' watches accuracy upwards and loss downwards, as Keras' auto mode does", () => {
    const hp = Hyperparameters.parse({ epochs: 1, learningRate: 0.01, earlyStopping: {} });
    expect(bestEpochRule(hp, 'val_accuracy').increases).toBe(true);
    expect(bestEpochRule(hp, 'accuracy').increases).toBe(true);
    expect(bestEpochRule(hp, 'val_loss').increases).toBe(false);
  });
});

describe("ReduceLROnPlateau lowers the rate as Keras' does", () => {
  for (const c of keras.plateau) {
    it(c.name, async () => {
      const lrSchedule = LrSchedule.parse({ type: 'plateau', monitor: c.monitor, ...camel(c.options) });
      const hp = Hyperparameters.parse({ epochs: c.values.length, optimizer: 'sgd', learningRate: c.learningRate, lrSchedule });
      const loop = scriptedLoop(hp, c.monitor, []);
      const [plateau] = learningRateCallbacks(loop);
      await plateau!.onTrainBegin?.();
      const logged: number[] = [];
      const after: number[] = [];
      for (const [i, value] of c.values.entries()) {
        const logs: Record<string, number | null> = { [c.monitor]: value };
        await plateau!.onEpochEnd?.(i + 1, logs);
        logged.push(logs.learning_rate!);
        after.push(learningRateOf(loop.optimizer));
      }
      // Kept in float32 as Keras' optimizer variable keeps it: the same numbers, not just close ones.
      expect(logged).toEqual(c.logged);
      expect(after).toEqual(c.after);
      loop.optimizer.dispose();
    });
  }

  it('falls back from val_loss to loss when the run holds out no validation images', async () => {
    const hp = Hyperparameters.parse({ epochs: 3, learningRate: 0.01, validationSplit: 0, lrSchedule: { type: 'plateau', patience: 0 } });
    const loop = scriptedLoop(hp, 'loss', []);
    (loop as { data: unknown }).data = { validation: null };
    const [plateau] = learningRateCallbacks(loop);
    await plateau!.onTrainBegin?.();
    await plateau!.onEpochEnd?.(1, { loss: 1, val_loss: null });
    await plateau!.onEpochEnd?.(2, { loss: 2, val_loss: null });
    expect(learningRateOf(loop.optimizer)).toBeCloseTo(0.001, 9);
    loop.optimizer.dispose();
  });
});

describe("the step schedules give Keras' rates", () => {
  for (const c of keras.schedules) {
    it(c.name, () => {
      const schedule = LrSchedule.parse({ type: c.type, ...camel(c.options) });
      if (schedule.type === 'plateau') throw new Error('not a step schedule');
      const ours = c.steps.map((step) => scheduledRate(schedule, c.initial, { epoch: 1, step }));
      // Keras computes in float32; ours in float64, handed to tfjs as float32.
      for (const [i, rate] of c.rates.entries())
        expect(Math.abs(ours[i]! - rate), `step ${c.steps[i]}`).toBeLessThanOrEqual(1e-6 * c.initial);
    });
  }

  it("'step' multiplies by its factor every everyEpochs epochs, from epoch 1", () => {
    const schedule = { type: 'step', everyEpochs: 3, factor: 0.5 } as const;
    expect([1, 2, 3, 4, 6, 7, 10].map((epoch) => scheduledRate(schedule, 0.1, { epoch, step: 999 }))).toEqual([
      0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.0125,
    ]);
  });

  for (const optimizer of ['sgd', 'momentum', 'adam', 'rmsprop'] as const) {
    it(`reaches the ${optimizer} optimizer at every step (a step of a crafted variable moves by the scheduled rate)`, async () => {
      const hp = Hyperparameters.parse({
        epochs: 1,
        optimizer,
        learningRate: 0.1,
        lrSchedule: { type: 'exponential', decaySteps: 1, decayRate: 0.5 },
      });
      const loop = scriptedLoop(hp, 'val_loss', []);
      const [schedule] = learningRateCallbacks(loop);
      await schedule!.onTrainBegin?.();
      const x = tf.variable(tf.scalar(0));
      const moves: number[] = [];
      for (let step = 0; step < 3; step++) {
        const before = x.dataSync()[0]!;
        // Gradient 1 at every step: SGD moves by exactly the rate; the others by a rate-proportional amount.
        loop.optimizer.applyGradients({ [x.name]: tf.scalar(1) });
        moves.push(before - x.dataSync()[0]!);
        loop.state.globalStep++;
        await schedule!.onBatchEnd?.(1, step + 1, { read: async () => null });
      }
      expect(learningRateOf(loop.optimizer)).toBeCloseTo(0.1 * 0.5 ** 3, 12);
      if (optimizer === 'sgd') {
        expect(moves[0]).toBeCloseTo(0.1, 6);
        expect(moves[1]).toBeCloseTo(0.05, 6);
        expect(moves[2]).toBeCloseTo(0.025, 6);
      } else {
        // Adam's and RMSprop's first steps move by about the rate; each later step less, as the rate halves.
        expect(moves[1]!).toBeLessThan(moves[0]!);
        expect(moves[2]!).toBeLessThan(moves[1]!);
      }
      x.dispose();
      loop.optimizer.dispose();
    });
  }
});
