import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import type { KernelLabError } from '../errors.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { extractArchive } from './archive.ts';
import { installFromFiles, mnistDataFiles, readManifest } from './index.ts';
import { cifarRecord, idxImages } from './testing/fixtures.ts';

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-import-')));
afterEach(() => tmp.cleanup());

/** The error as the Korean page and CLI say it, from its code (contract/coreText.ts); '' when it has none. */
const korean = (error: Error) => coreTextOf((error as KernelLabError).text, '', 'ko');

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

/** A folder with the real MNIST files, one of them replaced by `bad` under `name` (raw or .gz). */
function mnistWith(name: string, bad: Buffer): string {
  const dir = join(tmp.dir, 'in');
  mkdirSync(dir, { recursive: true });
  for (const path of mnistDataFiles()) {
    const file = path.split('/').at(-1)!;
    // The bad file replaces the good one, whether it is named with .gz or not.
    if (file !== name.replace(/\.gz$/, '')) copyFileSync(path, join(dir, file));
  }
  writeFileSync(join(dir, name), bad);
  return dir;
}

const data = () => join(tmp.dir, 'data');

describe('installFromFiles refuses bad files with the file and the problem, and marks nothing ready', () => {
  const labels = () => readFileSync(mnistDataFiles()[3]!);

  it.each([
    [
      'a truncated image file',
      't10k-images-idx3-ubyte',
      () => readFileSync(mnistDataFiles()[2]!).subarray(0, 5000),
      /t10k-images-idx3-ubyte: truncated: the header says 10000 images of 28x28/,
    ],
    [
      'wrong magic',
      't10k-labels-idx1-ubyte',
      () => idxImages(1, 28, 28),
      /t10k-labels-idx1-ubyte: wrong magic number 2051 \(that is an image file\)/,
    ],
    [
      'a count that disagrees with the size',
      't10k-labels-idx1-ubyte',
      () => Buffer.concat([labels(), Buffer.from([1, 2, 3])]),
      /t10k-labels-idx1-ubyte: has trailing bytes: the header says 10000 labels \(10008 bytes\) but the file has 10011 bytes/,
    ],
    [
      'a label out of range',
      't10k-labels-idx1-ubyte',
      () => Buffer.from(labels()).fill(11, 100, 101),
      /t10k-labels-idx1-ubyte: label 11 at record 92 is outside 0..9/,
    ],
    [
      'an HTML page saved as data',
      't10k-labels-idx1-ubyte.gz',
      () => Buffer.from('<html><body>Access denied</body></html>'),
      /t10k-labels-idx1-ubyte.gz: is an HTML page/,
    ],
    [
      'a gzip bomb',
      't10k-labels-idx1-ubyte.gz',
      () => gzipSync(Buffer.alloc(30 * 1024 * 1024)),
      /t10k-labels-idx1-ubyte.gz: decompresses to more than 10008 bytes/,
    ],
    [
      'valid data that is not the published file',
      't10k-labels-idx1-ubyte',
      () => Buffer.from(labels()).fill(3, 100, 101),
      /t10k-labels-idx1-ubyte: checksum mismatch: SHA-256 is [0-9a-f]{64}, the published t10k-labels-idx1-ubyte.gz has ff7bcfd4/,
    ],
  ])('%s', async (_what, name, make, message) => {
    const error = await failure(installFromFiles(data(), 'mnist', [mnistWith(name, make())]));
    expect(error.message).toMatch(message);
    expect(readManifest(data(), 'mnist')).toBeUndefined();
  });

  it('refuses a CIFAR file whose size is not a multiple of 3073', async () => {
    const dir = join(tmp.dir, 'cifar');
    mkdirSync(dir);
    writeFileSync(join(dir, 'train_subset_10k.bin.gz'), gzipSync(Buffer.concat([cifarRecord(1, [0, 0, 0]), Buffer.alloc(100)])));
    const error = await failure(installFromFiles(data(), 'cifar10', [dir]));
    expect(error.message).toMatch(/^train_subset_10k.bin.gz: size 3173 is not a multiple of the 3073-byte CIFAR record/);
    // Each refused file's problem is coded inside the sentence too.
    expect(korean(error)).toBe(
      'cifar10에는 아직 train_subset_10k.bin.gz, test_batch_reordered.bin.gz이(가) 없습니다. 받아들이지 않은 파일: train_subset_10k.bin.gz: 크기 3,173바이트가 CIFAR 레코드의 배수가 아닙니다(온전한 레코드 1개, 남는 바이트 100). 잘렸거나 CIFAR 바이너리 데이터가 아닙니다',
    );
    // Named on its own, the file's problem is coded too.
    const named = await failure(installFromFiles(data(), 'cifar10', [join(dir, 'train_subset_10k.bin.gz')]));
    expect(korean(named)).toBe(
      'train_subset_10k.bin.gz: 크기 3,173바이트가 CIFAR 레코드의 배수가 아닙니다(온전한 레코드 1개, 남는 바이트 100). 잘렸거나 CIFAR 바이너리 데이터가 아닙니다',
    );
    expect(readManifest(data(), 'cifar10')).toBeUndefined();
  });

  it('says which files are missing, and refuses a stranger named explicitly', async () => {
    const error = await failure(installFromFiles(data(), 'mnist', mnistDataFiles().slice(0, 2)));
    expect(error.message).toBe(
      'mnist: the files given hold only train-images-idx3-ubyte, train-labels-idx1-ubyte; still missing t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz',
    );
    expect(korean(error)).toBe(
      'mnist: 주어진 파일에는 train-images-idx3-ubyte, train-labels-idx1-ubyte만 있습니다. 아직 없는 파일: t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz',
    );
    const stranger = join(tmp.dir, 'notes.txt');
    writeFileSync(stranger, 'hello');
    const strangerError = await failure(installFromFiles(data(), 'mnist', [stranger]));
    expect(strangerError.message).toMatch(/^notes.txt: is not a file of mnist; expected one of/);
    expect(korean(strangerError)).toMatch(/^notes.txt: mnist의 파일이 아닙니다. 다음 중 하나여야 합니다: /);
    const missing = await failure(installFromFiles(data(), 'mnist', [join(tmp.dir, 'nope')]));
    expect(missing.message).toMatch(/nope: no such file or folder/);
    expect(korean(missing)).toMatch(/nope: 그런 파일이나 폴더가 없습니다$/);
  });

  it('stops with a clear error when the disk is full', async () => {
    mkdirSync(join(data(), 'mnist'), { recursive: true });
    // Writes to /dev/full fail with ENOSPC: a real full disk, for this one file.
    symlinkSync('/dev/full', join(data(), 'mnist', 'train-images-idx3-ubyte.part'));
    const error = await failure(installFromFiles(data(), 'mnist', mnistDataFiles()));
    expect(error.message).toMatch(/^train-images-idx3-ubyte: the disk is full \(copying .*train-images-idx3-ubyte\)/);
    expect(korean(error)).toMatch(/^train-images-idx3-ubyte: 디스크가 가득 찼습니다\(.*train-images-idx3-ubyte.part에 쓰는 중\)$/);
    expect(readManifest(data(), 'mnist')).toBeUndefined();
  });

  it('re-importing replaces a dataset and drops its cache', async () => {
    await installFromFiles(data(), 'mnist', mnistDataFiles());
    mkdirSync(join(data(), 'mnist', 'cache'), { recursive: true });
    writeFileSync(join(data(), 'mnist', 'cache', 'test.json'), '{}');
    await installFromFiles(data(), 'mnist', mnistDataFiles());
    expect(existsSync(join(data(), 'mnist', 'cache', 'test.json'))).toBe(false);
  });
});

