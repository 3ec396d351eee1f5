import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirWithMnist, tinyModel } from '../core/sweeps/sweepFixture.ts';
import { cliPath, peek } from '../test/servedKernellab.ts';
import { epochLine } from './train.ts';

let home: { dir: string; cleanup: () => void };
let modelFile: string;
beforeAll(async () => {
  home = await dataDirWithMnist('kernellab-cli-train-');
  modelFile = join(home.dir, 'tiny.json');
  writeFileSync(modelFile, JSON.stringify(tinyModel));
});
afterAll(() => home?.cleanup());

describe('kernellab train, as people who use Keras expect it', () => {
  it('prints each epoch as it ends (into a pipe too), then where the checkpoints are and how to open the run', async () => {
    const args = ['--home', home.dir, 'train', '--model', modelFile, '--dataset', 'mnist', '--subset', '600', '--test-subset', '100'];
    const child = spawn(process.execPath, [cliPath, ...args, '--learning-rate', '0.01', '--backend', 'wasm', '--epochs', '3'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let statusAtFirstEpoch: string | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      // The first epoch's line is on stdout while the run still trains: lines come as epochs end, not at the end.
      if (statusAtFirstEpoch === undefined && /^Epoch 1\/3 /m.test(out))
        statusAtFirstEpoch = peek<{ status: string }>(join(home.dir, 'kernellab.db'), 'SELECT status FROM runs ORDER BY id DESC LIMIT 1')[0]
          ?.status;
    });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(statusAtFirstEpoch).toBe('running');
    const epochs = out.split('\n').filter((l) => l.startsWith('Epoch '));
    expect(epochs).toHaveLength(3);
    expect(epochs[2]).toMatch(
      /^Epoch 3\/3 - \d+\.\ds - loss: \d\.\d{4} - accuracy: \d\.\d{4} - val_loss: \d\.\d{4} - val_accuracy: \d\.\d{4} - [\d,]+ images\/s$/,
    );
    expect(out).toMatch(new RegExp(`checkpoints +${home.dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S*runs\\S* \\(`));
    expect(out).toMatch(/open it +kernellab runs show \d+/);
    expect(out).toMatch(/in a browser +kernellab serve, then open the URL it prints and add #\/runs\/\d+/);
  }, 240_000);

  it('writes an epoch line the way Keras does', () => {
    expect(
      epochLine(2, 5, {
        loss: 0.41234,
        accuracy: 0.875,
        val_loss: 0.39,
        val_accuracy: 0.88,
        epoch_seconds: 12.34,
        samples_per_sec: 3307.4,
      }),
    ).toBe('Epoch 2/5 - 12.3s - loss: 0.4123 - accuracy: 0.8750 - val_loss: 0.3900 - val_accuracy: 0.8800 - 3,307 images/s');
  });
});
