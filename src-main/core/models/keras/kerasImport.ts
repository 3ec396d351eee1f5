/**
 * A Keras model as a KernelLab model spec: the JSON of `model.to_json()` (Keras 3, or Keras 2 /
 * tf.keras) or the `config.json` inside a `.keras` file, for a Sequential model or a Functional
 * one that is a chain of layers. Every layer and option KernelLab trains is mapped, with Keras'
 * meaning (initialisers by their Keras formulas, Keras' BatchNormalization momentum, Keras'
 * validation arithmetic elsewhere); anything it cannot train is refused by name — the layer, the
 * option and what to do — all problems at once, so a notebook is fixed in one pass.
 *
 * The compile_config (Keras 3 writes it for a compiled model) gives the optimizer, its constants
 * and its learning-rate schedule as hyperparameters; the loss must be the cross-entropy KernelLab
 * trains. Fit settings (epochs, batch size, validation split, callbacks) are not in a model file.
 */
import { coreText } from '../../contract/coreText.ts';
import { coded, issueText, KernelLabError } from '../../errors.ts';
import { jsonDepthExceededAt } from '../../contract/jsonDepth.ts';
import { jsonComplaint } from '../../jsonComplaint.ts';
import { CompiledSettings, ModelSpec, type KerasImportResult, type LrScheduleInput, type ModelSpecInput } from '../../contract/training.ts';
import { inferShapes } from '../shapeInference.ts';
import { fileText, float32Decimal, isObject, Notes, Problems, shown, type Json } from './kerasReader.ts';
import { mapLayers } from './kerasLayers.ts';

// The keras tests check this rounding beside the import.
export { float32Decimal };

const maxLayers = 1000;

/** The chain of layer configs of a Functional model, input to output; refuses branches. */
function chainOf(config: Json, problems: Problems): Json[] {
  const layers = (config.layers as unknown[]).filter(isObject);
  const byName = new Map(layers.map((l) => [String(l.name ?? (isObject(l.config) ? l.config.name : '')), l]));
  // Keras 3: [name, 0, 0]; Keras 2: [[name, 0, 0]].
  const endpoint = (v: unknown): string[] =>
    Array.isArray(v) && typeof v[0] === 'string' ? [v[0]] : Array.isArray(v) ? v.flatMap((e) => endpoint(e)) : [];
  const inputs = endpoint(config.input_layers);
  const outputs = endpoint(config.output_layers);
  if (inputs.length !== 1 || outputs.length !== 1) {
    problems.add(
      'model',
      `has ${inputs.length} inputs and ${outputs.length} outputs; KernelLab trains one image input and one class output`,
      coreText('keras_model_inputs_outputs', { inputs: String(inputs.length), outputs: String(outputs.length) }),
    );
    return [];
  }
  /** The layers a layer reads from, by name (Keras 3 keras_history, Keras 2 nested lists). */
  const sources = (layer: Json): string[] => {
    const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
    const names: string[] = [];
    const visit = (v: unknown): void => {
      if (isObject(v)) {
        if (v.class_name === '__keras_tensor__' && isObject(v.config) && Array.isArray(v.config.keras_history)) {
          names.push(String(v.config.keras_history[0]));
          return;
        }
        for (const value of Object.values(v)) visit(value);
      } else if (Array.isArray(v)) {
        if (typeof v[0] === 'string' && typeof v[1] === 'number') names.push(v[0]);
        else v.forEach(visit);
      }
    };
    nodes.forEach(visit);
    return names;
  };
  const next = new Map<string, string[]>();
  for (const [name, layer] of byName) {
    const calls = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes.length : 0;
    const className = String(layer.class_name);
    if (calls > 1)
      problems.layer(
        name,
        className,
        `is applied ${calls} times (a shared layer); KernelLab trains a chain of layers, each used once`,
        'keras_layer_shared',
        { calls: String(calls) },
      );
    const from = sources(layer);
    if (from.length > 1) {
      problems.layer(
        name,
        className,
        `reads ${from.length} inputs (${from.join(', ')}); KernelLab trains a chain of layers, so a model with branches or shared layers cannot be expressed`,
        'keras_layer_reads_inputs',
        { count: String(from.length), sources: from.join(', ') },
      );
    }
    for (const source of from) next.set(source, [...(next.get(source) ?? []), name]);
  }
  const chain: Json[] = [];
  let current: string | undefined = inputs[0];
  const seen = new Set<string>();
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const layer = byName.get(current);
    if (!layer) break;
    chain.push(layer);
    if (current === outputs[0]) break;
    const followers: string[] = next.get(current) ?? [];
    if (followers.length > 1)
      problems.layer(
        current,
        String(layer.class_name),
        `feeds ${followers.length} layers (${followers.join(', ')}); KernelLab trains a chain of layers`,
        'keras_layer_feeds_layers',
        { count: String(followers.length), followers: followers.join(', ') },
      );
    current = followers[0];
  }
  if (chain.length !== layers.length && problems.list.length === 0)
    problems.add(
      'model',
      `${layers.length - chain.length} of its layers are not on the path from its input to its output; KernelLab trains a chain of layers`,
      coreText('keras_model_off_path', { count: String(layers.length - chain.length) }),
    );
  return chain;
}

