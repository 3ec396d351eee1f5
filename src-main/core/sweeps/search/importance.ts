/**
 * Which axis mattered: fANOVA (Hutter et al. 2014, "An Efficient Approach for Assessing
 * Hyperparameter Importance"), as Optuna's default `FanovaImportanceEvaluator`. A random forest
 * is fitted to predict the metric from the axis values; in each tree the variance of the
 * prediction over the whole space is split into the share explained by each axis alone (its
 * marginal: the prediction averaged over every other axis, as a function of this one). An axis's
 * importance is that share averaged over the trees, normalised so the axes sum to 1.
 *
 * The forest is ml-random-forest (mljs; bootstrap bagging, CART regression trees from ml-cart).
 * Its CART tries every midpoint with a full pass over the node's rows, O(n²) per node, so a tree
 * on 1,000 trials costs ~25× one on 200: above `maxTreeSamples` (200) trials, trees are fitted in groups,
 * each group on its own seeded subsample (subbagging, as scikit-learn's max_samples does).
 *
 * Numeric axes are features in their own units, log axes in log space (the measure a log range is
 * searched in); a categorical axis is one-hot encoded, one [0, 1] column per choice, and its
 * marginal is taken over those columns together (as Optuna does).
 */
import { RandomForestRegression } from 'ml-random-forest';
import { deriveSeed, SeededRandom } from '../../random.ts';

export type ImportanceFeature =
  { name: string; kind: 'numeric'; low: number; high: number; log: boolean } | { name: string; kind: 'categorical'; choices: number };

export interface ImportanceInput {
  features: readonly ImportanceFeature[];
  /** One row per trial: a numeric feature's value (not yet logged), or a categorical choice's index. */
  rows: readonly (readonly number[])[];
  target: readonly number[];
  seed: number;
  trees?: number;
  maxDepth?: number;
  maxTreeSamples?: number;
}

export interface AxisImportance {
  name: string;
  /** Share of the metric's variance this axis explains alone, normalised over the axes (0 to 1). */
  importance: number;
  /** Spread of that share over the forest's trees (before normalising). */
  std: number;
}

interface Node {
  feature: number; // -1 for a leaf
  threshold: number;
  left: number;
  right: number;
  value: number;
}

/** A fitted tree flattened into arrays of nodes (root at 0), with its features in the forest's columns. */
interface FlatTree {
  nodes: Node[];
}

interface CartNode {
  splitColumn?: number;
  splitValue?: number;
  left?: CartNode;
  right?: CartNode;
  distribution?: unknown;
}

function flatten(root: CartNode, columns: readonly number[]): FlatTree {
  const nodes: Node[] = [];
  const visit = (node: CartNode): number => {
    const index = nodes.length;
    const isLeaf = !(node.left && node.right) || typeof node.splitColumn !== 'number' || typeof node.splitValue !== 'number';
    nodes.push({
      feature: isLeaf ? -1 : columns[node.splitColumn!]!,
      threshold: isLeaf ? 0 : node.splitValue!,
      left: -1,
      right: -1,
      value: isLeaf ? Number(node.distribution) : 0,
    });
    if (!isLeaf) {
      nodes[index]!.left = visit(node.left!);
      nodes[index]!.right = visit(node.right!);
    }
    return index;
  };
  visit(root);
  return { nodes };
}

/** One forest of `trees` trees over X, y (ml-random-forest), flattened. */
function fitTrees(x: number[][], y: number[], trees: number, maxDepth: number, seed: number): FlatTree[] {
  const forest = new RandomForestRegression({
    nEstimators: trees,
    // Every tree sees every column (as scikit-learn's regressor and Optuna's evaluator do).
    maxFeatures: 1.0,
    replacement: false,
    useSampleBagging: true,
    noOOB: true,
    seed,
    treeOptions: { maxDepth, minNumSamples: 1 },
  });
  forest.train(x, y);
  const estimators = (forest as unknown as { estimators: { root: CartNode }[] }).estimators;
  const indexes = forest.indexes ?? [];
  return estimators.map((e, i) => flatten(e.root, indexes[i] ?? []));
}

/** The variance decomposition of one tree over a box of bounds (Optuna's _FanovaTree). */
class FanovaTree {
  readonly #nodes: Node[];
  readonly #bounds: readonly [number, number][];
  /** Per node: [weighted mean of its leaves' values, total volume of its leaves' boxes]. */
  readonly #statistics: [number, number][];
  /** Per feature: the midpoints and widths of the cells its split thresholds cut its range into. */
  readonly #midpoints: number[][];
  readonly #sizes: number[][];
  /** Per node: which features its subtree splits on. */
  readonly #subtreeFeatures: Set<number>[];
  readonly variance: number;

