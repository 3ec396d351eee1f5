/**
 * Words the core sends as data, shown by the page in its language (src-renderer/lib/catalogueNames.ts):
 * the English must stay the core's own, word for word, and the Korean must be Korean. Here because
 * it reads the core's presets and dataset registry, which the renderer may not import.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { AppInfo } from '../src-main/core/contract/app.ts';
import { SweepPointOut } from '../src-main/core/contract/sweeps.ts';
import { registry } from '../src-main/core/datasets/registry.ts';
import { presets } from '../src-main/core/models/presets.ts';
import {
  datasetTitle,
  pointRole,
  presetDescription,
  presetTitle,
  requirementName,
  shellName,
  summaryLayer,
} from '../src-renderer/lib/catalogueNames.ts';
import { setLocale } from './paraglide/runtime.js';

const hangul = /[\uac00-\ud7a3]/;
const datasets = Object.entries(registry).map(([name, def]) => ({ name, title: def.title }));
const roles = SweepPointOut.shape.role.options;
const shells = AppInfo.shape.shell.options;
/** What an engine install needs, as core/engine/tools.ts names it (python and npm are names). */
const requirements = ['compiler', 'node headers', 'nvidia driver'];

afterEach(() => setLocale('en', { reload: false }));

describe('words the core sends, in the page', () => {
  it('read in English exactly as the core writes them', () => {
    for (const preset of presets) {
      expect(presetTitle(preset)).toBe(preset.title);
      expect(presetDescription(preset)).toBe(preset.description);
    }
    for (const dataset of datasets) expect(datasetTitle(dataset)).toBe(dataset.title);
    for (const role of roles) expect(pointRole(role)).toBe(role);
    expect(summaryLayer('output')).toBe('output');
    for (const shell of shells) expect(shellName(shell)).toBe(shell);
    for (const need of requirements) expect(requirementName(need)).toBe(need);
  });

  it('read in Korean, names kept', () => {
    setLocale('ko', { reload: false });
    for (const preset of presets) {
      expect(presetDescription(preset), preset.id).toMatch(hangul);
      // LeNet-5 (relu) and LeNet-5 (swish) are names; every other title has words to translate.
      if (!/^LeNet-5 \((relu|swish)\)$/.test(preset.title)) expect(presetTitle(preset), preset.id).toMatch(hangul);
    }
    expect(presetTitle({ id: 'alexnet-28', title: '' })).toBe('28×28×1에 맞춘 AlexNet');
    for (const dataset of datasets) expect(datasetTitle(dataset), dataset.name).toMatch(hangul);
    expect(datasetTitle({ name: 'mnist', title: '' })).toBe('MNIST 손글씨 숫자');
    expect(roles.map(pointRole)).toEqual(['학습', '파생', '불가능']);
    expect(summaryLayer('output')).toBe('출력');
    expect(summaryLayer('conv2d')).toBe('conv2d');
    for (const shell of shells) expect(shellName(shell), shell).toMatch(hangul);
    expect(requirements.map(requirementName)).toEqual(['컴파일러', 'Node 헤더', 'NVIDIA 드라이버']);
    expect(requirementName('npm')).toBe('npm');
  });

  it("show a preset or dataset this page does not know (a newer core's) as the core wrote it", () => {
    setLocale('ko', { reload: false });
    expect(presetTitle({ id: 'resnet-8', title: 'ResNet-8' })).toBe('ResNet-8');
    expect(datasetTitle({ name: 'svhn', title: 'Street View House Numbers' })).toBe('Street View House Numbers');
    expect(pointRole('queued')).toBe('queued');
  });
});
