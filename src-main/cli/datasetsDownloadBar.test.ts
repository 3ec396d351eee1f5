/**
 * `kernellab datasets download`'s bar in the user's language: its speed and the phase after the
 * file's name were English in a Korean terminal. A real download from a folder mirror of real MNIST.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetProgress } from '../core/contract/datasets.ts';
import { mnistDataFiles } from '../core/datasets/index.ts';
import { makeTempDir } from '../test/tempDir.ts';
import { cliPath } from '../test/servedKernellab.ts';
import { downloadPhaseWord } from './datasets.ts';

let tmp: { dir: string; cleanup: () => void };
const mirror = () => join(tmp.dir, 'mirror');
beforeAll(() => {
  tmp = makeTempDir('kernellab-download-bar-');
  mkdirSync(join(mirror(), 'mnist'), { recursive: true });
  for (const path of mnistDataFiles())
    writeFileSync(join(mirror(), 'mnist', `${path.split('/').at(-1)!}.gz`), gzipSync(readFileSync(path), { level: 1 }));
});
afterAll(() => tmp.cleanup());

/** The last line of the bar (stdout is not a terminal: cli-progress prints each update on its own line). */
function lastBar(lang: 'en' | 'ko'): string {
  const result = spawnSync(
    process.execPath,
    [cliPath, '--home', join(tmp.dir, lang), 'datasets', 'download', 'mnist', '--mirror', mirror()],
    {
      encoding: 'utf8',
      env: { ...process.env, KERNELLAB_LANG: lang, KERNELLAB_DATASET_MIRROR: '' },
    },
  );
  expect(result.status, result.stderr).toBe(0);
  // cli-progress writes to stderr.
  const bars = result.stderr.split('\n').filter((line) => line.startsWith('mnist ['));
  expect(bars.length).toBeGreaterThan(0);
  // The bar's own blocks are not words.
  return bars.at(-1)!.replace(/\[[░█]*\]/, '[]');
}

describe('kernellab datasets download, its bar', () => {
  it('says the speed and the phase in Korean, in English as before', () => {
    expect(lastBar('ko')).toMatch(/^mnist \[\] 100% \| 11\.6 MB\/11\.6 MB \| 초당 \d+\.\d MB \| t10k-labels-idx1-ubyte\.gz 완료$/);
    expect(lastBar('en')).toMatch(/^mnist \[\] 100% \| 11\.6 MB\/11\.6 MB \| \d+\.\d MB\/s \| t10k-labels-idx1-ubyte\.gz done$/);
  });

  it('has a Korean word for every phase, and the English words as they were', () => {
    for (const phase of DatasetProgress.shape.phase.options) {
      expect(downloadPhaseWord(phase, 'en')).toBe(phase === 'download' ? '' : phase);
      if (phase !== 'download') expect(downloadPhaseWord(phase, 'ko')).toMatch(/^[가-힣 ]+$/);
    }
  });
});