  constructor(tree: FlatTree, bounds: readonly [number, number][]) {
    this.#nodes = tree.nodes;
    this.#bounds = bounds;
    this.#statistics = this.#precomputeStatistics();
    const { midpoints, sizes } = this.#precomputeMidpoints();
    this.#midpoints = midpoints;
    this.#sizes = sizes;
    this.#subtreeFeatures = this.#precomputeSubtreeFeatures();
    let mean = 0;
    let total = 0;
    const leaves = this.#nodes.map((n, i) => [n, i] as const).filter(([n]) => n.feature < 0);
    for (const [, i] of leaves) {
      const [v, w] = this.#statistics[i]!;
      mean += v * w;
      total += w;
    }
    mean /= total;
    let variance = 0;
    for (const [, i] of leaves) {
      const [v, w] = this.#statistics[i]!;
      variance += w * (v - mean) ** 2;
    }
    this.variance = total > 0 ? variance / total : 0;
  }

  #precomputeStatistics(): [number, number][] {
    const n = this.#nodes.length;
    const stats: [number, number][] = new Array(n);
    const boxes: ([number, number][] | undefined)[] = new Array(n);
    boxes[0] = this.#bounds.map((b) => [b[0], b[1]]);
    // Children always come after their parent in the flattened order.
    for (let i = 0; i < n; i++) {
      const node = this.#nodes[i]!;
      const box = boxes[i]!;
      if (node.feature < 0) {
        stats[i] = [node.value, box.reduce((a, [lo, hi]) => a * (hi - lo), 1)];
        continue;
      }
      const left = box.map((b) => [...b] as [number, number]);
      const right = box.map((b) => [...b] as [number, number]);
      left[node.feature]![1] = node.threshold;
      right[node.feature]![0] = node.threshold;
      boxes[node.left] = left;
      boxes[node.right] = right;
    }
    for (let i = n - 1; i >= 0; i--) {
      const node = this.#nodes[i]!;
      if (node.feature < 0) continue;
      const [vl, wl] = stats[node.left]!;
      const [vr, wr] = stats[node.right]!;
      const w = wl + wr;
      stats[i] = [w > 0 ? (vl * wl + vr * wr) / w : (vl + vr) / 2, w];
    }
    return stats;
  }

  #precomputeMidpoints(): { midpoints: number[][]; sizes: number[][] } {
    const splits = this.#bounds.map(() => new Set<number>());
    for (const node of this.#nodes) if (node.feature >= 0) splits[node.feature]!.add(node.threshold);
    const midpoints: number[][] = [];
    const sizes: number[][] = [];
    this.#bounds.forEach(([lo, hi], f) => {
      const edges = [lo, ...[...splits[f]!].filter((t) => t > lo && t < hi).sort((a, b) => a - b), hi];
      midpoints.push(edges.slice(1).map((e, i) => 0.5 * (e + edges[i]!)));
      sizes.push(edges.slice(1).map((e, i) => e - edges[i]!));
    });
    return { midpoints, sizes };
  }

  #precomputeSubtreeFeatures(): Set<number>[] {
    const out: Set<number>[] = this.#nodes.map(() => new Set<number>());
    for (let i = this.#nodes.length - 1; i >= 0; i--) {
      const node = this.#nodes[i]!;
      if (node.feature < 0) continue;
      out[i]!.add(node.feature);
      for (const f of out[node.left]!) out[i]!.add(f);
      for (const f of out[node.right]!) out[i]!.add(f);
    }
    return out;
  }

  /** The variance of the marginal prediction over `features` (the other features averaged out). */
  marginalVariance(features: readonly number[]): number {
    const grids = features.map((f) => this.#midpoints[f]!);
    const sizes = features.map((f) => this.#sizes[f]!);
    const values: number[] = [];
    const weights: number[] = [];
    const sample = new Map<number, number>();
    const counters = features.map(() => 0);
    for (;;) {
      let size = 1;
      features.forEach((f, k) => {
        sample.set(f, grids[k]![counters[k]!]!);
        size *= sizes[k]![counters[k]!]!;
      });
      const [value, weight] = this.#marginalized(sample);
      values.push(value);
      weights.push(weight * size);
      let k = features.length - 1;
      while (k >= 0) {
        counters[k]!++;
        if (counters[k]! < grids[k]!.length) break;
        counters[k] = 0;
        k--;
      }
      if (k < 0) break;
    }
    const total = weights.reduce((a, b) => a + b, 0);
    if (total <= 0) return 0;
    const mean = values.reduce((a, v, i) => a + v * weights[i]!, 0) / total;
    return Math.max(0, values.reduce((a, v, i) => a + weights[i]! * (v - mean) ** 2, 0) / total);
  }

  /** The prediction at `sample` (values for some features), averaged over the others; and its weight. */
  #marginalized(sample: ReadonlyMap<number, number>): [number, number] {
    const active = [...sample.keys()];
    const slot = new Map(active.map((f, k) => [f, k]));
    // Only the active features' bounds matter: a marginalised feature counts with a width of 1
    // (its volume cancels out), so the box holds [low, high] of each active feature alone.
    const root = new Float64Array(active.length * 2);
    active.forEach((f, k) => {
      root[2 * k] = this.#bounds[f]![0];
      root[2 * k + 1] = this.#bounds[f]![1];
    });
    const stack: { node: number; box: Float64Array }[] = [{ node: 0, box: root }];
    let sum = 0;
    let weightSum = 0;
    while (stack.length > 0) {
      const { node: index, box } = stack.pop()!;
      const node = this.#nodes[index]!;
      if (node.feature >= 0) {
        const k = slot.get(node.feature);
        if (k !== undefined) {
          const goLeft = sample.get(node.feature)! < node.threshold;
          const next = box.slice();
          next[2 * k + (goLeft ? 1 : 0)] = node.threshold;
          stack.push({ node: goLeft ? node.left : node.right, box: next });
          continue;
        }
        if (active.some((f) => this.#subtreeFeatures[index]!.has(f))) {
          stack.push({ node: node.left, box }, { node: node.right, box });
          continue;
        }
      }
      const [value, weight] = this.#statistics[index]!;
      let cardinality = 1;
      for (let k = 0; k < active.length; k++) cardinality *= box[2 * k + 1]! - box[2 * k]!;
      const w = weight / cardinality;
      sum += value * w;
      weightSum += w;
    }
    return [weightSum > 0 ? sum / weightSum : 0, weightSum];
  }
}

/**
 * Each axis's fANOVA importance for the target, best first. Axes with a single value get 0; with
 * fewer than two trials, or a target that never varies, every axis gets 0.
 */
export function fanovaImportance(input: ImportanceInput): AxisImportance[] {
  const { features, rows, target } = input;
  const trees = input.trees ?? 64;
  const maxDepth = input.maxDepth ?? 64;
  const maxTreeSamples = input.maxTreeSamples ?? 200;
  // Encode: the forest's columns and each feature's columns among them.
  const bounds: [number, number][] = [];
  const columnsOf: number[][] = [];
  const varying: boolean[] = [];
  for (const f of features) {
    if (f.kind === 'numeric') {
      const lo = f.log ? Math.log(f.low) : f.low;
      const hi = f.log ? Math.log(f.high) : f.high;
      varying.push(hi > lo);
      columnsOf.push(hi > lo ? [bounds.length] : []);
      if (hi > lo) bounds.push([lo, hi]);
    } else {
      varying.push(f.choices > 1);
      const cols: number[] = [];
      if (f.choices > 1) for (let c = 0; c < f.choices; c++) cols.push(bounds.push([0, 1]) - 1);
      columnsOf.push(cols);
    }
  }
  const zero = () => features.map((f) => ({ name: f.name, importance: 0, std: 0 }));
  const finite = rows.map((_, i) => i).filter((i) => Number.isFinite(target[i]!));
  if (bounds.length === 0 || finite.length < 2 || new Set(finite.map((i) => target[i])).size < 2) return zero();
  const x = finite.map((i) => {
    const out = new Array<number>(bounds.length).fill(0);
    features.forEach((f, k) => {
      const cols = columnsOf[k]!;
      if (cols.length === 0) return;
      const v = rows[i]![k]!;
      if (f.kind === 'numeric') out[cols[0]!] = f.log ? Math.log(v) : v;
      else if (v >= 0 && v < cols.length) out[cols[v]!] = 1;
    });
    return out;
  });
  const y = finite.map((i) => target[i]!);

  const fitted: FlatTree[] = [];
  if (x.length <= maxTreeSamples) fitted.push(...fitTrees(x, y, trees, maxDepth, deriveSeed(input.seed, 'fanova-forest')));
  else {
    const rng = new SeededRandom(deriveSeed(input.seed, 'fanova-subsample'));
    const groups = Math.ceil(trees / 8);
    for (let g = 0; g < groups; g++) {
      const picked = rng.permutation(x.length).slice(0, maxTreeSamples);
      const n = Math.min(8, trees - g * 8);
      fitted.push(
        ...fitTrees(
          [...picked].map((i) => x[i]!),
          [...picked].map((i) => y[i]!),
          n,
          maxDepth,
          deriveSeed(input.seed, `fanova-${g}`),
        ),
      );
    }
  }
  const fanovaTrees = fitted.map((t) => new FanovaTree(t, bounds)).filter((t) => t.variance > 0);
  if (fanovaTrees.length === 0) return zero();
  const raw = features.map((f, k) => {
    if (!varying[k]) return { name: f.name, mean: 0, std: 0 };
    const fractions = fanovaTrees.map((t) => t.marginalVariance(columnsOf[k]!) / t.variance);
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    const std = Math.sqrt(fractions.reduce((a, b) => a + (b - mean) ** 2, 0) / fractions.length);
    return { name: f.name, mean, std };
  });
  const total = raw.reduce((a, r) => a + r.mean, 0);
  return raw
    .map((r) => ({ name: r.name, importance: total > 0 ? r.mean / total : 0, std: r.std }))
    .sort((a, b) => b.importance - a.importance);
}
