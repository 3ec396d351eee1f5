import { flushSync } from 'svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, call } from './api.ts';
import { previewDelayMs, RunDraft } from './runDraft.svelte.ts';

// Drafts run against a real `kernellab serve` (rendererGlobalSetup.ts) with MNIST on the machine
// and no other dataset. Nothing here starts a run that trains.

async function loaded(mode: 'run' | 'sweep' = 'run'): Promise<RunDraft> {
  const draft = new RunDraft(() => mode);
  await draft.load();
  expect(draft.loadError).toBeUndefined();
  return draft;
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** Previews the draft as the view does: again on every edit, debounced. */
function previewing(draft: RunDraft): void {
  stops.push(
    $effect.root(() => {
      $effect(() => draft.schedulePreview());
    }),
  );
  flushSync();
}

describe('RunDraft', () => {
  it("takes the chosen preset's hyperparameters, and another preset's when the user picks it", async () => {
    const draft = await loaded();
    const lenet = draft.presets.find((p) => p.id === 'lenet5-relu')!;
    expect(draft.preset?.id).toBe('lenet5-relu');
    expect([draft.epochs, draft.batchSize, draft.optimizer, draft.learningRate, draft.seed]).toEqual([
      lenet.hyperparameters.epochs,
      lenet.hyperparameters.batchSize,
      lenet.hyperparameters.optimizer,
      lenet.hyperparameters.learningRate,
      lenet.hyperparameters.seed,
    ]);
    const other = draft.presets.find((p) => p.hyperparameters.batchSize !== lenet.hyperparameters.batchSize)!;
    draft.applyPreset(other);
    expect(draft.presetId).toBe(other.id);
    expect(draft.batchSize).toBe(other.hyperparameters.batchSize);
    expect(draft.run).toMatchObject({ preset: other.id, dataset: 'mnist' });
    expect(draft.inputShape).toEqual([28, 28, 1]);
    expect(draft.numClasses).toBe(10);
  });

  it('leaves emptied fields out, so the preset decides them, and sends a subset only when asked', async () => {
    const draft = await loaded();
    draft.epochs = '';
    draft.learningRate = '';
    expect(draft.hyperparameters).not.toHaveProperty('epochs');
    expect(draft.hyperparameters).not.toHaveProperty('learningRate');
    expect(draft.hyperparameters).not.toHaveProperty('backend');
    expect(draft.hyperparameters).toMatchObject({ batchSize: draft.batchSize, optimizer: draft.optimizer });
    expect(draft.run).not.toHaveProperty('subset');
    draft.subsetTrain = 500;
    expect(draft.run.subset).toEqual({ train: 500 });
    draft.subsetTest = 100;
    draft.backend = 'cpu';
    expect(draft.run.subset).toEqual({ train: 500, test: 100 });
    expect(draft.hyperparameters.backend).toBe('cpu');
  });

  it('allows Start only for a model that can be built', async () => {
    const draft = await loaded();
    expect(draft.canStart).toBe(true);
    draft.buildFromPreset();
    expect(draft.modelSource).toBe('build');
    expect(draft.layers.length).toBe(draft.preset!.spec.layers.length);
    expect(draft.run).toEqual(expect.objectContaining({ model: {} }));
    expect(draft.canStart).toBe(false);
    draft.built({ ...draft.preset!.spec, name: 'mine' }, true);
    expect(draft.canStart).toBe(true);
    expect(draft.run).toMatchObject({ model: { name: 'mine' } });
    draft.built(draft.preset!.spec, false);
    expect(draft.canStart).toBe(false);
    // From Keras: nothing to start until a model is imported, however the builder reports.
    draft.modelSource = 'keras';
    draft.built(draft.preset!.spec, true);
    expect(draft.canStart).toBe(false);
  });

  it('an imported Keras model fills the builder, its optimizer the hyperparameters, and picks a dataset its input fits', async () => {
    const draft = await loaded();
    const cifarNet = draft.presets.find((p) => p.spec.inputShape.join() === '32,32,3')!;
    const { json } = await call('training.exportKeras', {
      spec: cifarNet.spec,
      hyperparameters: { ...cifarNet.hyperparameters, optimizer: 'sgd', learningRate: 0.02 },
    });
    const imported = await call('training.importKeras', { json, layersOnly: false });
    draft.modelSource = 'keras';
    draft.useKeras(imported);
    expect(draft.kerasImported).toBe(true);
    expect(draft.layers.length).toBe(imported.spec.layers.length);
    expect([draft.optimizer, draft.learningRate]).toEqual(['sgd', 0.02]);
    expect(draft.dataset).toBe('cifar10');
    expect(draft.inputShape).toEqual([32, 32, 3]);
    draft.built(imported.spec, true);
    expect(draft.canStart).toBe(true);
  });

  it('builds the sweep from the form: a trimmed name, the axes, one repeat when emptied', async () => {
    const draft = await loaded('sweep');
    draft.name = '  kernels  ';
    draft.repeats = '';
    draft.addAxis();
    draft.removeAxis(1);
    expect(draft.sweepSpec).toMatchObject({
      name: 'kernels',
      base: { preset: 'lenet5-relu', dataset: 'mnist' },
      axes: { kernelSize: [3, 5], learningRate: [0.001, 0.0005] },
      repeats: 1,
      fold: true,
      method: 'grid',
    });
    draft.name = '   ';
    expect(draft.sweepSpec).not.toHaveProperty('name');
  });

  it('previews a sweep as it is edited, and Start waits for a preview that plans runs', async () => {
    const draft = await loaded('sweep');
    expect(draft.canStart).toBe(false);
    previewing(draft);
    await vi.waitFor(() => expect(draft.preview?.planned).toBe(4));
    expect(draft.previewError).toBeUndefined();
    expect(draft.canStart).toBe(true);
    // An axis the core cannot read: the preview says why, and Start is off.
    draft.axes[0]!.list = '3, x';
    flushSync();
    await vi.waitFor(() => expect(draft.previewError).toBeInstanceOf(ApiError));
    expect((draft.previewError as ApiError).message).toMatch(/kernelSize/);
    expect(draft.preview).toBeUndefined();
    expect(draft.canStart).toBe(false);
  });

  it('asks for no preview of a single run, nor for an edit overtaken before the delay', async () => {
    const single = await loaded('run');
    expect(single.schedulePreview()).toBeUndefined();
    const draft = await loaded('sweep');
    const cancel = draft.schedulePreview()!;
    cancel();
    await new Promise((r) => setTimeout(r, previewDelayMs + 300));
    expect(draft.preview).toBeUndefined();
    expect(draft.previewError).toBeUndefined();
  });

  it("shows the core's refusal to start and stays on the form", async () => {
    const draft = await loaded();
    // CIFAR-10 is not on this machine: runs.start refuses it, naming the dataset.
    draft.dataset = 'cifar10';
    const page = await draft.start();
    expect(page).toBeNull();
    expect(draft.starting).toBe(false);
    expect(draft.startError).toBeInstanceOf(ApiError);
    expect((draft.startError as ApiError).message).toMatch(/cifar/i);
  });

  it('asks before a run of more than 10,000 epochs, and yes sends the same run with yes', async () => {
    const draft = await loaded();
    draft.epochs = 20_000;
    // CIFAR-10 is not on this machine: past the question, runs.start refuses it, so nothing trains.
    draft.dataset = 'cifar10';
    expect(await draft.start()).toBeNull();
    expect((draft.startError as ApiError).confirm).toBe('Train 20,000 epochs per run? That is more than 10,000.');
    expect(await draft.start(true)).toBeNull();
    expect((draft.startError as ApiError).confirm).toBeUndefined();
    expect((draft.startError as ApiError).message).toMatch(/cifar/i);
  });

  it('asks before a sweep of more than 10,000 runs; yes previews it, and an edit asks again', async () => {
    const draft = await loaded('sweep');
    draft.axes = [{ ...draft.axes[0]!, name: 'learningRate', list: Array.from({ length: 101 }, (_, i) => (i + 1) / 10_000).join(', ') }];
    draft.repeats = 100;
    previewing(draft);
    await vi.waitFor(() => expect(draft.previewError).toBeInstanceOf(ApiError));
    expect((draft.previewError as ApiError).confirm).toBe('Queue all 10,100 runs of this sweep? That is more than 10,000.');
    expect(draft.canStart).toBe(false);
    draft.confirmSweep();
    flushSync();
    expect(draft.sweepSpec).toMatchObject({ yes: true });
    await vi.waitFor(() => expect(draft.preview?.planned).toBe(10_100), { timeout: 10_000 });
    expect(draft.canStart).toBe(true);
    draft.axes[0]!.list = Array.from({ length: 202 }, (_, i) => (i + 1) / 10_000).join(', ');
    flushSync();
    expect(draft.sweepSpec).not.toHaveProperty('yes');
    await vi.waitFor(() => expect((draft.previewError as ApiError | undefined)?.confirm).toMatch(/^Queue all 20,200 runs/), {
      timeout: 10_000,
    });
  });
});
