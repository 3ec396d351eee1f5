import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync, inflateSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../../test/tempDir.ts';
import { coreTextOf, errorBodyText } from '../../../i18n/coreText.ts';
import type { KernelLabError } from '../errors.ts';
import { DatasetInfo, type DatasetProgress } from '../contract/index.ts';
import { createService, type Service } from '../service.ts';
import { mnistDataFiles } from './index.ts';
import { startDataServer, type DataServer } from './testing/dataServer.ts';

let server: DataServer;
beforeAll(async () => {
  const files = new Map<string, Buffer>();
  for (const path of mnistDataFiles()) files.set(`mnist/${path.split('/').at(-1)!}.gz`, gzipSync(readFileSync(path), { level: 1 }));
  server = await startDataServer(files);
});
afterAll(() => server.close());

let tmp: { dir: string; cleanup: () => void };
let service: Service;
beforeEach(() => {
  tmp = makeTempDir('kernellab-dsservice-');
  service = createService({ dataDir: tmp.dir, shell: 'cli' });
});
afterEach(async () => {
  await service.close();
  tmp.cleanup();
});

/** The service as configured with a mirror (KERNELLAB_DATASET_MIRROR or --mirror): the only way to name one. */
async function useMirror(mode: string): Promise<void> {
  await service.close();
  service = createService({ dataDir: tmp.dir, shell: 'cli', datasetMirror: `${server.url}/${mode}` });
}

const statusOf = async (name: string) => (await service.call('datasets.list', {})).datasets.find((d) => d.name === name)!;

