import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs' Adam updates each variable with a dozen elementwise kernels (moments, bias correction,
 * square root, step), each a pass over the variable and a round trip through the engine: for the
 * small variables of a LeNet-5 the round trips are most of the optimizer's time. Where the backend
 * has the kernel below, this Adam updates a small variable in one kernel; a large one keeps tfjs'
 * kernels, whose SIMD passes beat one scalar JavaScript pass (820k floats: 5.4 ms against 11 ms).
 * Elsewhere it is tfjs' Adam. Either way the moments, beta
 * powers and iteration count live in tfjs' own fields, so checkpoints (getWeights/setWeights and
 * the beta powers checkpointIO saves) are those of tf.train.adam.
 *
 * The kernel rounds every intermediate to float32 in tfjs' order of operations, so its results
 * are bitwise those of tfjs' Adam on the same backend (fusedAdam.test.ts).
 */
export const adamUpdateKernel = 'KernelLabAdamUpdate';

/** Variables up to this many floats take the fused kernel (where round trips cost more than passes). */
export const fusedAdamMaxSize = 16384;

/** Attributes of the kernel; inputs {value, m, v, gradient, accBeta1, accBeta2} → [value, m, v]. */
export interface AdamUpdateAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

interface AdamFields {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

type AdamGradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: AdamGradients): void {
    if (!tf.getKernel(adamUpdateKernel, tf.getBackend())) {
      super.applyGradients(variableGradients);
      return;
    }
    const self = this as unknown as AdamFields;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const attrs = { learningRate: self.learningRate, beta1: self.beta1, beta2: self.beta2, epsilon: self.epsilon };
    tf.tidy(() => {
      const oneMinusAccBeta1 = tf.sub(1, self.accBeta1);
      const oneMinusAccBeta2 = tf.sub(1, self.accBeta2);
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        // As tfjs' Adam creates them, under the same names.
        self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = self.accumulatedFirstMoment[i].variable;
        const v = self.accumulatedSecondMoment[i].variable;
        if (value.size > fusedAdamMaxSize) {
          // tfjs' own update, op for op.
          const newM = tf.add(tf.mul(m, self.beta1), tf.mul(gradient, 1 - self.beta1));
          const newV = tf.add(tf.mul(v, self.beta2), tf.mul(tf.square(gradient), 1 - self.beta2));
          const mHat = tf.div(newM, oneMinusAccBeta1);
          const vHat = tf.div(newV, oneMinusAccBeta2);
          m.assign(newM);
          v.assign(newV);
          value.assign(tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), self.epsilon)), -self.learningRate), value));
          return;
        }
        const [newValue, newM, newV] = tf
          .engine()
          .runKernel(
            adamUpdateKernel,
            { value, m, v, gradient, accBeta1: self.accBeta1, accBeta2: self.accBeta2 },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      self.accBeta1.assign(tf.mul(self.accBeta1, self.beta1));
      self.accBeta2.assign(tf.mul(self.accBeta2, self.beta2));
    });
    this.incrementIterations();
  }
}
