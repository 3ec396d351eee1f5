import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportKeras } from '../src-main/core/models/keras/kerasExport.ts';
import { importKeras } from '../src-main/core/models/keras/kerasImport.ts';
import { makeTempDir } from '../src-main/test/tempDir.ts';

/** The parity bench's round-trip row is only as good as keras_parity.py's comparison: it must see a changed option. */
const script = join(import.meta.dirname, 'reference', 'keras_parity.py');
const python = (...args: string[]) => {
  const r = spawnSync('python3', [script, ...args], { encoding: 'utf8' });
  if (r.error) return { absent: `python3 cannot run here (${r.error.message})` };
  if (r.status !== 0) throw new Error(`keras_parity.py ${args[0]} failed: ${r.stderr.trim().split('\n').at(-1)}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
};

const written = python('write', '--preset', 'lenet5-cifar10-keras');
const absent = 'absent' in written ? String(written.absent) : null;
if (absent) console.warn(`parity comparison test skipped: ${absent}`);

describe.skipIf(absent !== null)('keras_parity.py compare (the parity bench round trip)', () => {
  // Vitest runs a skipped describe's body to list its tests, so nothing here may need Keras' answer.
  const temp = makeTempDir('kernellab-parity-test-');
  afterAll(() => temp.cleanup());
  const original = join(temp.dir, 'original.json');
  let exported = '';
  beforeAll(() => {
    writeFileSync(original, String(written.json));
    exported = exportKeras(importKeras(String(written.json)).spec).json;
  });

  it('finds the exported network equal to the notebook one, parameters included', () => {
    const round = join(temp.dir, 'round.json');
    writeFileSync(round, exported);
    expect(python('compare', original, round)).toMatchObject({ equal: true, params_a: 62006, params_b: 62006, differences: [] });
  });

  // KernelLab writes swish as Keras 3's "silu"; Keras loads both as the same function.
  it('names a layer whose activation differs although the parameter counts agree', () => {
    const changed = join(temp.dir, 'changed.json');
    writeFileSync(changed, exported.replace('"activation": "silu"', '"activation": "tanh"'));
    const result = python('compare', original, changed);
    expect(result).toMatchObject({ equal: false, params_a: 62006, params_b: 62006 });
    expect(String((result.differences as string[])[0])).toMatch(/layer 0 \(Conv2D\) activation: (silu|swish) vs tanh/);
  });
});