describe('datasets service methods', () => {
  it('lists the three datasets, imports, verifies, samples and deletes', async () => {
    const list = await service.call('datasets.list', {});
    expect(list.datasets.map((d) => [d.name, d.status])).toEqual([
      ['mnist', 'absent'],
      ['fashion-mnist', 'absent'],
      ['cifar10', 'absent'],
    ]);
    expect(list.datasets[2]).toMatchObject({ height: 32, width: 32, channels: 3, trainCount: 50000, downloadBytes: 170052171 });

    // No name: recognised from the files.
    const imported = await service.call('datasets.import', { paths: mnistDataFiles() });
    expect(imported).toMatchObject({ name: 'mnist', status: 'ready', variant: 'canonical', source: 'import', problem: null });
    // The four files plus the manifest.
    expect(imported.bytesOnDisk - (47040016 + 60008 + 7840016 + 10008)).toBeGreaterThan(0);
    expect(imported.bytesOnDisk - (47040016 + 60008 + 7840016 + 10008)).toBeLessThan(4096);

    expect(await service.call('datasets.verify', { name: 'mnist' })).toEqual({ name: 'mnist', ok: true, problems: [], problemCodes: [] });

    const samples = await service.call('datasets.samples', { name: 'mnist', perClass: 2 });
    expect(samples.samples.map((s) => s.label)).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
    // The first 5 is training image 0; its PNG decodes back to its pixels (row 14, columns 13..17).
    const five = samples.samples.find((s) => s.label === 5 && s.index === 0)!;
    const png = Buffer.from(five.png.replace('data:image/png;base64,', ''), 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    const idat = png.subarray(png.indexOf('IDAT') + 4, png.indexOf('IEND') - 8);
    const rows = inflateSync(idat);
    expect(Array.from(rows.subarray(14 * 29 + 1 + 13, 14 * 29 + 1 + 18))).toEqual([81, 240, 253, 253, 119]);

    // Chosen images, in the order asked (a run's worst mistakes): test image 0 is a 7, 1 a 2.
    const chosen = await service.call('datasets.samples', { name: 'mnist', split: 'test', indices: [1, 0] });
    expect(chosen.samples.map((s) => [s.index, s.label])).toEqual([
      [1, 2],
      [0, 7],
    ]);
    const past = (await service
      .call('datasets.samples', { name: 'mnist', split: 'test', indices: [3, 10_000] })
      .then(() => new Error('not refused'))
      .catch((e: unknown) => e)) as KernelLabError;
    expect(past.message).toBe('indices.1: 10000 is past the 10000 test images of mnist');
    // In Korean too (the index as the core prints it, plain; the count grouped): reachable through `kernellab call`.
    expect(errorBodyText(past.toBody(), 'ko')).toBe('indices.1: 10000은(는) mnist의 테스트 이미지 10,000장을 넘습니다');

    // A changed byte (same size) is found by verify, which takes the ready mark away.
    const file = join(tmp.dir, 'datasets', 'mnist', 't10k-labels-idx1-ubyte');
    const bytes = readFileSync(file);
    bytes[100] = (bytes[100]! + 1) % 10;
    writeFileSync(file, bytes);
    const verify = await service.call('datasets.verify', { name: 'mnist' });
    expect(verify.ok).toBe(false);
    expect(verify.problems[0]).toMatch(/^t10k-labels-idx1-ubyte: SHA-256 is [0-9a-f]{64}, the verified file had ff7bcfd4/);
    expect(verify.problemCodes?.[0]).toMatchObject({ code: 'dataset_verify_sha_mismatch', params: { file: 't10k-labels-idx1-ubyte' } });
    expect(await statusOf('mnist')).toMatchObject({ status: 'corrupt', problem: verify.problems[0] });
    await expect(service.call('datasets.samples', { name: 'mnist' })).rejects.toThrow(
      /dataset mnist is corrupt: t10k-labels-idx1-ubyte: SHA-256 is/,
    );

    expect(await service.call('datasets.delete', { name: 'mnist' })).toEqual({ deleted: true });
    expect(await statusOf('mnist')).toMatchObject({ status: 'absent', bytesOnDisk: 0 });
  });

  it('refuses bad input with the field named', async () => {
    await expect(service.call('datasets.download', { name: 'imagenet' })).rejects.toThrow(/input for datasets.download: name: /);
    await expect(service.call('datasets.import', { paths: [] })).rejects.toThrow(/paths: /);
    const stranger = join(tmp.dir, 'x.bin');
    writeFileSync(stranger, 'hello');
    await expect(service.call('datasets.import', { paths: [stranger] })).rejects.toThrow(
      /the files are not a dataset KernelLab knows \(mnist: x.bin: is not a file of mnist/,
    );
  });

  it('downloads in the background with dataset.progress events, and cancels', async () => {
    const events: DatasetProgress[] = [];
    await useMirror('slow');
    const subscribe = () =>
      service.events.subscribe((e) => {
        if (e.name === 'dataset.progress') events.push(e.payload as DatasetProgress);
      });
    subscribe();
    const started = await service.call('datasets.download', { name: 'mnist' });
    expect(started.status).toBe('downloading');
    // The first bytes arrive when they arrive (a loaded machine is slow): wait for them, not for a fixed time.
    const end = Date.now() + 30_000;
    while (!events.some((e) => e.phase === 'download' && e.bytes > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect((await statusOf('mnist')).progress).toBeGreaterThan(0);
    expect(await service.call('datasets.cancel', { name: 'mnist' })).toEqual({ canceled: true });
    expect(events.at(-1)).toMatchObject({ phase: 'canceled', message: 'download canceled' });
    expect((await statusOf('mnist')).status).toBe('absent');

    await useMirror('ok');
    subscribe();
    const done = await service.call('datasets.download', { name: 'mnist', wait: true });
    expect(done).toMatchObject({ status: 'ready', source: `download: mirror ${server.url}/ok/mnist/` });
    expect(events.at(-1)).toMatchObject({ phase: 'done', dataset: 'mnist' });
    expect(events.some((e) => e.phase === 'download' && e.bytes > 0 && e.total > 0)).toBe(true);
  });

  it('sees a download by another live process and will not start a second one', async () => {
    const dir = join(tmp.dir, 'datasets', 'mnist');
    mkdirSync(dir, { recursive: true });
    // The test runner's parent process is alive and is not this process.
    writeFileSync(join(dir, '.download.lock'), String(process.ppid));
    await useMirror('ok');
    expect((await statusOf('mnist')).status).toBe('downloading');
    await expect(service.call('datasets.download', { name: 'mnist', wait: true })).rejects.toThrow(
      `mnist is being downloaded by another KernelLab process (pid ${process.ppid})`,
    );
    await expect(service.call('datasets.download', { name: 'mnist', wait: true })).rejects.toMatchObject({
      text: { code: 'dataset_downloading_elsewhere', params: { name: 'mnist', processId: process.ppid } },
    });
    await expect(service.call('datasets.delete', { name: 'mnist' })).rejects.toThrow(/in another KernelLab process/);
    // A lock left by a process that is gone is taken over.
    writeFileSync(join(dir, '.download.lock'), '999999999');
    expect((await statusOf('mnist')).status).toBe('absent');
    expect(await service.call('datasets.download', { name: 'mnist', wait: true })).toMatchObject({
      status: 'ready',
    });
    expect(existsSync(join(dir, '.download.lock'))).toBe(false);
  });

  it('takes no mirror from a request, and only a folder, https or http on this machine from configuration', async () => {
    await expect(service.call('datasets.download', { name: 'mnist', mirror: 'http://10.1.2.3:22/' })).rejects.toThrow(
      /input for datasets\.download: \(root\): Unrecognized key: "mirror"/,
    );
    for (const [mirror, refusal] of [
      ['http://10.1.2.3:8000/', /--mirror: plain http is allowed only on this machine .*use https:\/\/10\.1\.2\.3:8000\/ or a folder/],
      ['http://localhost.example.com/', /plain http is allowed only on this machine/],
      ['ftp://127.0.0.1/', /ftp: URLs are not supported/],
      ['gopher://127.0.0.1:25/', /gopher: URLs are not supported/],
    ] as const) {
      await service.close();
      service = createService({ dataDir: tmp.dir, shell: 'cli', datasetMirror: mirror });
      await expect(service.call('datasets.download', { name: 'mnist', wait: true }), mirror).rejects.toThrow(refusal);
      // Nothing was created for a download that never started.
      expect(existsSync(join(tmp.dir, 'datasets', 'mnist')), mirror).toBe(false);
    }
  });

  it('reports a failed download in the event and the list', async () => {
    await useMirror('htmlsaved');
    const events: DatasetProgress[] = [];
    service.events.subscribe((e) => {
      if (e.name === 'dataset.progress') events.push(e.payload as DatasetProgress);
    });
    await expect(service.call('datasets.download', { name: 'mnist', wait: true })).rejects.toThrow(/is an HTML page/);
    expect(events.at(-1)).toMatchObject({ phase: 'failed', messageCode: { code: 'dataset_download_failed' } });
    const listed = await statusOf('mnist');
    expect(listed.problem).toMatch(/is an HTML page/);
    // The page shows the coded form in Korean; the list's schema accepts it as it crossed the boundary.
    expect(DatasetInfo.parse(listed).problemCode).toMatchObject({ code: 'dataset_download_failed', params: { name: 'mnist' } });
    expect(coreTextOf(listed.problemCode, listed.problem!, 'ko')).toMatch(
      /^mnist: train-images-idx3-ubyte.gz을\(를\) 다운로드하지 못했습니다: /,
    );
    // Each source's problem inside it is coded too (issue 17), in the event as in the list.
    for (const said of [coreTextOf(listed.problemCode, listed.problem!, 'ko'), coreTextOf(events.at(-1)!.messageCode, '', 'ko')]) {
      expect(said).toContain('데이터셋 데이터가 아니라 HTML 페이지입니다');
      expect(said).not.toMatch(/is an HTML page|web server/);
    }
  });
});
