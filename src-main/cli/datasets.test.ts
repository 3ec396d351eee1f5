import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mnistDataFiles, registry } from '../core/datasets/index.ts';
import { downloadBytes } from '../core/datasets/registry.ts';
import { makeTempDir } from '../test/tempDir.ts';

const bin = fileURLToPath(new URL('../../bin/kernellab.js', import.meta.url));
let tmp: { dir: string; cleanup: () => void };
beforeEach(() => (tmp = makeTempDir('kernellab-cli-datasets-')));
afterEach(() => tmp.cleanup());

function kernellab(...args: string[]) {
  return kernellabIn('en', ...args);
}

function kernellabIn(lang: 'en' | 'ko', ...args: string[]) {
  const result = spawnSync(process.execPath, [bin, '--home', tmp.dir, 'datasets', ...args], {
    encoding: 'utf8',
    env: { ...process.env, KERNELLAB_DATASET_MIRROR: '', KERNELLAB_LANG: lang },
  });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

describe('kernellab datasets', () => {
  it('ls, import, verify, rm with exit codes 0 / 1 / 2', () => {
    const ls = kernellab('ls');
    expect(ls.code).toBe(0);
    expect(ls.out).toMatch(/^mnist +absent +60000 +10000 +28x28x1/m);

    const dir = join(tmp.dir, 'incoming');
    expect(kernellab('import', ...mnistDataFiles()).out).toBe('mnist: ready (canonical, 60000+10000 images of 28x28x1)\n');
    expect(JSON.parse(kernellab('ls', '--json').out).datasets[0]).toMatchObject({ name: 'mnist', status: 'ready' });
    expect(kernellab('verify')).toMatchObject({ code: 0, out: 'mnist: ok\n' });

    const bad = kernellab('download', 'imagenet');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("'imagenet' is not a dataset; expected one of mnist, fashion-mnist, cifar10");
    expect(kernellab('import', dir).code).toBe(2);

    const labels = join(tmp.dir, 'datasets', 'mnist', 'train-labels-idx1-ubyte');
    const bytes = readFileSync(labels);
    bytes[20] = (bytes[20]! + 1) % 10;
    writeFileSync(labels, bytes);
    const verify = kernellab('verify', 'mnist');
    expect(verify.code).toBe(1);
    expect(verify.out).toMatch(/mnist: CORRUPT\n {2}train-labels-idx1-ubyte: SHA-256 is/);
    expect(kernellab('ls').out).toMatch(/^mnist +corrupt/m);

    expect(kernellab('rm', 'mnist')).toMatchObject({ code: 0, out: 'mnist: deleted\n' });
    expect(kernellab('ls').out).toMatch(/^mnist +absent/m);
  });

  it("says a corrupt dataset's problem in the CLI's language (issue 17), the English as the core wrote it", () => {
    // A file cut short is found without re-hashing (datasets ls); a single problem travels with its code.
    expect(kernellab('import', ...mnistDataFiles()).code).toBe(0);
    const images = join(tmp.dir, 'datasets', 'mnist', 't10k-images-idx3-ubyte');
    writeFileSync(images, readFileSync(images).subarray(0, 1000));
    expect(kernellabIn('en', 'ls').out).toMatch(/^mnist +corrupt .* t10k-images-idx3-ubyte: 1000 bytes, expected 7840016$/m);
    expect(kernellabIn('ko', 'ls').out).toMatch(
      /^mnist +손상됨 .* t10k-images-idx3-ubyte: 1,000바이트입니다\. 7,840,016바이트여야 합니다$/m,
    );
  });

  it("says each dataset's state in the CLI's language, the English and --json unchanged (issue 17)", () => {
    expect(kernellabIn('ko', 'import', ...mnistDataFiles()).out).toBe('mnist: 준비됨 (canonical, 28x28x1 이미지 60000+10000장)\n');
    // Another KernelLab process (this test's) holds fashion-mnist's download lock with a tenth of its bytes in.
    const fashion = join(tmp.dir, 'datasets', 'fashion-mnist');
    mkdirSync(fashion, { recursive: true });
    writeFileSync(join(fashion, '.download.lock'), String(process.pid));
    writeFileSync(
      join(fashion, 'train-images-idx3-ubyte.gz.part'),
      Buffer.alloc(Math.round(downloadBytes(registry['fashion-mnist']) / 10)),
    );
    const ko = kernellabIn('ko', 'ls');
    expect(ko.code, ko.err).toBe(0);
    expect(ko.out).toMatch(/^mnist +준비됨 +canonical /m);
    expect(ko.out).toMatch(/^fashion-mnist +다운로드 중 10% +60000 /m);
    expect(ko.out).toMatch(/^cifar10 +없음 +50000 /m);
    expect(ko.out).not.toMatch(/ready|downloading|absent/);
    const en = kernellabIn('en', 'ls').out;
    expect(en).toMatch(/^mnist +ready +canonical /m);
    expect(en).toMatch(/^fashion-mnist +downloading 10% +60000 /m);
    expect(en).toMatch(/^cifar10 +absent +50000 /m);
    const json = (lang: 'en' | 'ko') =>
      (JSON.parse(kernellabIn(lang, 'ls', '--json').out) as { datasets: { name: string; status: string }[] }).datasets.map(
        (d) => `${d.name} ${d.status}`,
      );
    expect(json('ko')).toEqual(['mnist ready', 'fashion-mnist downloading', 'cifar10 absent']);
    expect(json('en')).toEqual(json('ko'));
  });

  it('import refuses a special file named directly in Korean; the English as before', () => {
    const device = 'zero: 일반 파일이 아닌 문자 장치입니다. KernelLab은 일반 파일과 폴더만 가져옵니다';
    expect(kernellabIn('ko', 'import', '--name', 'mnist', '/dev/zero')).toMatchObject({ code: 2, err: `kernellab: ${device}\n` });
    const any = kernellabIn('ko', 'import', '/dev/zero');
    expect(any.code).toBe(2);
    expect(any.err).toMatch(/^kernellab: KernelLab이 아는 데이터셋의 파일이 아닙니다 \(mnist: zero: 일반 파일이 아닌 문자 장치입니다\. /);
    expect(any.err).not.toMatch(/character device|regular file/);
    expect(kernellab('import', '--name', 'mnist', '/dev/zero')).toMatchObject({
      code: 2,
      err: 'kernellab: zero: is a character device, not a regular file; KernelLab imports regular files and folders only\n',
    });
  });

  it('verify says a file whose hash changed, and a dataset never installed, in Korean; the English as before', () => {
    expect(kernellabIn('ko', 'verify', 'fashion-mnist')).toMatchObject({
      code: 1,
      out: 'fashion-mnist: 손상됨\n  fashion-mnist은(는) 내려받거나 가져오지 않았습니다\n',
    });
    expect(kernellab('import', ...mnistDataFiles()).code).toBe(0);
    expect(kernellabIn('ko', 'verify', 'mnist')).toMatchObject({ code: 0, out: 'mnist: 정상\n' });
    const labels = join(tmp.dir, 'datasets', 'mnist', 'train-labels-idx1-ubyte');
    const bytes = readFileSync(labels);
    bytes[20] = (bytes[20]! + 1) % 10;
    writeFileSync(labels, bytes);
    const ko = kernellabIn('ko', 'verify', 'mnist');
    expect(ko.code).toBe(1);
    expect(ko.out).toMatch(
      /^mnist: 손상됨\n {2}train-labels-idx1-ubyte: SHA-256이 [0-9a-f]{64}입니다\. 검증된 파일은 [0-9a-f]{64}였습니다\n$/,
    );
    expect(ko.err).toContain('손상됨: mnist');
    expect(kernellab('verify', 'mnist').out).toMatch(
      /^mnist: CORRUPT\n {2}train-labels-idx1-ubyte: SHA-256 is [0-9a-f]{64}, the verified file had [0-9a-f]{64}\n$/,
    );
  });
});
