import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunStore } from '../core/db/RunStore.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';

const tmp = makeTempDir('kernellab-cli-summary-');
afterAll(() => tmp.cleanup());

function kernellab(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, '--home', tmp.dir, ...args], { encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('kernellab summary', () => {
  it('prints each layer with its receptive field beside shape and parameters', () => {
    const { code, out } = kernellab('summary', '--preset', 'lenet5');
    expect(code).toBe(0);
    const line = (index: number) => out.split('\n').find((l) => l.startsWith(`${index} `))!;
    expect(line(2).split(/\s{2,}/)).toEqual(['2', 'conv2d', '8×8×16', '2,416', '14×14', '2', '7']);
    expect(line(3).split(/\s{2,}/)).toEqual(['3', 'maxPool2d', '4×4×16', '0', '16×16', '4', '8']);
    expect(line(4)).toContain('whole image');
    expect(out).toContain('44,426 parameters');
  });

  it('takes a model file, a dataset for the input, and a recorded run; --json has the fields', () => {
    const file = join(tmp.dir, 'two-3x3.json');
    writeFileSync(
      file,
      JSON.stringify({
        name: 'two_3x3',
        inputShape: [28, 28, 1],
        numClasses: 10,
        layers: [{ type: 'conv2d', filters: 8, kernelSize: 3 }, { type: 'conv2d', filters: 8, kernelSize: 3 }, { type: 'flatten' }],
      }),
    );
    const fromFile = kernellab('summary', '--model', file, '--dataset', 'cifar10', '--json');
    expect(fromFile.code).toBe(0);
    const rows = (JSON.parse(fromFile.out) as { rows: { outputShape: number[]; receptiveField: unknown }[] }).rows;
    expect(rows[0]!.outputShape).toEqual([30, 30, 8]);
    expect(rows[1]!.receptiveField).toEqual({ size: 5, jump: 1, start: 2.5 });

    const store = RunStore.open(join(tmp.dir, 'kernellab.db'));
    const run = store.createRun({
      name: 'recorded',
      modelSpec: {
        name: 'k7',
        inputShape: [28, 28, 1],
        numClasses: 10,
        layers: [{ type: 'conv2d', filters: 4, kernelSize: 7 }, { type: 'flatten' }],
      },
      dataset: 'mnist',
      backend: 'wasm',
      seed: 1,
      hyperparameters: { epochs: 1 },
    });
    store.close();
    const recorded = kernellab('summary', '--run', String(run.id));
    expect(recorded.code).toBe(0);
    expect(recorded.out).toContain('k7: input 28×28×1');
    expect(recorded.out).toMatch(/^0\s+conv2d\s+22×22×4\s+200\s+7×7\s+1\s+3\.5$/m);
  });

  it('refuses an unknown preset and more than one source, exit 2', () => {
    expect(kernellab('summary', '--preset', 'lenet9')).toMatchObject({ code: 2, err: expect.stringContaining("'lenet9' is not a preset") });
    expect(kernellab('summary', '--preset', 'lenet5', '--run', '1')).toMatchObject({
      code: 2,
      err: expect.stringContaining('exactly one of --preset, --model or --run'),
    });
  });
});
