/**
 * Words the core sends as data that the page shows in its language: a preset's title and
 * description, a dataset's title, a sweep point's role, the model summary's output row, the shell
 * the About page names, what an engine install needs. Looked up
 * by the id the core sends beside them; one the catalogue does not have (a core newer than this
 * page) shows as the core wrote it. i18n/catalogueNames.test.ts checks the English against the core's.
 */
import { m } from '../../i18n/paraglide/messages.js';
import type { DatasetName } from '../../src-main/core/contract/datasets.ts';
import type { PresetId } from '../../src-main/core/contract/training.ts';

const presetTitles: Record<PresetId, () => string> = {
  'lenet5-swish': m.preset_title_lenet5_swish,
  'lenet5-relu': m.preset_title_lenet5_relu,
  'mnist-two-conv': m.preset_title_mnist_two_conv,
  'fashion-bn-dropout': m.preset_title_fashion_bn_dropout,
  'alexnet-28': m.preset_title_alexnet_28,
  'fashion-keras-tutorial': m.preset_title_fashion_keras_tutorial,
  'mnist-tf1-deep': m.preset_title_mnist_tf1_deep,
  'lenet5-cifar10-keras': m.preset_title_lenet5_cifar10_keras,
};

const presetDescriptions: Record<PresetId, () => string> = {
  'lenet5-swish': m.preset_description_lenet5_swish,
  'lenet5-relu': m.preset_description_lenet5_relu,
  'mnist-two-conv': m.preset_description_mnist_two_conv,
  'fashion-bn-dropout': m.preset_description_fashion_bn_dropout,
  'alexnet-28': m.preset_description_alexnet_28,
  'fashion-keras-tutorial': m.preset_description_fashion_keras_tutorial,
  'mnist-tf1-deep': m.preset_description_mnist_tf1_deep,
  'lenet5-cifar10-keras': m.preset_description_lenet5_cifar10_keras,
};

const datasetTitles: Record<DatasetName, () => string> = {
  mnist: m.dataset_title_mnist,
  'fashion-mnist': m.dataset_title_fashion_mnist,
  cifar10: m.dataset_title_cifar10,
};

/** The catalogue's message for `id` in `table`, else `fallback` (the core's English). */
function lookup<K extends string>(table: Record<K, () => string>, id: string, fallback: string): string {
  return Object.hasOwn(table, id) ? table[id as K]() : fallback;
}

export const presetTitle = (preset: { id: string; title: string }): string => lookup(presetTitles, preset.id, preset.title);
export const presetDescription = (preset: { id: string; description: string }): string =>
  lookup(presetDescriptions, preset.id, preset.description);
/** A dataset's title; `name` is its id (mnist, fashion-mnist, cifar10). */
export const datasetTitle = (dataset: { name: string; title: string }): string => lookup(datasetTitles, dataset.name, dataset.title);

/** A sweep preview point's role: trains, is recorded from a longer run's checkpoint, or cannot run. */
export function pointRole(role: string): string {
  if (role === 'train') return m.new_role_train();
  if (role === 'derived') return m.new_role_derived();
  if (role === 'impossible') return m.new_role_impossible();
  return role;
}

/** A model summary row's layer: its type as the spec spells it (conv2d, dense), the added softmax as "output". */
export const summaryLayer = (type: string): string => (type === 'output' ? m.model_row_output() : type);

/** Which program serves the page, as About says it (electron, server, cli). */
export function shellName(shell: string): string {
  if (shell === 'electron') return m.about_shell_electron();
  if (shell === 'server') return m.about_shell_server();
  if (shell === 'cli') return m.about_shell_cli();
  return shell;
}

/** What an engine install needs (core/engine/tools.ts); python and npm are names and stay so. */
export function requirementName(name: string): string {
  if (name === 'compiler') return m.engines_req_compiler();
  if (name === 'node headers') return m.engines_req_node_headers();
  if (name === 'nvidia driver') return m.engines_req_nvidia_driver();
  return name;
}
