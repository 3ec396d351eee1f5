import type {
  HyperparametersInput,
  LrScheduleInput,
  MonitoredMetric,
  MonitorMode,
  OptimizerName,
  ValidationSplitMode,
} from '../../src-main/core/contract/index.ts';

type Num = number | '';
const num = (v: Num) => (v === '' ? undefined : v);

/** Keras' defaults, shown in the form as they are: a notebook that sets nothing trains with these. */
export const kerasDefaults = {
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-7,
  rho: 0.9,
  /** SGD with momentum's default (the 'momentum' optimizer); RMSprop's momentum defaults to 0. */
  momentum: { momentum: 0.9, rmsprop: 0 } as Record<string, number>,
} as const;

/**
 * The settings a Keras notebook passes to compile() and fit() beyond epochs, batch size and the
 * learning rate, as the new-run form edits them: optimizer constants, learning-rate schedule,
 * validation split mode, shuffle and every EarlyStopping option. `fields(optimizer)` is the part
 * of the hyperparameters it owns (only the constants the chosen optimizer takes); the core's
 * schema checks them when the run starts.
 */
export class NotebookSettings {
  beta1 = $state<Num>(kerasDefaults.beta1);
  beta2 = $state<Num>(kerasDefaults.beta2);
  epsilon = $state<Num>(kerasDefaults.epsilon);
  rho = $state<Num>(kerasDefaults.rho);
  /** Empty: the optimizer's own default (0.9 for momentum, 0 for RMSprop). */
  momentum = $state<Num>('');
  nesterov = $state(false);
  centered = $state(false);

  validationSplitMode = $state<ValidationSplitMode>('stratified');
  shuffle = $state(true);

  schedule = $state<'none' | LrScheduleInput['type']>('none');
  stepEvery = $state<Num>(10);
  stepFactor = $state<Num>(0.1);
  decaySteps = $state<Num>(1000);
  decayRate = $state<Num>(0.96);
  staircase = $state(false);
  cosineAlpha = $state<Num>(0);
  plateauMonitor = $state<MonitoredMetric>('val_loss');
  plateauFactor = $state<Num>(0.1);
  plateauPatience = $state<Num>(10);
  plateauMinDelta = $state<Num>(1e-4);
  plateauCooldown = $state<Num>(0);
  plateauMinLr = $state<Num>(0);

  earlyStopping = $state(false);
  esMonitor = $state<MonitoredMetric>('val_loss');
  esPatience = $state<Num>(0);
  esMinDelta = $state<Num>(0);
  esMode = $state<MonitorMode>('auto');
  esBaseline = $state<Num>('');
  esRestoreBestWeights = $state(false);
  esStartFromEpoch = $state<Num>(0);

  /** Takes a preset's or an imported model's hyperparameters; what they leave out returns to Keras' default. */
  apply(hp: Partial<HyperparametersInput>): void {
    this.beta1 = hp.beta1 ?? kerasDefaults.beta1;
    this.beta2 = hp.beta2 ?? kerasDefaults.beta2;
    this.epsilon = hp.epsilon ?? kerasDefaults.epsilon;
    this.rho = hp.rho ?? kerasDefaults.rho;
    this.momentum = hp.momentum ?? '';
    this.nesterov = hp.nesterov ?? false;
    this.centered = hp.centered ?? false;
    this.validationSplitMode = hp.validationSplitMode ?? 'stratified';
    this.shuffle = hp.shuffle ?? true;
    const s = hp.lrSchedule;
    this.schedule = s?.type ?? 'none';
    if (s?.type === 'step') [this.stepEvery, this.stepFactor] = [s.everyEpochs, s.factor ?? 0.1];
    if (s?.type === 'exponential') [this.decaySteps, this.decayRate, this.staircase] = [s.decaySteps, s.decayRate, s.staircase ?? false];
    if (s?.type === 'cosine') [this.decaySteps, this.cosineAlpha] = [s.decaySteps, s.alpha ?? 0];
    if (s?.type === 'plateau') {
      this.plateauMonitor = s.monitor ?? 'val_loss';
      this.plateauFactor = s.factor ?? 0.1;
      this.plateauPatience = s.patience ?? 10;
      this.plateauMinDelta = s.minDelta ?? 1e-4;
      this.plateauCooldown = s.cooldown ?? 0;
      this.plateauMinLr = s.minLr ?? 0;
    }
    const es = hp.earlyStopping;
    this.earlyStopping = es !== undefined;
    this.esMonitor = es?.monitor ?? 'val_loss';
    this.esPatience = es?.patience ?? 0;
    this.esMinDelta = es?.minDelta ?? 0;
    this.esMode = es?.mode ?? 'auto';
    this.esBaseline = es?.baseline ?? '';
    this.esRestoreBestWeights = es?.restoreBestWeights ?? false;
    this.esStartFromEpoch = es?.startFromEpoch ?? 0;
  }

  #lrSchedule(): LrScheduleInput | undefined {
    switch (this.schedule) {
      case 'none':
        return undefined;
      case 'step':
        return { type: 'step', everyEpochs: num(this.stepEvery) ?? 10, factor: num(this.stepFactor) ?? 0.1 };
      case 'exponential':
        return {
          type: 'exponential',
          decaySteps: num(this.decaySteps) ?? 1000,
          decayRate: num(this.decayRate) ?? 0.96,
          staircase: this.staircase,
        };
      case 'cosine':
        return { type: 'cosine', decaySteps: num(this.decaySteps) ?? 1000, alpha: num(this.cosineAlpha) ?? 0 };
      case 'plateau':
        return {
          type: 'plateau',
          monitor: this.plateauMonitor,
          factor: num(this.plateauFactor) ?? 0.1,
          patience: num(this.plateauPatience) ?? 10,
          minDelta: num(this.plateauMinDelta) ?? 1e-4,
          cooldown: num(this.plateauCooldown) ?? 0,
          minLr: num(this.plateauMinLr) ?? 0,
        };
    }
  }

  fields(optimizer: OptimizerName): Partial<HyperparametersInput> {
    const constants: Partial<HyperparametersInput> =
      optimizer === 'adam'
        ? { beta1: num(this.beta1), beta2: num(this.beta2), epsilon: num(this.epsilon) }
        : optimizer === 'rmsprop'
          ? { rho: num(this.rho), momentum: num(this.momentum), epsilon: num(this.epsilon), centered: this.centered }
          : optimizer === 'momentum'
            ? { momentum: num(this.momentum), nesterov: this.nesterov }
            : {};
    const fields: Partial<HyperparametersInput> = {
      ...constants,
      validationSplitMode: this.validationSplitMode,
      shuffle: this.shuffle,
      lrSchedule: this.#lrSchedule(),
      earlyStopping: this.earlyStopping
        ? {
            monitor: this.esMonitor,
            patience: num(this.esPatience) ?? 0,
            minDelta: num(this.esMinDelta) ?? 0,
            mode: this.esMode,
            baseline: num(this.esBaseline) ?? null,
            restoreBestWeights: this.esRestoreBestWeights,
            startFromEpoch: num(this.esStartFromEpoch) ?? 0,
          }
        : undefined,
    };
    return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<HyperparametersInput>;
  }
}
