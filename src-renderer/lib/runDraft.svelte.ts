import type {
  RunBackend,
  DatasetInfo,
  DatasetName,
  HyperparametersInput,
  KerasImportResult,
  MethodInput,
  MethodOutput,
  ModelSpecInput,
  OptimizerName,
  PresetId,
  SweepPreview,
} from '../../src-main/core/contract/index.ts';
import { call } from './api.ts';
import { axesSpec, newAxis, type AxisDraft } from './axesDraft.ts';
import { layerDraft, newWeights, outputDraft, type LayerDraft, type OutputDraft } from './modelDraft.ts';
import { NotebookSettings } from './notebookSettings.svelte.ts';
import { SearchSettings } from './searchSettings.svelte.ts';

export type Preset = MethodOutput<'training.presets'>[number];
export type RunInput = MethodInput<'runs.start'>['run'];
export type SweepSpecInput = MethodInput<'sweeps.start'>['spec'];

/** How long the sweep preview waits after an edit before asking the core. */
export const previewDelayMs = 250;

const num = (v: number | '') => (v === '' ? undefined : v);

/** The fields the user filled in; an emptied one is left out, so the preset's value applies. */
function filled<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}

function shapeOf(d: Pick<DatasetInfo, 'height' | 'width' | 'channels'>): [number, number, number] {
  return [d.height, d.width, d.channels];
}

/**
 * The new-run (or new-sweep) form as a draft: the data, the model (a preset, built layer by layer,
 * or imported from Keras), the hyperparameters and, for a sweep, its axes and search. It derives
 * the `runs.start` and `sweeps.start` inputs, previews a sweep as it is edited, and decides when
 * Start is allowed. Emptied number fields are left out, so the preset's value applies.
 */
export class RunDraft {
  readonly #mode: () => 'run' | 'sweep';

  presets = $state.raw<Preset[]>([]);
  datasets = $state.raw<DatasetInfo[]>([]);
  loadError = $state<unknown>();

  dataset = $state<DatasetName>('mnist');
  subsetTrain = $state<number | ''>('');
  subsetTest = $state<number | ''>('');
  modelSource = $state<'preset' | 'build' | 'keras'>('preset');
  presetId = $state<PresetId>('lenet5-relu');
  layers = $state<LayerDraft[]>([]);
  output = $state<OutputDraft>(newWeights());
  /** The Keras model imported into the builder ('from Keras JSON'); until then there is nothing to start. */
  kerasImported = $state(false);
  /** What the model builder last reported: its spec, and whether every layer is possible. */
  builtSpec = $state.raw<ModelSpecInput | null>(null);
  builtOk = $state(false);
  name = $state('');

  // Hyperparameters (defaults follow the chosen preset).
  epochs = $state<number | ''>(2);
  batchSize = $state<number | ''>(64);
  optimizer = $state<OptimizerName>('adam');
  learningRate = $state<number | ''>(0.001);
  validationSplit = $state<number | ''>(0.1);
  seed = $state<number | ''>(42);
  backend = $state<RunBackend | ''>('');
  readonly notebook = new NotebookSettings();

  // Sweep.
  axes = $state<AxisDraft[]>([newAxis('kernelSize', '3, 5'), newAxis('epochs', '1, 2')]);
  repeats = $state<number | ''>(1);
  readonly search = new SearchSettings();
  fold = $state(true);
  preview = $state.raw<SweepPreview | undefined>();
  previewError = $state<unknown>();
  startError = $state<unknown>();
  starting = $state(false);

  /** `mode` is read when needed: the view's prop, which changes when the user switches tabs. */
  constructor(mode: () => 'run' | 'sweep') {
    this.#mode = mode;
  }

  get mode(): 'run' | 'sweep' {
    return this.#mode();
  }

  /** Loads the presets and datasets, then takes the chosen preset's defaults. */
  async load(): Promise<void> {
    try {
      const [presets, datasets] = await Promise.all([call('training.presets', {}), call('datasets.list', {})]);
      this.presets = presets;
      this.datasets = datasets.datasets;
      const initial = presets.find((x) => x.id === this.presetId) ?? presets[0];
      if (initial) this.applyPreset(initial);
    } catch (e) {
      this.loadError = e;
    }
  }

  readonly preset = $derived(this.presets.find((p) => p.id === this.presetId));
  readonly datasetInfo = $derived(this.datasets.find((d) => d.name === this.dataset));
  /** The chosen dataset's image shape (MNIST's until the list arrives). */
  readonly inputShape: [number, number, number] = $derived(this.datasetInfo ? shapeOf(this.datasetInfo) : [28, 28, 1]);
  readonly numClasses = $derived(this.datasetInfo?.classNames.length ?? 10);

  /** Chooses a preset; its hyperparameters become the form's values. */
  applyPreset(p: Preset): void {
    this.presetId = p.id;
    const hp = p.hyperparameters;
    this.epochs = hp.epochs;
    this.batchSize = hp.batchSize;
    this.optimizer = hp.optimizer;
    this.learningRate = hp.learningRate;
    this.validationSplit = hp.validationSplit;
    this.seed = hp.seed;
    this.notebook.apply(hp);
  }

  /** Opens the preset's layers in the builder. */
  buildFromPreset(): void {
    if (!this.preset) return;
    this.layers = this.preset.spec.layers.map(layerDraft);
    this.output = outputDraft(this.preset.spec.output);
    this.modelSource = 'build';
  }

