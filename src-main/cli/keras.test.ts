import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { cliPath } from '../test/servedKernellab.ts';
import { makeTempDir } from '../test/tempDir.ts';

const temp = makeTempDir('kernellab-cli-keras-');
afterAll(() => temp.cleanup());
const fixtures = join(import.meta.dirname, '..', 'core', 'models', 'keras', 'fixtures');

function kernellab(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cliPath, '--home', join(temp.dir, 'home'), ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('kernellab import keras', () => {
  it('reads the config.json inside a .keras file (its weights left unread) and its compile settings', async () => {
    const result = await kernellab('import', 'keras', join(fixtures, 'model.keras'), '--json');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const imported = JSON.parse(result.stdout) as { source: string; spec: { layers: { type: string }[] }; hyperparameters: object };
    expect(imported.source).toBe("Keras 3 Sequential 'saved'");
    expect(imported.spec.layers.map((l) => l.type)).toEqual(['conv2d', 'flatten']);
    expect(imported.hyperparameters).toEqual({ optimizer: 'adam', learningRate: 0.002, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
  });

  it('writes the model spec and a run file that train --spec and sweep --spec take', async () => {
    const out = join(temp.dir, 'every.json');
    const runFile = join(temp.dir, 'every.yaml');
    const result = await kernellab(
      'import',
      'keras',
      join(fixtures, 'every_layer.keras3.json'),
      '--out',
      out,
      '--run-spec',
      runFile,
      '--dataset',
      'cifar10',
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Keras 3 Sequential 'every_layer' → KernelLab model 'every_layer'/);
    expect(result.stdout).toMatch(/13,482 parameters/);
    expect(result.stdout).toMatch(/note: Compiled with Adam/);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ name: 'every_layer', numClasses: 10 });
    const run = parseYaml(readFileSync(runFile, 'utf8')) as { dataset: string; hyperparameters: object; model: object };
    expect(run.dataset).toBe('cifar10');
    expect(run.hyperparameters).toEqual({ optimizer: 'adam', learningRate: 1e-4, beta1: 0.85, beta2: 0.99, epsilon: 1e-8 });
    // The run file is a sweep's base: flags add epochs and an axis; the preview accepts it.
    const preview = await kernellab('sweep', '--spec', runFile, '--epochs', '1', '--batch-size', '16,32', '--dry-run', '--json');
    expect(preview.stderr).toBe('');
    expect(preview.code).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({ planned: 2, impossible: 0 });
  });

  it('refuses a model with what it cannot train, naming the layer; exit 2', async () => {
    const refusals = JSON.parse(readFileSync(join(fixtures, 'refusals.keras3.json'), 'utf8')) as Record<string, unknown>;
    const file = join(temp.dir, 'leaky.json');
    writeFileSync(file, JSON.stringify(refusals.leaky_relu));
    const result = await kernellab('import', 'keras', file);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/layer 'leaky_re_lu' \(LeakyReLU\): KernelLab has no leaky relu; use Activation\('relu'\)/);
  });

  it('says each problem and note in Korean with --lang ko; English exactly as before', { timeout: 120_000 }, async () => {
    const refusals = JSON.parse(readFileSync(join(fixtures, 'refusals.keras3.json'), 'utf8')) as Record<string, unknown>;
    const file = join(temp.dir, 'dilated-clipnorm.json');
    const model = structuredClone(refusals.dilated) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
    model.config.layers.find((l) => l.class_name === 'Conv2D')!.config.kernel_size = [3, 5];
    writeFileSync(file, JSON.stringify(model));
    // One after another: the first CLI process creates the data folder's database.
    const ko = await kernellab('--lang', 'ko', 'import', 'keras', file);
    const en = await kernellab('--lang', 'en', 'import', 'keras', file);
    const notes = await kernellab('--lang', 'ko', 'import', 'keras', join(fixtures, 'every_layer.keras3.json'));
    expect(ko.code).toBe(2);
    expect(ko.stderr).toMatch(
      /KernelLab은 이 Keras 모델을 그대로 학습할 수 없습니다: 층 '\w+'\(Conv2D\): dilation_rate=\[2,2\]: KernelLab은 팽창/,
    );
    expect(ko.stderr).toContain(
      'kernel_size [3,5]은(는) 정사각형이 아닙니다. KernelLab은 정사각형 커널만 학습합니다(kernel_size=(3, 3) 또는 (5, 5)을(를) 쓰세요)',
    );
    expect(ko.stderr).not.toMatch(/KernelLab (trains|cannot)|\blayer '|remove/);
    expect(en.code).toBe(2);
    expect(en.stderr).toMatch(
      /KernelLab cannot train this Keras model as it is: layer '\w+' \(Conv2D\): dilation_rate=\[2,2\]: KernelLab trains undilated convolutions; remove dilation_rate; layer '\w+' \(Conv2D\): kernel_size \[3,5\] is not square; KernelLab trains square kernels \(use kernel_size=\(3, 3\) or \(5, 5\)\)/,
    );
    expect(notes.code, notes.stderr).toBe(0);
    expect(notes.stdout).toMatch(/^참고: Adam\(으\)로 컴파일됨: optimizer adam, learningRate 0\.0001/m);
    expect(notes.stdout).not.toMatch(/Compiled with|not carried over/);
  });

  it('tells an HDF5 (.h5) model from JSON and says how to save one it reads', async () => {
    const h5 = join(temp.dir, 'model.h5');
    writeFileSync(h5, Buffer.concat([Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]));
    const result = await kernellab('import', 'keras', h5);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /model\.h5 is an HDF5 \(\.h5\) model; KernelLab reads model\.to_json\(\) or a \.keras file: in Keras, model\.save\('model\.keras'\)/,
    );
  });

  it('--run-spec needs the dataset, and refuses one whose images the layers cannot take', async () => {
    const missing = await kernellab('import', 'keras', join(fixtures, 'every_layer.keras3.json'), '--run-spec', join(temp.dir, 'x.yaml'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--run-spec: name the dataset/);
  });
});

describe('kernellab export keras', () => {
  it('prints a preset as Keras JSON compiled with its optimizer, and the fit line on stderr', async () => {
    const result = await kernellab('export', 'keras', '--preset', 'mnist-tf1-deep');
    expect(result.code).toBe(0);
    const model = JSON.parse(result.stdout) as {
      class_name: string;
      compile_config: { optimizer: { class_name: string; config: { epsilon: number } } };
    };
    expect(model.class_name).toBe('Sequential');
    expect(model.compile_config.optimizer).toMatchObject({ class_name: 'Adam', config: { epsilon: 1e-8, learning_rate: 1e-4 } });
    expect(result.stderr).toMatch(/note: Fit as KernelLab trains it: model\.fit\(x, y, batch_size=50, epochs=18/);
  });

  it('says its notes in Korean with --lang ko, the Python code as it is', async () => {
    const out = join(temp.dir, 'model.json');
    const result = await kernellab('--lang', 'ko', 'export', 'keras', '--preset', 'mnist-tf1-deep', '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^참고: KernelLab이 학습하는 대로 학습하려면: 픽셀을 \[0, 1\]로 맞춘 뒤 model\.fit\(x, y, batch_size=50, epochs=18/m,
    );
    expect(result.stdout).not.toMatch(/Fit as|with pixels scaled/);
  });

  it('refuses AlexNet-28 by its LRN layer', async () => {
    const result = await kernellab('export', 'keras', '--preset', 'alexnet');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/layers\[1\] \(lrn\): Keras has no local response normalisation layer/);
  });
});
