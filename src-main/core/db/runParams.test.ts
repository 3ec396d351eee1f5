import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { StartRunInput } from '../contract/runs.ts';
import { queueSingleRun, queueSweep } from '../sweeps/queueing.ts';
import { tinyModel, tinySweep } from '../sweeps/sweepFixture.ts';
import { parseSweepSpec } from '../sweeps/sweepSpec.ts';
import { openDatabase } from './database.ts';
import { RunStore } from './RunStore.ts';
import { paramOfAxis, paramsVersion, runParams, type ModelParamsMemo } from './runParams.ts';

let temp: { dir: string; cleanup: () => void };
let store: RunStore;
beforeEach(() => {
  temp = makeTempDir('kernellab-params-');
  store = RunStore.open(join(temp.dir, 'kernellab.db'));
});
afterEach(() => {
  store.close();
  temp.cleanup();
});

const single = (input: object) => queueSingleRun(store, StartRunInput.parse(input));

describe('run params: every input that changes a result', () => {
  it('tells a run on all 60,000 images from one on 3,000 (compare --diff-only, the CSV export)', () => {
    const full = single({ run: { preset: 'lenet5-relu', dataset: 'mnist' }, set: { epochs: 1 } });
    const small = single({ run: { preset: 'lenet5-relu', dataset: 'mnist', subset: { train: 3000, test: 500 } }, set: { epochs: 1 } });
    const diff = store.compareRuns({ ids: [full.id, small.id], diffOnly: true });
    expect(diff.params).toEqual([
      { key: 'testImages', values: [10000, 500], differs: true },
      { key: 'trainImages', values: [60000, 3000], differs: true },
    ]);
    // Cells like "[6,16]" are quoted: split on commas outside quotes.
    const cells = (line: string) => line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) => c.replace(/,$/, ''));
    const csv = store.exportRuns({ runIds: [full.id, small.id] }, 'csv').content.split('\n');
    const column = cells(csv[0]!).indexOf('param.trainImages');
    expect(column).toBeGreaterThan(-1);
    expect(csv.slice(1, 3).map((line) => cells(line)[column])).toEqual(['60000', '3000']);
  });

  it('records dataset, validation split, preprocessing, backend and the model, for a run started by hand', () => {
    const run = single({
      run: { preset: 'lenet5-relu', dataset: 'fashion-mnist', hyperparameters: { validationSplit: 0.2, backend: 'wasm' } },
      set: { epochs: 2 },
    });
    expect(store.runDetail(run.id).params).toMatchObject({
      dataset: 'fashion-mnist',
      trainImages: 60000,
      testImages: 10000,
      validationSplit: 0.2,
      preprocessing: 'pixels/255',
      backend: 'wasm',
      model: 'lenet5_relu',
      kernelSize: 5,
      filters: '[6,16]',
      pooling: 'max',
      'layers.0.kernelSize': 5,
      'layers.2.filters': 16,
    });
  });

  it('gives a sweep run exactly the params of the same run started by hand: nothing is kept only as an axis value', async () => {
    const swept = await queueSweep(store, parseSweepSpec(tinySweep({ axes: { kernelSize: [5], 'layers[3].units': [32] } })));
    const byHand = single({ run: tinySweep().base, set: { kernelSize: 5, 'layers[3].units': 32 } });
    const { params: a } = store.runDetail(swept.runIds[0]!);
    const { params: b } = store.runDetail(byHand.id);
    expect(a).toEqual(b);
    expect(a).toMatchObject({ kernelSize: 5, 'layers.0.kernelSize': 5, 'layers.3.units': 32, trainImages: 300, testImages: 100 });
  });

  it('derives a model spec shared by a batch of runs once, with the params it derives per run (issue 12)', () => {
    const modelSpec = structuredClone(tinyModel);
    const run = (seed: number) => ({
      modelSpec,
      hyperparameters: { epochs: 1, seed },
      dataset: 'mnist',
      backend: 'cpu',
      environment: {},
    });
    const memo: ModelParamsMemo = new Map();
    const batch = [1, 2, 3].map((seed) => runParams(run(seed), memo));
    expect(memo.size).toBe(1);
    expect(batch).toEqual([1, 2, 3].map((seed) => runParams(run(seed))));
    expect(batch[0]!.find((p) => p.key === 'model')?.value).toBe(tinyModel.name);
    // Another spec object, even an equal one, is derived on its own: the memo never compares content.
    runParams({ ...run(4), modelSpec: structuredClone(tinyModel) }, memo);
    expect(memo.size).toBe(2);
  });

  it('names the param of every sweep axis, so the sweep view reads axis values from params alone', async () => {
    const { sweepId, runIds } = await queueSweep(
      store,
      parseSweepSpec(
        tinySweep({ axes: { kernelSize: [3], 'hyperparameters.learningRate': [0.1], 'layers[3].units': [8], pooling: ['avg'] } }),
      ),
    );
    const axes = store.getSweep(sweepId)!.axes;
    expect(axes).toEqual([
      { name: 'kernelSize', param: 'kernelSize' },
      { name: 'hyperparameters.learningRate', param: 'learningRate' },
      { name: 'layers[3].units', param: 'layers.3.units' },
      { name: 'pooling', param: 'pooling' },
    ]);
    const params = store.runDetail(runIds[0]!).params;
    expect(axes.map((a) => params[a.param])).toEqual([3, 0.1, 8, 'avg']);
    expect(paramOfAxis('model.layers.2.filters')).toBe('layers.2.filters');
  });

  it('a custom model: every layer field, and a list where layers differ', () => {
    const model = {
      ...tinyModel,
      layers: [{ type: 'conv2d', filters: 4, kernelSize: 5 }, { type: 'conv2d', filters: 8, kernelSize: 3 }, { type: 'flatten' }],
    };
    const run = single({ run: { model, dataset: 'mnist', hyperparameters: { learningRate: 0.01 } }, set: { epochs: 1 } });
    expect(store.runDetail(run.id).params).toMatchObject({
      model: 'tiny',
      kernelSize: '[5,3]',
      filters: '[4,8]',
      'layers.1.kernelSize': 3,
      'layers.2.type': 'flatten',
    });
  });

  it('the backend a worker got replaces "auto"', () => {
    const run = single({ run: { preset: 'lenet5-relu', dataset: 'mnist' }, set: { epochs: 1 } });
    expect(store.runDetail(run.id).params.backend).toBe('auto');
    store.setDevice(run.id, 'wasm', 'one thread');
    expect(store.runDetail(run.id).params.backend).toBe('wasm');
  });

  it('an imported run keeps them (derived again from the run, not taken from the file)', async () => {
    const small = single({ run: { preset: 'lenet5-relu', dataset: 'mnist', subset: { train: 3000 } }, set: { kernelSize: 3, epochs: 1 } });
    const exported = store.exportRuns({ runIds: [small.id] }, 'json').content;
    const other = RunStore.open(join(temp.dir, 'other.db'));
    try {
      expect(await other.importRuns(exported)).toEqual({ imported: 1, skipped: 0 });
      const imported = other.getRunByUuid(small.uuid)!;
      expect(other.runDetail(imported.id).params).toEqual(store.runDetail(small.id).params);
      expect(other.runDetail(imported.id).params).toMatchObject({ trainImages: 3000, kernelSize: 3 });
    } finally {
      other.close();
    }
  });

  it('has every notebook knob, with the optimizer constants of its optimizer only and the values it trains with', () => {
    const params = (hyperparameters: object) =>
      store.runDetail(single({ run: { preset: 'lenet5-relu', dataset: 'mnist', hyperparameters }, set: { epochs: 1 } }).id).params;
    const adam = params({ optimizer: 'adam', epsilon: 1e-8, validationSplitMode: 'tail', shuffle: false });
    expect(adam).toMatchObject({ optimizer: 'adam', beta1: 0.9, beta2: 0.999, epsilon: 1e-8, validationSplitMode: 'tail', shuffle: false });
    for (const unused of ['momentum', 'rho', 'centered', 'nesterov']) expect(adam).not.toHaveProperty(unused);
    expect(params({ optimizer: 'rmsprop' })).toMatchObject({ rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    expect(params({ optimizer: 'momentum' })).toMatchObject({ momentum: 0.9, nesterov: false });
    expect(params({ optimizer: 'sgd' })).not.toHaveProperty('beta1');
    const scheduled = params({
      lrSchedule: { type: 'cosine', decaySteps: 1000 },
      earlyStopping: { monitor: 'val_accuracy', patience: 2, baseline: 0.9 },
    });
    expect(scheduled).toMatchObject({
      'lrSchedule.type': 'cosine',
      'lrSchedule.decaySteps': 1000,
      'lrSchedule.alpha': 0,
      'earlyStopping.monitor': 'val_accuracy',
      'earlyStopping.patience': 2,
      'earlyStopping.baseline': 0.9,
      'earlyStopping.mode': 'auto',
      'earlyStopping.restoreBestWeights': false,
    });
  });

  it("has each layer's and the output's initialisers, bias and regularisers", () => {
    const model = {
      ...tinyModel,
      layers: [
        {
          type: 'conv2d',
          filters: 4,
          kernelSize: 3,
          kernelInitializer: { type: 'truncated_normal', stddev: 0.1 },
          biasInitializer: { type: 'constant', value: 0.1 },
        },
        { type: 'flatten' },
        { type: 'dense', units: 8, useBias: false, kernelRegularizer: { l2: 1e-4 } },
      ],
      output: { kernelInitializer: 'he_normal' },
    };
    const run = single({ run: { model, dataset: 'mnist', hyperparameters: { learningRate: 0.01 } }, set: { epochs: 1 } });
    expect(store.runDetail(run.id).params).toMatchObject({
      'layers.0.kernelInitializer.type': 'truncated_normal',
      'layers.0.kernelInitializer.stddev': 0.1,
      'layers.0.kernelInitializer.mean': 0,
      'layers.0.biasInitializer.value': 0.1,
      'layers.0.useBias': true,
      'layers.2.useBias': false,
      'layers.2.kernelRegularizer.l2': 1e-4,
      'layers.2.kernelRegularizer.l1': 0,
      'output.kernelInitializer.type': 'he_normal',
      'output.biasInitializer.type': 'zeros',
    });
  });

  it('reads a run recorded before these knobs existed as it trained: the same params as that run queued today', () => {
    const today = single({ run: { model: tinyModel, dataset: 'mnist', hyperparameters: { learningRate: 0.001 } }, set: { epochs: 2 } });
    const path = join(temp.dir, 'before-knobs.db');
    const old = openDatabase(path, { targetVersion: 7 });
    // What KernelLab stored before: the old schema's defaults (momentum 0.9 for every optimizer), layers without initialisers.
    const oldHyperparameters = {
      epochs: 2,
      batchSize: 32,
      optimizer: 'adam',
      learningRate: 0.001,
      momentum: 0.9,
      validationSplit: 0.1,
      validateOn: 'split',
      checkpointMonitor: 'val_loss',
      seed: 42,
    };
    const oldModel = {
      ...tinyModel,
      layers: [
        { type: 'conv2d', filters: 4, kernelSize: 3, strides: 2, padding: 'valid', activation: 'relu' },
        { type: 'maxPool2d', poolSize: 2, padding: 'valid' },
        { type: 'flatten' },
        { type: 'dense', units: 16, activation: 'relu' },
      ],
    };
    old.db
      .prepare(
        `INSERT INTO runs (uuid, name, status, model_spec, dataset, backend, seed, hyperparameters, environment, created_at, updated_at)
         VALUES ('00000000-0000-4000-8000-000000000009', 'old run', 'completed', ?, 'mnist', 'auto', 42, ?, '{}', 1, 1)`,
      )
      .run(JSON.stringify(oldModel), JSON.stringify(oldHyperparameters));
    old.db.close();
    const upgraded = RunStore.open(path);
    try {
      expect(upgraded.runDetail(1).params).toEqual(store.runDetail(today.id).params);
    } finally {
      upgraded.close();
    }
  });

  it('derives again the params of runs an older KernelLab recorded, when the database opens', () => {
    const path = join(temp.dir, 'old.db');
    const old = openDatabase(path, { targetVersion: 3 });
    old.db
      .prepare(
        `INSERT INTO runs (uuid, name, status, model_spec, dataset, backend, seed, hyperparameters, environment, created_at, updated_at)
         VALUES ('00000000-0000-4000-8000-000000000001', 'old run', 'completed', ?, 'mnist', 'wasm', 7, '{"epochs":2}', '{"subset":{"trainPerClass":300}}', 1, 1)`,
      )
      .run(JSON.stringify(tinyModel));
    old.db.prepare("INSERT INTO params (run_id, key, value, kind) VALUES (1, 'epochs', 2, 'number')").run();
    old.db.close();
    const upgraded = RunStore.open(path);
    try {
      expect(upgraded.runDetail(1).params).toMatchObject({ epochs: 2, trainImages: 3000, kernelSize: 3, backend: 'wasm' });
    } finally {
      upgraded.close();
    }
    const check = new Database(path, { readonly: true });
    expect(check.prepare('SELECT params_version FROM runs').pluck().get()).toBe(paramsVersion);
    check.close();
  });
});

