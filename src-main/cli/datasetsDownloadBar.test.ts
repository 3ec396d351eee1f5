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

const downloads = new Map<'en' | 'ko', { stdout: string; stderr: string }>();

/** One real download per language into its own data folder (kept for the tests that read it). */
function download(lang: 'en' | 'ko'): { stdout: string; stderr: string } {
  const done = downloads.get(lang);
  if (done) return done;
  const result = spawnSync(
    process.execPath,
    [cliPath, '--home', join(tmp.dir, lang), 'datasets', 'download', 'mnist', '--mirror', mirror()],
    {
      encoding: 'utf8',
      env: { ...process.env, KERNELLAB_LANG: lang, KERNELLAB_DATASET_MIRROR: '' },
    },
  );
  expect(result.status, result.stderr).toBe(0);
  downloads.set(lang, result);
  return result;
}

/** The last line of the bar (stdout is not a terminal: cli-progress prints each update on its own line). */
function lastBar(lang: 'en' | 'ko'): string {
  // cli-progress writes to stderr.
  const bars = download(lang)
    .stderr.split('\n')
    .filter((line) => line.startsWith('mnist ['));
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

  it('says where the files came from in Korean (the record itself stays English)', () => {
    const said = (lang: 'en' | 'ko') => download(lang).stdout.trim().split('\n').at(-1)!;
    expect(said('en').endsWith(`; from download: mirror ${join(mirror(), 'mnist')}`)).toBe(true);
    expect(said('ko')).toMatch(/; 출처: 다운로드: 미러 \//);
    expect(said('ko').replace(mirror(), '')).not.toMatch(/download|mirror/);
  });
});