/** The model's layer configs in order, whatever Keras version and model class wrote them. */
function layerList(model: Json, problems: Problems): { layers: Json[]; modelClass: string; name: string } {
  const modelClass = String(model.class_name);
  const config = isObject(model.config) ? model.config : {};
  const name = typeof config.name === 'string' ? config.name : 'model';
  if (!Array.isArray(config.layers)) {
    problems.add(
      'model',
      `${modelClass} has no list of layers in its config; give the JSON of model.to_json() or a .keras file`,
      fileText('keras_model_no_layers', { modelClass }),
    );
    return { layers: [], modelClass, name };
  }
  if (config.layers.length > maxLayers) {
    problems.add(
      'model',
      `has ${config.layers.length} layers; KernelLab imports up to ${maxLayers}`,
      coreText('keras_model_too_many_layers', { layers: String(config.layers.length), maximum: String(maxLayers) }),
    );
    return { layers: [], modelClass, name };
  }
  if (modelClass === 'Sequential') return { layers: config.layers.filter(isObject), modelClass, name };
  if (modelClass === 'Functional' || modelClass === 'Model') return { layers: chainOf(config, problems), modelClass: 'Functional', name };
  problems.add(
    'model',
    `is a ${modelClass}; KernelLab imports Sequential models and Functional models that are a chain of layers`,
    fileText('keras_model_class', { modelClass }),
  );
  return { layers: [], modelClass, name };
}

/** The loss must be the cross-entropy KernelLab trains, on probabilities or (from_logits) on a linear output. */
function checkLoss(compile: Json, problems: Problems, logits: boolean): void {
  const loss = compile.loss;
  const lossName = typeof loss === 'string' ? loss : isObject(loss) && typeof loss.class_name === 'string' ? loss.class_name : null;
  const lossConfig = isObject(loss) && isObject(loss.config) ? loss.config : {};
  const crossEntropy = [
    'sparse_categorical_crossentropy',
    'categorical_crossentropy',
    'SparseCategoricalCrossentropy',
    'CategoricalCrossentropy',
  ];
  if (lossName === null || !crossEntropy.includes(lossName))
    problems.add(
      'compile',
      `loss ${JSON.stringify(lossName ?? loss)}: KernelLab trains with categorical cross-entropy (sparse_categorical_crossentropy or categorical_crossentropy)`,
      fileText('keras_compile_loss', { loss: shown(lossName ?? loss) }),
      'compile',
    );
  else {
    const fromLogits = lossConfig.from_logits === true;
    if (typeof lossConfig.label_smoothing === 'number' && lossConfig.label_smoothing !== 0)
      problems.add(
        'compile',
        `label_smoothing=${lossConfig.label_smoothing}: KernelLab trains on hard labels; remove label smoothing`,
        coreText('keras_compile_label_smoothing', { value: String(lossConfig.label_smoothing) }),
        'compile',
      );
    if (lossConfig.ignore_class !== undefined && lossConfig.ignore_class !== null)
      problems.add(
        'compile',
        'ignore_class: KernelLab counts every class; remove it',
        coreText('keras_compile_ignore_class', {}),
        'compile',
      );
    if (fromLogits && !logits)
      problems.add(
        'compile',
        'the loss reads logits (from_logits=True) but the model ends in softmax; remove the softmax or from_logits',
        coreText('keras_compile_logits_after_softmax', {}),
        'compile',
      );
    if (!fromLogits && logits)
      problems.add(
        'compile',
        "the model ends in a linear Dense but the loss reads probabilities; add activation='softmax' to the last Dense or from_logits=True",
        coreText('keras_compile_probabilities_after_linear', {}),
        'compile',
      );
  }
}

