import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coreTextOf, errorBodyText } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { toErrorBody } from '../errors.ts';
import { createService, type Service } from '../service.ts';
import { installFromFiles, mnistDataFiles } from './index.ts';

let tmp: { dir: string; cleanup: () => void };
let service: Service;
const fifos: string[] = [];
beforeEach(() => {
  tmp = makeTempDir('kernellab-special-');
  service = createService({ dataDir: join(tmp.dir, 'home'), shell: 'server' });
});
afterEach(async () => {
  // A reader stuck opening a FIFO is released by a writer opening it.
  for (const fifo of fifos.splice(0)) {
    try {
      closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // No reader waiting: nothing to release.
    }
  }
  await service.close();
  tmp.cleanup();
});

function mkfifo(path: string): string {
  const made = spawnSync('mkfifo', [path]);
  if (made.status !== 0) throw new Error(`mkfifo failed: ${made.stderr}`);
  fifos.push(path);
  return path;
}

const datasetFolders = () => readdirSync(join(tmp.dir, 'home', 'datasets'));

async function refusal(promise: Promise<unknown>): Promise<string> {
  return (await refused(promise)).message;
}

async function refused(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the import to be refused');
}

/** A refusal as the datasets page and a Korean CLI say it. */
const inKorean = (error: Error) => errorBodyText(toErrorBody(error), 'ko');

