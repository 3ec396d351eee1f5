/**
 * What a run trained on, as `kernellab runs show` prints it (issue 17): the device line its worker
 * recorded, English exactly as stored, and in Korean from its code (runs.device_code, migration
 * 0018) with names, versions and numbers as they are. Real runs through `kernellab train`: wasm,
 * an unpinned run whose tensorflow engine folder is empty (it falls back to wasm and says why),
 * and tensorflow where the engine is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../i18n/coreText.ts';
import type { CoreText } from '../core/contract/coreText.ts';
import { dataDirWithMnist, tinyModel } from '../core/sweeps/sweepFixture.ts';
import { engineForTests } from '../test/installedEngine.ts';
import { cliPath, peek } from '../test/servedKernellab.ts';

let home: { dir: string; cleanup: () => void };
let modelFile: string;
let noEngines: string;
beforeAll(async () => {
  home = await dataDirWithMnist('kernellab-cli-device-');
  modelFile = join(home.dir, 'tiny.json');
  writeFileSync(modelFile, JSON.stringify(tinyModel));
  noEngines = join(home.dir, 'no-engines');
  mkdirSync(noEngines);
});
afterAll(() => home?.cleanup());

function kernellab(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [cliPath, '--home', home.dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, KERNELLAB_ENGINES_DIR: noEngines, ...env },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

/** Trains the tiny model for one epoch on 200 images; the new run's id and its stored device line. */
function train(backend: string[], env: NodeJS.ProcessEnv = {}): { id: number; device: string } {
  const args = [
    'train',
    '--model',
    modelFile,
    '--dataset',
    'mnist',
    '--subset',
    '200',
    '--test-subset',
    '50',
    '--epochs',
    '1',
    '--learning-rate',
    '0.01',
  ];
  const trained = kernellab([...args, ...backend], env);
  // TensorFlow logs its own start-up lines on stderr; only the exit status says the run went through.
  expect(trained.code, trained.err).toBe(0);
  const [run] = peek<{ id: number; device: string }>(
    join(home.dir, 'kernellab.db'),
    'SELECT id, device FROM runs ORDER BY id DESC LIMIT 1',
  );
  return run!;
}

/** The `backend …` line of runs show, less the seed and time after the device. */
function deviceLine(id: number, lang: 'en' | 'ko'): string {
  const line = kernellab(['--lang', lang, 'runs', 'show', String(id)]).out.split('\n')[1]!;
  // The run's time in the reader's unit: "12.3 s", Korean "12.3초".
  expect(line).toMatch(lang === 'en' ? /, seed \d+, \d+\.\d s$/ : /, 시드 \d+, \d+\.\d초$/);
  return line.replace(/, (seed|시드) \d+, [\d.]+( s|초)$/, '');
}

/** wasm's device line ("<cpu> (N threads), SIMD on, 2 threads") and the same in Korean. */
function wasmDevice(device: string): [string, string] {
  const wasm = /^(.+) \((\d+) threads\), SIMD (on|off), (one thread|(\d+) threads)$/.exec(device);
  expect(wasm, device).not.toBeNull();
  const [, cpu, threads, simd, , used] = wasm!;
  return [device, `${cpu} (스레드 ${threads}개), SIMD ${simd === 'on' ? '켜짐' : '꺼짐'}, 스레드 ${used ?? 1}개 사용`];
}

describe('a run’s recorded device in kernellab runs show', () => {
  it('says what wasm trained on in Korean, and in English as recorded', () => {
    const { id, device } = train(['--backend', 'wasm']);
    const [english, korean] = wasmDevice(device);
    expect(deviceLine(id, 'en')).toBe(`  backend wasm on ${english}`);
    expect(deviceLine(id, 'ko')).toBe(`  백엔드 wasm (${korean})`);
    // What the run page reads (runs.get) carries the code beside the line, and renders it the same way.
    const detail = JSON.parse(kernellab(['runs', 'show', String(id), '--json']).out) as { device: string; deviceCode: unknown };
    expect(detail.device).toBe(device);
    expect(coreTextOf(detail.deviceCode as CoreText, detail.device, 'ko')).toBe(korean);
    expect(coreTextOf(detail.deviceCode as CoreText, detail.device, 'en')).toBe(english);
  }, 120_000);

  it('says why an unpinned run fell back from a tensorflow engine that did not load, with the reason coded', () => {
    const engine = join(home.dir, 'empty-engine');
    mkdirSync(engine, { recursive: true });
    const { id, device } = train([], { KERNELLAB_TENSORFLOW_ENGINE: engine });
    const why = `the tensorflow engine did not load (the engine folder ${engine} is missing or incomplete; install the engine again); fell back to wasm`;
    expect(device.endsWith(` (${why})`)).toBe(true);
    const [english, korean] = wasmDevice(device.slice(0, -` (${why})`.length));
    expect(deviceLine(id, 'en')).toBe(`  backend wasm on ${english} (${why})`);
    expect(deviceLine(id, 'ko')).toBe(
      `  백엔드 wasm (${korean} (tensorflow 엔진을 불러오지 못했습니다(엔진 폴더 ${engine}이(가) 없거나 불완전합니다. 엔진을 다시 설치하세요). 대신 wasm(으)로 학습합니다))`,
    );
  }, 120_000);
});

const engine = engineForTests('run device on tensorflow');
describe.runIf(engine !== undefined)('a run’s recorded device on the installed tensorflow engine', () => {
  it('says the libtensorflow and CPU it trained on in Korean, and in English as recorded', () => {
    const { id, device } = train(['--backend', 'tensorflow'], { KERNELLAB_ENGINES_DIR: engine!.enginesDir });
    const tensorflow = /^CPU libtensorflow (\S+): (.+), (\d+) threads?$/.exec(device);
    expect(tensorflow, device).not.toBeNull();
    const [, version, cpu, threads] = tensorflow!;
    expect(deviceLine(id, 'en')).toBe(`  backend tensorflow on ${device}`);
    expect(deviceLine(id, 'ko')).toBe(`  백엔드 tensorflow (CPU libtensorflow ${version}: ${cpu}, 스레드 ${threads}개)`);
  }, 120_000);
});
