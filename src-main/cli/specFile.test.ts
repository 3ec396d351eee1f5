import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SweepSpecInput } from '../core/contract/index.ts';
import { KernelLabError } from '../core/errors.ts';
import { expandSweep } from '../core/sweeps/expand.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { parseSweepSpecText } from './specFile.ts';

const lenet = (): SweepSpecInput => ({
  base: { preset: 'lenet5-relu', dataset: 'mnist' },
  axes: { kernelSize: [3, 5, 7], epochs: [2, 4, 6, 8] },
});

function errorOf(fn: () => unknown): KernelLabError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(KernelLabError);
    return error as KernelLabError;
  }
  throw new Error('expected an error');
}

const temp = makeTempDir('kernellab-specfile-');
afterAll(() => temp.cleanup());

describe('sweep spec files', () => {
  it('reads YAML and JSON files and names a file that is neither', () => {
    const yamlPath = join(temp.dir, 'sweep.yaml');
    writeFileSync(yamlPath, 'base:\n  preset: lenet5-relu\n  dataset: mnist\naxes:\n  kernelSize: [3, 5]\n  epochs: [1, 2]\n');
    expect(expandSweep(parseSweepSpecText(readFileSync(yamlPath, 'utf8'), yamlPath)).points).toHaveLength(4);
    expect(parseSweepSpecText(JSON.stringify(lenet()), 'sweep.json').axes.kernelSize).toEqual([3, 5, 7]);
    expect(errorOf(() => parseSweepSpecText('base: [unclosed', 'bad.yaml')).message).toMatch(/bad\.yaml is not valid YAML or JSON/);
    expect(errorOf(() => parseSweepSpecText('{"base": ', 'bad.json')).message).toMatch(/bad\.json is not valid JSON/);
    expect(errorOf(() => parseSweepSpecText('- 1\n- 2\n', 'list.yaml')).message).toMatch(/list\.yaml must hold a sweep spec object/);
  });

  it('names the file and the field when the spec is wrong', () => {
    const error = errorOf(() => parseSweepSpecText('base:\n  preset: lenet5-relu\n  dataset: mnsit\n', 'typo.yaml'));
    expect(error.message).toMatch(/^Invalid sweep spec typo\.yaml: base\.dataset: /);
    expect(error.issues?.[0]).toMatch(/^base\.dataset: .*mnist/);
  });
});