describe('datasets.import takes regular files only', () => {
  it('refuses a device at once, named or not, and leaves no folder', async () => {
    expect(await refusal(service.call('datasets.import', { name: 'mnist', paths: ['/dev/zero'] }))).toBe(
      'zero: is a character device, not a regular file; KernelLab imports regular files and folders only',
    );
    expect(await refusal(service.call('datasets.import', { paths: ['/dev/zero'] }))).toMatch(/is a character device/);
    expect(datasetFolders()).toEqual([]);
  });

  it('says a refused path in Korean, a link with where it leads (issue 17)', async () => {
    const device = '일반 파일이 아닌 문자 장치입니다. KernelLab은 일반 파일과 폴더만 가져옵니다';
    expect(inKorean(await refused(service.call('datasets.import', { name: 'mnist', paths: ['/dev/zero'] })))).toBe(`zero: ${device}`);
    const zeros = join(tmp.dir, 'zeros');
    symlinkSync('/dev/zero', zeros);
    const named = await refused(service.call('datasets.import', { name: 'mnist', paths: [zeros] }));
    expect(named.message).toMatch(/^zeros \(a link to \/dev\/zero\): is a character device/);
    expect(inKorean(named)).toBe(`zeros(/dev/zero을(를) 가리키는 링크): ${device}`);
    // Without a name every dataset is tried: each one's refusal in Korean after the heading.
    const any = await refused(service.call('datasets.import', { paths: ['/dev/zero'] }));
    expect(inKorean(any)).toBe(
      `KernelLab이 아는 데이터셋의 파일이 아닙니다 (${['mnist', 'fashion-mnist', 'cifar10'].map((d) => `${d}: zero: ${device}`).join('; ')})`,
    );
    expect(errorBodyText(toErrorBody(any), 'en')).toBe(any.message);
  });

  it('refuses FIFOs without blocking the file-I/O pool: other file reads go on', async () => {
    const pipes = [1, 2, 3, 4, 5].map((i) => mkfifo(join(tmp.dir, `pipe${i}`)));
    // Five imports at once, as five browser tabs or five scripts would start them.
    const imports = pipes.map((p, i) => installFromFiles(join(tmp.dir, `home${i}`), 'mnist', [p]).catch((e: Error) => e.message));
    // With four threads in Node's pool, four blocked opens would leave this read waiting forever.
    const other = await Promise.race([
      readFile(mnistDataFiles()[3]!).then((b) => b.length),
      new Promise<string>((r) => setTimeout(() => r('file reads are stuck'), 3000)),
    ]);
    expect(other).toBe(10008);
    for (const message of await Promise.all(imports)) expect(message).toMatch(/^pipe\d: is a named pipe \(FIFO\), not a regular file/);
    for (let i = 0; i < 5; i++) expect(existsSync(join(tmp.dir, `home${i}`, 'mnist'))).toBe(false);
  });

  it('skips special files in a folder and says so, importing the rest', async () => {
    const dir = join(tmp.dir, 'in');
    mkdirSync(dir);
    for (const file of mnistDataFiles()) copyFileSync(file, join(dir, file.split('/').at(-1)!));
    mkfifo(join(dir, 'stray.fifo'));
    symlinkSync('/dev/zero', join(dir, 'zeros'));
    const info = await service.call('datasets.import', { paths: [dir] });
    expect(info).toMatchObject({ name: 'mnist', status: 'ready' });
    expect(info.notes).toEqual(
      expect.arrayContaining([
        'skipped stray.fifo: is a named pipe (FIFO), not a regular file; KernelLab imports regular files and folders only',
        'skipped zeros (a link to /dev/zero): is a character device, not a regular file; KernelLab imports regular files and folders only',
      ]),
    );
    // The datasets page and `kernellab datasets import` say each note in the user's language (issue 17).
    const korean = info.notes.map((note, i) => coreTextOf(info.noteCodes?.[i], note, 'ko'));
    expect(korean).toEqual(
      expect.arrayContaining([
        '건너뜀: stray.fifo: 일반 파일이 아닌 이름 있는 파이프(FIFO)입니다. KernelLab은 일반 파일과 폴더만 가져옵니다',
        '건너뜀: zeros(/dev/zero을(를) 가리키는 링크): 일반 파일이 아닌 문자 장치입니다. KernelLab은 일반 파일과 폴더만 가져옵니다',
      ]),
    );
    expect(info.notes.map((note, i) => coreTextOf(info.noteCodes?.[i], note, 'en'))).toEqual(info.notes);
  });

  it('follows a link and says where it leads, but never quotes the bytes of the file behind it', async () => {
    const secret = join(tmp.dir, 'secret.txt');
    writeFileSync(secret, 'root:x:0:0:the secret line\n'.repeat(2000));
    const link = join(tmp.dir, 'train-images-idx3-ubyte');
    symlinkSync(secret, link);
    const message = await refusal(service.call('datasets.import', { name: 'mnist', paths: [link] }));
    expect(message).toMatch(new RegExp(`^train-images-idx3-ubyte \\(a link to ${secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): `));
    // "wrong magic number 1919905652" was "root" read as a number.
    expect(message).not.toContain(String(Buffer.from('root').readUInt32BE(0)));
    expect(message).not.toMatch(/root|secret line/);
    expect(message).toMatch(/not an IDX image file/);
  });

  it("says a linked file's problem in Korean with where the link leads, and what a folder import left out (issue 17)", async () => {
    const secret = join(tmp.dir, 'secret.txt');
    writeFileSync(secret, 'root:x:0:0:the secret line\n'.repeat(2000));
    const link = join(tmp.dir, 'train-images-idx3-ubyte');
    symlinkSync(secret, link);
    const named = await refused(service.call('datasets.import', { name: 'mnist', paths: [link] }));
    expect(named.message).toMatch(/^train-images-idx3-ubyte \(a link to .*secret\.txt\): /);
    expect(inKorean(named)).toBe(`train-images-idx3-ubyte(${secret}을(를) 가리키는 링크): IDX 매직 넘버 2,051로 시작하지 않습니다`);
    expect(errorBodyText(toErrorBody(named), 'en')).toBe(
      `train-images-idx3-ubyte (a link to ${secret}): does not start with the IDX magic number 2,051`,
    );

    // In a folder the same file is refused among others, and a FIFO beside it is left out: both coded inside the sentence.
    const dir = join(tmp.dir, 'folder');
    mkdirSync(dir);
    symlinkSync(secret, join(dir, 'train-images-idx3-ubyte'));
    mkfifo(join(dir, 'stray.fifo'));
    const inFolder = await refused(service.call('datasets.import', { name: 'mnist', paths: [dir] }));
    expect(inFolder.message).toMatch(/^train-images-idx3-ubyte \(a link to .*\): .* \(left out: stray\.fifo: is a named pipe/);
    const korean = inKorean(inFolder);
    expect(korean).toMatch(/^mnist에는 아직 .*이\(가\) 없습니다\. 받아들이지 않은 파일: /);
    expect(korean).toContain(
      `받아들이지 않은 파일: train-images-idx3-ubyte(${secret}을(를) 가리키는 링크): IDX 매직 넘버 2,051로 시작하지 않습니다`,
    );
    expect(korean).toMatch(
      / \(제외된 항목: 건너뜀: stray\.fifo: 일반 파일이 아닌 이름 있는 파이프\(FIFO\)입니다\. KernelLab은 일반 파일과 폴더만 가져옵니다\)$/,
    );
    expect(korean).not.toMatch(/a link to|left out|skipped|does not start/);
  });

  it('refuses a file larger than any file of the dataset without reading it', async () => {
    const big = join(tmp.dir, 'train-images-idx3-ubyte');
    writeFileSync(big, '');
    truncateSync(big, 4 * 1024 ** 3); // sparse: 4 GiB that take no disk
    expect(await refusal(service.call('datasets.import', { name: 'mnist', paths: [big] }))).toMatch(
      /^train-images-idx3-ubyte: is 4096\.0 MiB, larger than any file of mnist \(at most 90\.7 MiB\)/,
    );
  });

  it('a failed import of thousands of junk files leaves no dataset folder behind', async () => {
    const dir = join(tmp.dir, 'junk');
    mkdirSync(dir);
    for (let i = 0; i < 1000; i++) writeFileSync(join(dir, `junk-${i}.bin`), `junk ${i}`);
    expect(await refusal(service.call('datasets.import', { paths: [dir] }))).toMatch(/the files are not a dataset KernelLab knows/);
    expect(datasetFolders()).toEqual([]);
  });

  it('does not walk the whole disk: a folder search has a depth and a size', async () => {
    const message = await refusal(service.call('datasets.import', { name: 'mnist', paths: ['/'] }));
    expect(message).toMatch(/the folders given hold more than 20000 entries|the files given hold no file of it/);
    const deep = join(tmp.dir, 'a', 'b', 'c', 'd', 'e', 'f');
    mkdirSync(deep, { recursive: true });
    for (const file of mnistDataFiles()) copyFileSync(file, join(deep, file.split('/').at(-1)!));
    expect(await refusal(service.call('datasets.import', { name: 'mnist', paths: [join(tmp.dir, 'a')] }))).toMatch(
      /left out: f: more than 4 folders deep, not searched/,
    );
    expect((await service.call('datasets.import', { name: 'mnist', paths: [join(tmp.dir, 'a', 'b', 'c')] })).status).toBe('ready');
  });

  it('datasets.cancel stops an import, which leaves nothing behind', async () => {
    const importing = service.call('datasets.import', { name: 'mnist', paths: mnistDataFiles() });
    expect(await service.call('datasets.cancel', { name: 'mnist' })).toEqual({ canceled: true });
    expect(await refusal(importing)).toBe('import of mnist canceled');
    expect(existsSync(join(tmp.dir, 'home', 'datasets', 'mnist'))).toBe(false);
  });

  it('stops when the caller is gone', async () => {
    const gone = new AbortController();
    const importing = service.call('datasets.import', { name: 'mnist', paths: mnistDataFiles() }, { signal: gone.signal });
    gone.abort();
    expect(await refusal(importing)).toBe('import of mnist canceled');
    expect((await service.call('datasets.list', {})).datasets[0]).toMatchObject({ name: 'mnist', status: 'absent' });
  });
});
