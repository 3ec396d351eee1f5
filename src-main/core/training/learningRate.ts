/**
 * Learning-rate schedules as training callbacks, each computed as Keras computes it: `step` as a
 * LearningRateScheduler step decay (set at each epoch's start), ExponentialDecay and CosineDecay
 * at every optimizer step (the rate of step n is schedule(n), n counted from 0 as Keras'
 * optimizer.iterations), ReduceLROnPlateau after every epoch. The rate a run trained with at the
 * end of each epoch is logged as `learning_rate`, as Keras' ReduceLROnPlateau logs it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { monitorIncreases, type LrSchedule, type MonitoredMetric } from '../contract/training.ts';
import type { EpochLogs } from './checkpointState.ts';
import type { LoopContext, TrainingCallback } from './callbacks.ts';

/** The optimizer's current learning rate. */
export function learningRateOf(optimizer: tf.Optimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}

/**
 * Sets the learning rate of the next steps. SGD and momentum keep it as a tensor (setLearningRate
 * replaces it); Adam (FusedAdam too) and RMSprop read the number at every step.
 */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  // Not `instanceof tf.SGDOptimizer`: tfjs' optimizers answer instanceof by duck typing, Adam included.
  const sgd = optimizer as Partial<Pick<tf.SGDOptimizer, 'setLearningRate'>>;
  if (typeof sgd.setLearningRate === 'function') sgd.setLearningRate(rate);
  else (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

type StepSchedule = Exclude<LrSchedule, { type: 'plateau' }>;

/** The rate of a schedule at an epoch (1-based, for `step`) and an optimizer step (0-based, the others). */
export function scheduledRate(schedule: StepSchedule, initial: number, at: { epoch: number; step: number }): number {
  switch (schedule.type) {
    case 'step':
      return initial * schedule.factor ** Math.floor((at.epoch - 1) / schedule.everyEpochs);
    case 'exponential': {
      const p = at.step / schedule.decaySteps;
      return initial * schedule.decayRate ** (schedule.staircase ? Math.floor(p) : p);
    }
    case 'cosine': {
      const step = Math.min(at.step, schedule.decaySteps);
      const cosine = 0.5 * (1 + Math.cos((Math.PI * step) / schedule.decaySteps));
      return initial * ((1 - schedule.alpha) * cosine + schedule.alpha);
    }
    default: {
      const unknown: never = schedule;
      throw new Error(`unknown learning-rate schedule ${JSON.stringify(unknown)}`);
    }
  }
}

/** Step, exponential and cosine schedules: a function of the epoch or step, so a resumed run picks up where it was. */
export class ScheduledLearningRate implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #schedule: StepSchedule;
  /** The rate the last step trained with: logged at the epoch's end. */
  #used: number;

  constructor(loop: LoopContext, schedule: StepSchedule) {
    this.#loop = loop;
    this.#schedule = schedule;
    this.#used = loop.hyperparameters.learningRate;
  }

  #set(epoch: number): void {
    const rate = scheduledRate(this.#schedule, this.#loop.hyperparameters.learningRate, { epoch, step: this.#loop.state.globalStep });
    setLearningRate(this.#loop.optimizer, rate);
  }

  onTrainBegin(): void {
    this.#set(this.#loop.state.epochsCompleted + 1);
  }

  onEpochBegin(epoch: number): void {
    if (this.#schedule.type === 'step') this.#set(epoch);
  }

  /** The step just taken trained with the current rate; the next one takes the schedule's rate at its step. */
  onBatchEnd(epoch: number): void {
    this.#used = learningRateOf(this.#loop.optimizer);
    if (this.#schedule.type !== 'step') this.#set(epoch);
  }

  onEpochEnd(_epoch: number, logs: EpochLogs): void {
    logs.learning_rate = this.#used;
  }
}

/**
 * Keras' ReduceLROnPlateau: after `patience` epochs without an improvement larger than minDelta,
 * multiply the rate by `factor` (not below minLr), then wait `cooldown` epochs before counting
 * again. Its state (best, wait, cooldown, current rate) is saved with every checkpoint. The rate
 * is kept in float32, as Keras' optimizer variable keeps it, so the sequence matches Keras' own.
 */
export class ReduceLrOnPlateau implements TrainingCallback {
  readonly #loop: LoopContext;
  readonly #spec: Extract<LrSchedule, { type: 'plateau' }>;
  readonly #monitor: MonitoredMetric;
  readonly #increases: boolean;

  constructor(loop: LoopContext, spec: Extract<LrSchedule, { type: 'plateau' }>) {
    this.#loop = loop;
    this.#spec = spec;
    // Without validation images a val_* metric never moves: its training counterpart, as early stopping does.
    const hasValidation = loop.data.validation !== null && loop.data.validation.count > 0;
    this.#monitor = !hasValidation && spec.monitor.startsWith('val_') ? (spec.monitor.slice(4) as MonitoredMetric) : spec.monitor;
    this.#increases = monitorIncreases(this.#monitor, spec.mode);
  }

  #improves(current: number, reference: number | null): boolean {
    if (reference === null) return true;
    return this.#increases ? current - this.#spec.minDelta > reference : current + this.#spec.minDelta < reference;
  }

  onTrainBegin(): void {
    const { state, hyperparameters, optimizer } = this.#loop;
    state.plateau ??= { best: null, wait: 0, cooldown: 0, learningRate: Math.fround(hyperparameters.learningRate) };
    setLearningRate(optimizer, state.plateau.learningRate);
  }

  onEpochEnd(_epoch: number, logs: EpochLogs): void {
    const plateau = this.#loop.state.plateau!;
    logs.learning_rate = plateau.learningRate;
    const current = logs[this.#monitor] ?? null;
    if (current === null) return;
    if (plateau.cooldown > 0) {
      plateau.cooldown--;
      plateau.wait = 0;
    }
    if (this.#improves(current, plateau.best)) {
      plateau.best = current;
      plateau.wait = 0;
    } else if (plateau.cooldown === 0) {
      plateau.wait++;
      if (plateau.wait >= this.#spec.patience && plateau.learningRate > Math.fround(this.#spec.minLr)) {
        plateau.learningRate = Math.fround(Math.max(plateau.learningRate * this.#spec.factor, this.#spec.minLr));
        setLearningRate(this.#loop.optimizer, plateau.learningRate);
        plateau.cooldown = this.#spec.cooldown;
        plateau.wait = 0;
      }
    }
  }
}

/** The callback of a run's schedule, if it has one. */
export function learningRateCallbacks(loop: LoopContext): TrainingCallback[] {
  const schedule = loop.hyperparameters.lrSchedule;
  if (!schedule) return [];
  return [schedule.type === 'plateau' ? new ReduceLrOnPlateau(loop, schedule) : new ScheduledLearningRate(loop, schedule)];
}