/** The optimizer and its constants as hyperparameters; options KernelLab does not train are refused by name. */
function optimizerSettings(
  compile: Json,
  problems: Problems,
): { className: string | null; config: Json; settings: Record<string, unknown> } {
  const settings: Record<string, unknown> = {};
  const optimizer = compile.optimizer;
  const className =
    typeof optimizer === 'string'
      ? optimizer
      : isObject(optimizer) && typeof optimizer.class_name === 'string'
        ? optimizer.class_name
        : null;
  const config = isObject(optimizer) && isObject(optimizer.config) ? optimizer.config : {};
  const where = `compile optimizer ${className ?? JSON.stringify(optimizer)}`;
  const num = (key: string): number | undefined => (typeof config[key] === 'number' ? float32Decimal(config[key] as number) : undefined);
  type OffCode =
    | 'keras_optimizer_weight_decay'
    | 'keras_optimizer_clip'
    | 'keras_optimizer_ema'
    | 'keras_optimizer_amsgrad'
    | 'keras_optimizer_accumulation';
  const off = (key: string, allowed: unknown[], advice: string, code: OffCode) => {
    if (config[key] !== undefined && !allowed.includes(config[key] as never))
      problems.add(where, `${key}=${JSON.stringify(config[key])}: ${advice}`, fileText(code, { key, value: shown(config[key]) }), where);
  };
  off(
    'weight_decay',
    [null, 0],
    'KernelLab has no decoupled weight decay (AdamW); use an L2 kernel_regularizer on the layers',
    'keras_optimizer_weight_decay',
  );
  off('clipnorm', [null], 'KernelLab does not clip gradients; remove clipnorm', 'keras_optimizer_clip');
  off('global_clipnorm', [null], 'KernelLab does not clip gradients; remove global_clipnorm', 'keras_optimizer_clip');
  off('clipvalue', [null], 'KernelLab does not clip gradients; remove clipvalue', 'keras_optimizer_clip');
  off('use_ema', [false], 'KernelLab keeps no moving average of the weights; remove use_ema', 'keras_optimizer_ema');
  off('amsgrad', [false], "KernelLab's Adam is without AMSGrad; remove amsgrad", 'keras_optimizer_amsgrad');
  off(
    'gradient_accumulation_steps',
    [null],
    'KernelLab applies every batch; remove gradient_accumulation_steps',
    'keras_optimizer_accumulation',
  );
  switch ((className ?? '').toLowerCase()) {
    case 'adam':
      Object.assign(settings, { optimizer: 'adam', beta1: num('beta_1'), beta2: num('beta_2'), epsilon: num('epsilon') });
      break;
    case 'rmsprop':
      Object.assign(settings, {
        optimizer: 'rmsprop',
        rho: num('rho'),
        momentum: num('momentum'),
        epsilon: num('epsilon'),
        centered: typeof config.centered === 'boolean' ? config.centered : undefined,
      });
      break;
    case 'sgd': {
      const momentum = num('momentum') ?? 0;
      Object.assign(
        settings,
        momentum > 0 ? { optimizer: 'momentum', momentum, nesterov: config.nesterov === true } : { optimizer: 'sgd' },
      );
      break;
    }
    default:
      problems.add(
        where,
        'KernelLab trains with SGD (with or without momentum), Adam or RMSprop; compile with one of those',
        coreText('keras_optimizer_unknown', {}),
        where,
      );
  }
  return { className, config, settings };
}

/** The learning rate into `settings`: a number, or one of Keras' schedules (exponential or cosine decay). */
function learningRateSettings(config: Json, problems: Problems, settings: Record<string, unknown>): void {
  const lr = config.learning_rate ?? config.lr;
  if (typeof lr === 'number') settings.learningRate = float32Decimal(lr);
  else if (isObject(lr)) {
    const schedule = String(lr.class_name);
    const c = isObject(lr.config) ? lr.config : {};
    const n = (k: string) => (typeof c[k] === 'number' ? float32Decimal(c[k] as number) : undefined);
    settings.learningRate = n('initial_learning_rate');
    let lrSchedule: LrScheduleInput | undefined;
    if (schedule === 'ExponentialDecay')
      lrSchedule = { type: 'exponential', decaySteps: n('decay_steps')!, decayRate: n('decay_rate')!, staircase: c.staircase === true };
    else if (schedule === 'CosineDecay') {
      if (c.warmup_target !== undefined && c.warmup_target !== null)
        problems.add(
          'compile learning_rate CosineDecay',
          'warmup_target/warmup_steps: KernelLab has no warm-up; remove them',
          coreText('keras_schedule_warmup', {}),
          'compile learning_rate CosineDecay',
        );
      lrSchedule = { type: 'cosine', decaySteps: n('decay_steps')!, alpha: n('alpha') ?? 0 };
    } else
      problems.add(
        `compile learning_rate ${schedule}`,
        'KernelLab has exponential and cosine decay per step, a step decay per epoch and ReduceLROnPlateau; use one of those',
        coreText('keras_schedule_unknown', {}),
        `compile learning_rate ${schedule}`,
      );
    if (lrSchedule) settings.lrSchedule = lrSchedule;
  }
}

