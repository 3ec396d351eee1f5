/**
 * Where the time of one training step goes: every kernel registered for the backend is wrapped
 * with a timer while the profile runs, and the step's phases (data feeding, forward, backward,
 * optimizer, stats, the read of the step's numbers) are marked by the same trainStep the training
 * loop runs. Kernel times are exclusive: a kernel built from other kernels (ours on wasm) counts
 * only its own work, the kernels it calls count under their own names. Time in a phase outside
 * every kernel is the engine's and the layers' JavaScript: tape, tidy, shape checks.
 *
 * Times are CPU time of this process (getrusage, every thread) as well as wall time: on a machine
 * other work shares, wall time counts the waits for a core, CPU time does not.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { RawSplit } from '../src-main/core/datasets/index.ts';
import { epochOrder } from '../src-main/core/datasets/index.ts';
import { buildModel } from '../src-main/core/models/buildModel.ts';
import { dropoutClock } from '../src-main/core/models/customLayers.ts';
import type { Hyperparameters, ModelSpec } from '../src-main/core/contract/training.ts';
import { batchTensors } from '../src-main/core/training/batches.ts';
import { makeOptimizer } from '../src-main/core/training/trainer.ts';
import { trainStep, type StepPhase } from '../src-main/core/training/trainStep.ts';

export type ProfilePhase = 'feed' | StepPhase | 'read';
export const profilePhases: readonly ProfilePhase[] = ['feed', 'forward', 'backward', 'optimizer', 'stats', 'read'];

/** Milliseconds per step: CPU time of the process and wall time. */
export interface Cost {
  cpu: number;
  wall: number;
}

export interface KernelTime {
  phase: ProfilePhase;
  kernel: string;
  /** Exclusive time per step. */
  ms: Cost;
  callsPerStep: number;
}

export interface StepProfile {
  steps: number;
  /** Per step, all phases. */
  step: Cost;
  phase: Record<ProfilePhase, Cost>;
  kernels: KernelTime[];
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const now = (): Cost => ({ cpu: cpuMs(), wall: performance.now() });
const zero = (): Cost => ({ cpu: 0, wall: 0 });

class KernelTimer {
  phase: ProfilePhase = 'feed';
  readonly #stack: { child: Cost }[] = [];
  readonly #totals = new Map<string, { phase: ProfilePhase; kernel: string; ms: Cost; calls: number }>();
  readonly #originals: tf.KernelConfig[] = [];

  readonly backendName: string;

  constructor(backendName: string) {
    this.backendName = backendName;
  }

  install(): void {
    for (const config of tf.getKernelsForBackend(this.backendName)) {
      this.#originals.push(config);
      const original = config.kernelFunc;
      const name = config.kernelName;
      tf.unregisterKernel(name, config.backendName);
      tf.registerKernel({ ...config, kernelFunc: (args) => this.#timed(name, () => original(args)) });
    }
  }

  restore(): void {
    for (const config of this.#originals) {
      tf.unregisterKernel(config.kernelName, config.backendName);
      tf.registerKernel(config);
    }
    this.#originals.length = 0;
  }

  reset(): void {
    this.#totals.clear();
  }

  totals() {
    return [...this.#totals.values()];
  }

  #timed<T>(kernel: string, run: () => T): T {
    const frame = { child: zero() };
    this.#stack.push(frame);
    const start = now();
    try {
      return run();
    } finally {
      const end = now();
      const cpu = end.cpu - start.cpu;
      const wall = end.wall - start.wall;
      this.#stack.pop();
      const parent = this.#stack.at(-1);
      if (parent) {
        parent.child.cpu += cpu;
        parent.child.wall += wall;
      }
      const key = `${this.phase}\u0000${kernel}`;
      const entry = this.#totals.get(key) ?? { phase: this.phase, kernel, ms: zero(), calls: 0 };
      entry.ms.cpu += cpu - frame.child.cpu;
      entry.ms.wall += wall - frame.child.wall;
      entry.calls++;
      this.#totals.set(key, entry);
    }
  }
}

/**
 * Trains `warmup + steps` steps of `spec` on the current backend and profiles the last `steps`.
 * The model, optimizer and batches are the ones a run would use (seeded order, batch size).
 */
export function profileSteps(
  spec: ModelSpec,
  hp: Pick<Hyperparameters, 'optimizer' | 'learningRate' | 'momentum' | 'seed'>,
  train: RawSplit,
  batchSize: number,
  options: { warmup: number; steps: number },
): StepProfile {
  const model = buildModel(spec, hp.seed);
  const optimizer = makeOptimizer(hp as Hyperparameters);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const order = epochOrder(train.count, hp.seed, 1);
  const timer = new KernelTimer(tf.getBackend());
  const fresh = () => Object.fromEntries(profilePhases.map((p) => [p, zero()])) as Record<ProfilePhase, Cost>;
  let phase = fresh();
  let total = zero();
  const batches = Math.floor(train.count / batchSize);
  timer.install();
  try {
    for (let step = 0; step < options.warmup + options.steps; step++) {
      if (step === options.warmup) {
        timer.reset();
        phase = fresh();
        total = zero();
      }
      const start = ((step % batches) * batchSize) % train.count;
      const stepStart = now();
      let mark = stepStart;
      const enter = (next: ProfilePhase): void => {
        const at = now();
        phase[timer.phase].cpu += at.cpu - mark.cpu;
        phase[timer.phase].wall += at.wall - mark.wall;
        mark = at;
        timer.phase = next;
      };
      timer.phase = 'feed';
      dropoutClock.step = step;
      const batch = batchTensors(train, order, start, start + batchSize, spec.numClasses);
      const checked = trainStep({ model, optimizer, vars }, batch, enter);
      enter('read');
      checked.dataSync();
      tf.dispose([checked, batch.x, batch.y, batch.labels]);
      enter('feed');
      total.cpu += mark.cpu - stepStart.cpu;
      total.wall += mark.wall - stepStart.wall;
    }
  } finally {
    timer.restore();
    optimizer.dispose();
    model.dispose();
  }
  const n = options.steps;
  const per = (c: Cost): Cost => ({ cpu: c.cpu / n, wall: c.wall / n });
  return {
    steps: n,
    step: per(total),
    phase: Object.fromEntries(profilePhases.map((p) => [p, per(phase[p])])) as Record<ProfilePhase, Cost>,
    kernels: timer
      .totals()
      .map((t) => ({ phase: t.phase, kernel: t.kernel, ms: per(t.ms), callsPerStep: t.calls / n }))
      .sort((a, b) => profilePhases.indexOf(a.phase) - profilePhases.indexOf(b.phase) || b.ms.cpu - a.ms.cpu),
  };
}
