import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SweepPreview } from '../core/contract/sweeps.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-cli-search-')));
afterEach(() => tmp.cleanup());

function kernellab(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, '--home', tmp.dir, ...args], { encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const sweep = ['sweep', '--preset', 'lenet5-relu', '--dataset', 'mnist', '--kernel-size', '3,5,7', '--epochs', '9', '--dry-run'];

describe('kernellab sweep search flags', () => {
  it('takes the pruner with its options and the metric with its direction, and the preview reads them back', () => {
    const asha = kernellab(...sweep, '--pruner', 'asha:r=1,eta=2', '--optimize', 'val_loss:minimize', '--json');
    expect(asha.err).toBe('');
    const preview = JSON.parse(asha.out) as SweepPreview;
    expect(preview.search).toMatchObject({
      method: 'grid',
      pruner: 'asha (r = 1, η = 2, s = 0)',
      optimize: { metric: 'val_loss', direction: 'minimize' },
    });
    // Rungs at epochs 1, 2, 4 and 8 of 9: each run is expected to train 1 + 1/2 + 2/4 + 4/8 + 1/16 epochs.
    expect(preview.pruning!.expectedEpochs).toBeCloseTo(3 * (1 + 1 / 2 + 2 / 4 + 4 / 8 + 1 / 16));

    const median = kernellab(...sweep, '--method', 'tpe', '--trials', '4', '--pruner', 'median:startup_trials=2,warmup_epochs=1');
    expect(median.err).toBe('');
    expect(median.out).toContain('TPE: 4 trials, optimising val_accuracy (maximize)');
    expect(median.out).toContain('pruner median (after 2 runs, warm-up 1 epochs)');
  }, 120_000);

  it('refuses a pruner option or direction it does not know, naming the flag or the field', () => {
    const option = kernellab(...sweep, '--pruner', 'asha:eta=1');
    expect(option.code).not.toBe(0);
    expect(option.err).toMatch(/pruner\.reductionFactor/);
    const unknown = kernellab(...sweep, '--pruner', 'asha:rungs=3');
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toMatch(/rungs/);
    const direction = kernellab(...sweep, '--optimize', 'val_loss:down');
    expect(direction.code).not.toBe(0);
    expect(direction.err).toMatch(/optimize\.direction/);
    const empty = kernellab(...sweep, '--optimize', 'val_loss:minimize:x');
    expect(empty.err).toContain("--optimize: 'val_loss:minimize:x' is not metric[:maximize|minimize]");
  }, 120_000);
});