/** The loss and optimizer of a compile_config as hyperparameters. */
function compileSettings(compile: Json, problems: Problems, notes: Notes, logits: boolean): CompiledSettings {
  checkLoss(compile, problems, logits);
  const { className, config, settings } = optimizerSettings(compile, problems);
  learningRateSettings(config, problems, settings);
  const defined = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
  const parsed = CompiledSettings.safeParse(defined);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const where = `compile ${issue.path.join('.')}`;
      problems.add(where, issue.message, issueText(issue), where);
    }
    return {};
  }
  const described = Object.entries(parsed.data)
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  notes.add(
    `Compiled with ${className}: ${described}.`,
    fileText('keras_note_compiled', { optimizer: String(className), settings: described }),
  );
  return parsed.data;
}

/** The file is not JSON: V8's complaint in the English sentence, coded by where it stopped (jsonComplaint.ts). */
function notJson(reason: string): KernelLabError {
  const sentence = `the Keras file is not JSON: ${reason}`;
  const complaint = jsonComplaint(reason);
  switch (complaint.kind) {
    case 'at':
      return coded('invalid_input', sentence, 'keras_not_json_at', { at: complaint.at });
    case 'ends_early':
      return coded('invalid_input', sentence, 'keras_not_json_ends_early', {});
    case 'token':
      return coded('invalid_input', sentence, 'keras_not_json_token', { token: complaint.token });
    case 'other':
      return coded('invalid_input', sentence, 'keras_not_json', { reason: reason.slice(0, 500) });
  }
}

/** Reads a Keras model's JSON; throws a KernelLabError listing every layer or option that cannot be trained. */
export function importKeras(text: string, options: { layersOnly?: boolean } = {}): KerasImportResult {
  const deep = jsonDepthExceededAt(text);
  if (deep !== -1)
    throw coded('invalid_input', `the Keras JSON nests too deeply at character ${deep}; it is not a model config`, 'keras_json_too_deep', {
      at: deep,
    });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = (error as Error).message;
    throw notJson(reason);
  }
  if (!isObject(parsed) || typeof parsed.class_name !== 'string')
    throw coded(
      'invalid_input',
      'this JSON is not a Keras model: it has no class_name; give the JSON of model.to_json() or the config.json of a .keras file',
      'keras_no_class_name',
      {},
    );
  const problems = new Problems();
  const notes = new Notes();
  const { layers, modelClass, name } = layerList(parsed, problems);
  const { inputShape, mapped, output } = mapLayers(layers, problems, notes);
  // An uncompiled Keras 3 model writes compile_config {}.
  const compile = isObject(parsed.compile_config) && parsed.compile_config.optimizer !== undefined ? parsed.compile_config : null;
  let hyperparameters: CompiledSettings = {};
  if (compile && !options.layersOnly) hyperparameters = compileSettings(compile, problems, notes, output?.logits ?? false);
  else if (!compile)
    notes.add(
      'No compile settings in the file (Keras 2 writes none, nor an uncompiled model): the optimizer is yours to choose.',
      coreText('keras_note_no_compile', {}),
    );
  if (output?.logits && (!compile || options.layersOnly))
    notes.add(
      `${output.from} outputs logits: KernelLab trains softmax with cross-entropy over them, as from_logits=True does.`,
      coreText('keras_note_logits', output.named),
    );
  // Each problem coded after the sentence (its issues), so the page and a Korean CLI say every one in the user's language.
  if (problems.list.length > 0)
    throw new KernelLabError(
      'invalid_input',
      `KernelLab cannot train this Keras model as it is: ${problems.list.join('; ')}`,
      problems.list,
      {
        text: coreText('keras_cannot_train', {}),
        issueTexts: problems.texts,
      },
    );
  const specInput: ModelSpecInput = {
    name: name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 100) || 'keras_model',
    inputShape: inputShape!,
    numClasses: output!.units,
    layers: mapped.map((m) => m.layer),
    output: output!.fields,
  };
  const spec = ModelSpec.safeParse(specInput);
  if (!spec.success) {
    const issues = spec.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new KernelLabError('invalid_input', `the Keras model maps to an invalid spec: ${issues.join('; ')}`, issues, {
      text: coreText('keras_invalid_spec_issues', {}),
      issueTexts: spec.error.issues.map((i) => ({ path: i.path.join('.').slice(0, 1000), text: issueText(i) })),
    });
  }
  // Shapes as Keras would compute them; an impossible layer is refused with its numbers.
  inferShapes(spec.data);
  const version =
    typeof parsed.keras_version === 'string'
      ? `Keras ${parsed.keras_version}`
      : Object.hasOwn(parsed, 'registered_name')
        ? 'Keras 3'
        : 'Keras';
  return {
    spec: spec.data,
    hyperparameters,
    notes: notes.sentences,
    noteCodes: notes.texts,
    source: `${version} ${modelClass} '${name}'`,
  };
}