  /** An imported Keras model goes into the builder, its compile settings into the hyperparameters; a 32×32×3 model picks CIFAR-10. */
  useKeras(result: KerasImportResult): void {
    this.layers = result.spec.layers.map(layerDraft);
    this.output = outputDraft(result.spec.output);
    this.kerasImported = true;
    const hp = result.hyperparameters;
    if (hp.optimizer) this.optimizer = hp.optimizer;
    if (hp.learningRate !== undefined) this.learningRate = hp.learningRate;
    // The file's optimizer constants and schedule; the split, shuffle and early stopping set here stay.
    this.notebook.apply({ ...this.notebook.fields(this.optimizer), ...hp });
    const wanted = result.spec.inputShape.join();
    const fits = this.datasets.find((d) => shapeOf(d).join() === wanted);
    if (fits && this.datasetInfo && shapeOf(this.datasetInfo).join() !== wanted) this.dataset = fits.name;
  }

  /** The model builder's report: the spec it built and whether every layer is possible. */
  built(spec: ModelSpecInput | null, ok: boolean): void {
    this.builtSpec = spec;
    this.builtOk = ok;
  }

  addAxis(): void {
    this.axes = [...this.axes, newAxis('learningRate', '0.001, 0.0005')];
  }

  removeAxis(index: number): void {
    this.axes = this.axes.filter((_, j) => j !== index);
  }

  readonly hyperparameters = $derived(
    filled({
      epochs: num(this.epochs),
      batchSize: num(this.batchSize),
      optimizer: this.optimizer,
      learningRate: num(this.learningRate),
      validationSplit: num(this.validationSplit),
      seed: num(this.seed),
      backend: this.backend || undefined,
      ...this.notebook.fields(this.optimizer),
    } satisfies Partial<HyperparametersInput>),
  );

  /** The run as `runs.start` takes it (and the base of every point of a sweep). */
  readonly run: RunInput = $derived({
    ...(this.modelSource === 'preset' ? { preset: this.presetId } : { model: this.builtSpec ?? {} }),
    dataset: this.dataset,
    ...(this.subsetTrain !== '' || this.subsetTest !== ''
      ? {
          subset: {
            ...(this.subsetTrain !== '' ? { train: this.subsetTrain } : {}),
            ...(this.subsetTest !== '' ? { test: this.subsetTest } : {}),
          },
        }
      : {}),
    hyperparameters: this.hyperparameters,
  });

  /** The sweep as edited, before any yes. */
  readonly #sweepDraft: SweepSpecInput = $derived({
    ...(this.name.trim() ? { name: this.name.trim() } : {}),
    base: this.run,
    axes: axesSpec(this.axes),
    ...this.search.fields(),
    repeats: num(this.repeats) ?? 1,
    fold: this.fold,
  });

  /**
   * The sweep the user said yes to when the core asked (more than 10,000 runs or epochs: the
   * error's `confirm`). It is sent with `yes: true` until it is edited, when the core asks again.
   */
  #confirmedSweep = $state<string | undefined>();

  readonly sweepSpec: SweepSpecInput = $derived(
    this.#confirmedSweep === JSON.stringify(this.#sweepDraft) ? { ...this.#sweepDraft, yes: true } : this.#sweepDraft,
  );

  /** Yes to the question the preview asked: the sweep as it is now is sent with `yes: true`. */
  confirmSweep(): void {
    this.#confirmedSweep = JSON.stringify(this.#sweepDraft);
  }

  #previewTicket = 0;

  /**
   * Previews the sweep as edited: the view calls it in an $effect (so every edit calls it again)
   * and returns its cleanup. Debounced; answers to older edits are dropped.
   */
  schedulePreview(): (() => void) | undefined {
    if (this.mode !== 'sweep') return undefined;
    const spec = JSON.parse(JSON.stringify(this.sweepSpec)) as SweepSpecInput;
    const ticket = ++this.#previewTicket;
    const timer = setTimeout(async () => {
      try {
        const result = await call('sweeps.preview', { spec });
        if (ticket !== this.#previewTicket) return;
        this.preview = result;
        this.previewError = undefined;
      } catch (e) {
        if (ticket !== this.#previewTicket) return;
        this.preview = undefined;
        this.previewError = e;
      }
    }, previewDelayMs);
    return () => clearTimeout(timer);
  }

  /** Start is allowed once the model is possible and, for a sweep, the preview plans at least one run. */
  readonly canStart = $derived(
    !this.starting &&
      (this.modelSource === 'preset' || (this.builtOk && (this.modelSource === 'build' || this.kerasImported))) &&
      (this.mode === 'run' || (this.preview !== undefined && this.preview.planned > 0)),
  );

  /**
   * Starts the run or sweep; resolves to the page to open, or null when the core refused (startError
   * says why). `yes` answers the question the core asked (startError's `confirm`).
   */
  async start(yes = false): Promise<string | null> {
    this.starting = true;
    this.startError = undefined;
    try {
      if (this.mode === 'sweep') {
        if (yes) this.confirmSweep();
        const result = await call('sweeps.start', { spec: this.sweepSpec });
        return `/sweeps/${result.sweepId}`;
      }
      const result = await call('runs.start', {
        run: this.run,
        ...(this.name.trim() ? { name: this.name.trim() } : {}),
        ...(yes && { yes }),
      });
      return `/runs/${result.runId}`;
    } catch (e) {
      this.startError = e;
      return null;
    } finally {
      this.starting = false;
    }
  }
}
