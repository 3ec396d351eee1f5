import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../test/tempDir.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { linkMnist } from '../test/mnistHome.ts';
import { closest } from './suggest.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-cli-words-')));
afterEach(() => tmp.cleanup());

function kernellab(...args: string[]) {
  const result = spawnSync(process.execPath, [cliPath, '--home', join(tmp.dir, 'home'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, KERNELLAB_DATASET_MIRROR: '' },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

const runCount = () => (JSON.parse(kernellab('runs', 'ls', '--json').out) as { total: number }).total;

describe('the CLI in its own words', () => {
  it('a misspelt preset or dataset gets "did you mean" with the flag, not an API field path', () => {
    const preset = kernellab('train', '--preset', 'lenet-5', '--dataset', 'mnist');
    expect(preset.code).toBe(2);
    expect(preset.err).toMatch(/^kernellab: --preset: 'lenet-5' is not a preset; did you mean lenet5\? \(one of: lenet5, /);
    const dataset = kernellab('sweep', '--preset', 'lenet5', '--dataset', 'mnist,fashion-mnsit', '--dry-run');
    expect(dataset.code).toBe(2);
    expect(dataset.err).toContain("--dataset: 'fashion-mnsit' is not a dataset; did you mean fashion-mnist?");
    expect(dataset.err).not.toMatch(/base\.|run\.dataset/);
    expect(closest('cifar', ['mnist', 'fashion-mnist', 'cifar10'])).toBe('cifar10');
    expect(closest('imagenet', ['mnist', 'fashion-mnist', 'cifar10'])).toBeNull();
  });

  it('training on a dataset that is not ready is refused before a run exists', () => {
    const refused = kernellab('train', '--preset', 'lenet5', '--dataset', 'fashion-mnist', '--epochs', '1');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('fashion-mnist is not on this machine yet, so nothing was queued');
    expect(refused.err).toContain('kernellab datasets download fashion-mnist');
    expect(runCount()).toBe(0);
  });

  it('--home naming a file gets a sentence, not EEXIST', () => {
    const file = join(tmp.dir, 'notes.txt');
    writeFileSync(file, 'not a folder');
    const result = spawnSync(process.execPath, [cliPath, '--home', file, 'runs', 'ls'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      `kernellab: The data folder ${file} is a file, not a folder: give --home (or KERNELLAB_HOME) a folder — it is created when missing\n`,
    );
    const korean = spawnSync(process.execPath, [cliPath, '--lang', 'ko', '--home', file, 'runs', 'ls'], { encoding: 'utf8' });
    expect(korean.status).toBe(2);
    expect(korean.stderr).toBe(
      `kernellab: 데이터 폴더 ${file}은(는) 폴더가 아니라 파일입니다. --home(또는 KERNELLAB_HOME)에 폴더를 주세요. 없으면 만들어집니다\n`,
    );
  });

  it('--help shows the defaults of every preset and an example', () => {
    const help = kernellab('train', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/preset +epochs +batch size +learning rate +validation split/);
    expect(help.out).toMatch(/lenet5 \(lenet5-relu\) +\d+ +\d+ +0\.001 +0\.1/);
    expect(help.out).toContain('every training / test image of the dataset');
    expect(help.out).toContain('Example:\n  kernellab train --preset lenet5 --dataset mnist');
    expect(kernellab('sweep', '--help').out).toContain('kernel-size 3,5,7 --epochs 2,4,6');
  });

  it('--dry-run lists the expanded points, the first 40, and says how many more', () => {
    const dry = kernellab(
      'sweep',
      '--preset',
      'lenet5',
      '--dataset',
      'mnist',
      '--kernel-size',
      '3,5,7',
      '--epochs',
      '1,2',
      '--repeats',
      '10',
      '--dry-run',
    );
    expect(dry.code).toBe(0);
    expect(dry.out).toContain('points (40 of 60):');
    expect(dry.out).toMatch(/^ {2}0 +kernelSize=3 epochs=1 +seed 42 +read from point \d+'s run \(epoch folding\)$/m);
    expect(dry.out).toMatch(/kernelSize=3 epochs=2 +seed 42 +train, ~/);
    expect(dry.out).toContain('… and 20 more');
    expect(runCount()).toBe(0);
  });

  it('a run pinned to a browser GPU is queued, and the command says what it waits for instead of waiting', async () => {
    await linkMnist(join(tmp.dir, 'home'));
    const misspelt = kernellab('sweep', '--preset', 'lenet5', '--dataset', 'mnist', '--backend', 'wasm,webgpo', '--dry-run');
    expect(misspelt.code).toBe(2);
    expect(misspelt.err).toContain("--backend: 'webgpo' is not a backend; did you mean webgpu?");
    const dry = kernellab('sweep', '--preset', 'lenet5', '--dataset', 'mnist', '--backend', 'webgpu,wasm', '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/backend=webgpu/);
    expect(dry.out).toMatch(/backend=wasm/);

    const queued = kernellab('train', '--preset', 'lenet5', '--dataset', 'mnist', '--subset', '100', '--epochs', '1', '--backend', 'webgl');
    expect(queued.code).toBe(0);
    expect(queued.out).toContain(
      "Run 1 is queued on webgl, waiting for a browser GPU: open KernelLab in a browser and press Train on this browser's GPU.",
    );
    const runs = JSON.parse(kernellab('runs', 'ls', '--json').out) as { rows: { status: string; backend: string }[] };
    expect(runs.rows).toMatchObject([{ status: 'queued', backend: 'webgl' }]);
  });
});

describe('kernellab datasets download that reaches no site', () => {
  let server: Server;
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says how to get the dataset anyway: datasets import <dir>, or KERNELLAB_DATASET_MIRROR', async () => {
    server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const result = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawnSyncAsync(['datasets', 'download', 'mnist', '--mirror', mirror]);
      resolve(child);
    });
    expect(result.code).toBe(1);
    expect(result.err).toContain('kernellab datasets import <dir>');
    expect(result.err).toContain('KERNELLAB_DATASET_MIRROR');
  });
});

/** The CLI as a child whose stderr is collected, without blocking this process (the mirror answers from here). */
async function spawnSyncAsync(args: string[]): Promise<{ code: number | null; err: string }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [cliPath, '--home', join(tmp.dir, 'home'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, err })));
}