describe('archive extraction (streaming tar.gz)', () => {
  const archive = { name: 'x.tar.gz', bytes: 0, sha256: '0'.repeat(64), memberDir: 'cifar-10-batches-bin' };
  const member = { name: 'data_batch_1.bin', bytes: 2 * 3073, sha256: '' };

  async function makeArchive(entries: Record<string, Buffer>): Promise<string> {
    const src = join(tmp.dir, 'src');
    for (const [path, body] of Object.entries(entries)) {
      mkdirSync(join(src, path, '..'), { recursive: true });
      writeFileSync(join(src, path), body);
    }
    const file = join(tmp.dir, 'x.tar.gz');
    await createTar({ gzip: true, file, cwd: src }, Object.keys(entries));
    return file;
  }

  it('extracts the wanted members only, flat', async () => {
    const body = Buffer.concat([cifarRecord(1, [0, 0, 0]), cifarRecord(2, [1, 1, 1])]);
    const file = await makeArchive({
      'cifar-10-batches-bin/data_batch_1.bin': body,
      'cifar-10-batches-bin/readme.html': Buffer.from('hi'),
      'evil/data_batch_1.bin': Buffer.from('x'),
    });
    const out = await extractArchive(file, join(tmp.dir, 'out'), archive, [member]);
    expect([...out.keys()]).toEqual(['data_batch_1.bin']);
    expect(readFileSync(out.get('data_batch_1.bin')!).equals(body)).toBe(true);
    expect(existsSync(join(tmp.dir, 'out', 'readme.html'))).toBe(false);
  });

  it('refuses a bomb, a truncated archive and a missing member', async () => {
    const big = await makeArchive({ 'cifar-10-batches-bin/data_batch_1.bin': Buffer.alloc(40 * 1024 * 1024) });
    expect((await failure(extractArchive(big, join(tmp.dir, 'o1'), archive, [member]))).message).toMatch(
      /^x.tar.gz: decompresses to more than \d+ bytes/,
    );
    const small = await makeArchive({
      'cifar-10-batches-bin/data_batch_1.bin': Buffer.concat([cifarRecord(1, [0, 9, 0]), cifarRecord(2, [1, 1, 1])]),
    });
    const whole = readFileSync(small);
    writeFileSync(small, whole.subarray(0, whole.length / 2));
    expect((await failure(extractArchive(small, join(tmp.dir, 'o2'), archive, [member]))).message).toMatch(
      /^x.tar.gz: (gzip data is truncated|is not a readable tar)/,
    );
    const other = await makeArchive({ 'cifar-10-batches-bin/test_batch.bin': cifarRecord(0, [0, 0, 0]) });
    expect((await failure(extractArchive(other, join(tmp.dir, 'o3'), archive, [member]))).message).toBe(
      'x.tar.gz: does not contain data_batch_1.bin under cifar-10-batches-bin/',
    );
  });
});