describe('one row per fact: a layer field and the named param that reads it are not two differences', () => {
  const twoConv = {
    ...tinyModel,
    layers: [
      { type: 'conv2d' as const, filters: 4, kernelSize: 3 },
      { type: 'maxPool2d' as const, poolSize: 2 },
      { type: 'conv2d' as const, filters: 8, kernelSize: 3 },
      { type: 'flatten' as const },
      { type: 'dense' as const, units: 16 },
    ],
  };
  const diffOf = async (axes: Record<string, unknown[]>, model: object = twoConv) => {
    const base = { ...tinySweep().base, model };
    const { runIds, sweepId } = await queueSweep(store, parseSweepSpec(tinySweep({ base, axes } as never)));
    return { diff: store.compareRuns({ ids: runIds, diffOnly: true }).params.map((p) => p.key), sweepId };
  };

  it('a kernelSize sweep differs in kernelSize alone, though both conv layers changed', async () => {
    const { diff, sweepId } = await diffOf({ kernelSize: [3, 5] });
    expect(diff).toEqual(['kernelSize']);
    expect(store.tableColumns({ sweepId }).varying).toEqual(['kernelSize']);
    // The layers' own params are still recorded: a filter or a pivot can use them.
    expect(Object.keys(store.runDetail(store.listRuns({ sweepId }).rows[0]!.id).params)).toContain('layers.2.kernelSize');
  });

  it('a sweep of one layer differs in that layer, not in the list the named param becomes', async () => {
    const { diff, sweepId } = await diffOf({ 'layers[2].kernelSize': [3, 5] });
    expect(diff).toEqual(['layers.2.kernelSize']);
    expect(store.tableColumns({ sweepId }).varying).toEqual(['layers.2.kernelSize']);
  });

  it('keeps the name the user swept, where the model has one conv layer and both names say the same', async () => {
    expect((await diffOf({ 'layers[0].kernelSize': [3, 5] }, tinyModel)).diff).toEqual(['layers.0.kernelSize']);
    expect((await diffOf({ kernelSize: [3, 5] }, tinyModel)).diff).toEqual(['kernelSize']);
  });

  it('pooling is one row, not also each pooling layer’s type', async () => {
    expect((await diffOf({ pooling: ['max', 'avg'] })).diff).toEqual(['pooling']);
  });

  it('two settings that change together are two facts, each its own row', () => {
    const a = single({ run: { model: tinyModel, dataset: 'mnist', hyperparameters: { learningRate: 0.01 } }, set: { epochs: 1 } });
    const b = single({
      run: { model: tinyModel, dataset: 'mnist', hyperparameters: { learningRate: 0.1 } },
      set: { epochs: 1, kernelSize: 5 },
    });
    expect(store.compareRuns({ ids: [a.id, b.id], diffOnly: true }).params.map((p) => p.key)).toEqual(['kernelSize', 'learningRate']);
    // Without diff-only, each fact once too.
    const all = store.compareRuns({ ids: [a.id, b.id] }).params.map((p) => p.key);
    expect(all).toContain('kernelSize');
    expect(all).not.toContain('layers.0.kernelSize');
    expect(all).not.toContain('layers.0.filters');
    expect(all).toContain('layers.3.units');
  });
});
