/**
 * A corrupt dataset's problems in the user's language (issue 17): the datasets list, a run's
 * refusal and loading a split say each problem coded, and the corrupt marker keeps the codes
 * beside the English lines that older versions read.
 */
import { appendFileSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { errorBodyText, problemsOf } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { DatasetInfo } from '../contract/datasets.ts';
import { toErrorBody } from '../errors.ts';
import { createService, type Service } from '../service.ts';
import { installFromFiles, loadSplit, mnistDataFiles } from './index.ts';
import { diskState, requireReady } from './status.ts';

let tmp: { dir: string; cleanup: () => void };
let service: Service;
let root: string;
beforeEach(() => {
  tmp = makeTempDir('kernellab-corrupt-');
  service = createService({ dataDir: join(tmp.dir, 'home'), shell: 'server' });
  root = join(tmp.dir, 'home', 'datasets');
});
afterEach(async () => {
  await service.close();
  tmp.cleanup();
});

/** English a Korean sentence about a corrupt dataset must not keep (file names, hashes and numbers aside). */
const english = /missing|bytes|expected|SHA-256 is|has SHA-256|verified file|corrupt|damaged|delete|queued|download/;

async function thrown(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a refusal');
}

/** The list's problem as the datasets page shows it. */
async function listed(locale: 'en' | 'ko'): Promise<string> {
  const mnist = (await service.call('datasets.list', {})).datasets.find((d) => d.name === 'mnist')!;
  expect(mnist.status).toBe('corrupt');
  return problemsOf(mnist.problem!, mnist.problemCodes, locale);
}

describe('a corrupt dataset in Korean', () => {
  it('says each of several problems coded in the datasets list, loading a split and queueing a run', async () => {
    await installFromFiles(root, 'mnist', mnistDataFiles());
    rmSync(join(root, 'mnist', 't10k-images-idx3-ubyte'));
    appendFileSync(join(root, 'mnist', 't10k-labels-idx1-ubyte'), 'x');
    const problem = 't10k-images-idx3-ubyte: missing; t10k-labels-idx1-ubyte: 10009 bytes, expected 10008';
    expect(diskState(root, 'mnist')).toMatchObject({ state: 'corrupt', problem, problemCode: null });

    // The page's English groups the digits, as everywhere it renders a count.
    const shown = 't10k-images-idx3-ubyte: missing; t10k-labels-idx1-ubyte: 10,009 bytes, expected 10,008';
    expect(await listed('en')).toBe(shown);
    const ko = await listed('ko');
    expect(ko).toBe('t10k-images-idx3-ubyte: 파일이 없습니다; t10k-labels-idx1-ubyte: 10,009바이트입니다. 10,008바이트여야 합니다');

    const loading = toErrorBody(await thrown(loadSplit(root, 'mnist', 'test')));
    expect(loading.message).toBe(`dataset mnist is corrupt: ${problem}; delete it and download or import it again`);
    expect(errorBodyText(loading, 'en')).toBe(`dataset mnist is corrupt: ${shown}; delete it and download or import it again`);
    expect(errorBodyText(loading, 'ko')).toBe(`데이터셋 mnist이(가) 손상되었습니다: ${ko}. 삭제한 뒤 다시 다운로드하거나 가져오세요`);

    const queueing = toErrorBody(await thrown((async () => requireReady(root, ['mnist']))()));
    expect(errorBodyText(queueing, 'en')).toBe(queueing.message.replace(problem, shown));
    const queueingKo = errorBodyText(queueing, 'ko');
    expect(queueingKo).toContain(`mnist이(가) 손상되어(${ko}) 아무것도 대기열에 넣지 않았습니다`);
    expect(queueingKo.replace('kernellab datasets rm mnist', '')).not.toMatch(english);
  });

  it('keeps the codes of a marked dataset beside the English marker, and codes an older marker read back', async () => {
    await installFromFiles(root, 'mnist', mnistDataFiles());
    const images = join(root, 'mnist', 'train-images-idx3-ubyte');
    const bytes = readFileSync(images);
    bytes[5000]! ^= 1;
    writeFileSync(images, bytes);
    const found = toErrorBody(await thrown(loadSplit(root, 'mnist', 'train')));
    expect(found.message).toMatch(
      /^dataset mnist is corrupt: train-images-idx3-ubyte has SHA-256 [0-9a-f]{64}, the verified file had ba8910/,
    );
    expect(errorBodyText(found, 'ko')).toMatch(
      /^데이터셋 mnist이\(가\) 손상되었습니다: train-images-idx3-ubyte의 SHA-256이 [0-9a-f]{64}입니다\. 검증된 파일은 ba8910[0-9a-f]+였습니다\. 삭제한/,
    );

    // The marker older versions read is the English line, as before.
    const marker = join(root, 'mnist', 'corrupt.txt');
    const line = readFileSync(marker, 'utf8');
    expect(line).toMatch(/^train-images-idx3-ubyte: SHA-256 is [0-9a-f]{64}, the verified file had ba8910[0-9a-f]+$/);
    const ko = await listed('ko');
    expect(ko).toMatch(/^train-images-idx3-ubyte: SHA-256이 [0-9a-f]{64}입니다\. 검증된 파일은 ba8910[0-9a-f]+였습니다$/);
    expect(await listed('en')).toBe(line);
    expect(errorBodyText(toErrorBody(await thrown(loadSplit(root, 'mnist', 'test'))), 'ko')).toContain(ko);

    // A marker an older version wrote (no codes beside it) is coded where its line is one this core writes.
    rmSync(join(root, 'mnist', 'corrupt.codes.json'));
    expect(await listed('ko')).toBe(ko);
    writeFileSync(marker, `${line}\nt10k-labels-idx1-ubyte: missing\nsomething an older version said`);
    expect(await listed('ko')).toBe(`${ko}; t10k-labels-idx1-ubyte: 파일이 없습니다; something an older version said`);

    // Codes beside a marker an older version rewrote are not trusted: its lines are read as they are.
    expect((await service.call('datasets.verify', { name: 'mnist' })).ok).toBe(false);
    expect(existsSync(join(root, 'mnist', 'corrupt.codes.json'))).toBe(true);
    writeFileSync(marker, 'train-images-idx3-ubyte: rewritten by an older version');
    expect(await listed('ko')).toBe('train-images-idx3-ubyte: rewritten by an older version');

    // A marker that says too much is bounded as the contract takes it, and the list still crosses the boundary.
    writeFileSync(marker, [...Array.from({ length: 150 }, (_, i) => `line ${i}`), 'x'.repeat(5000)].join('\n'));
    const [mnist] = (await service.call('datasets.list', {})).datasets;
    expect(DatasetInfo.parse(mnist).problemCodes).toHaveLength(100);

    // Imported again, the marker and its codes are gone.
    await installFromFiles(root, 'mnist', mnistDataFiles());
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(join(root, 'mnist', 'corrupt.codes.json'))).toBe(false);
  });
});
