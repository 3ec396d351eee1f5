import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { coreTextOf } from '../../../i18n/coreText.ts';
import { makeTempDir } from '../../test/tempDir.ts';
import { engineForTests } from '../../test/installedEngine.ts';
import type { EngineManifest, EngineProgress } from '../contract/engines.ts';
import { KernelLabError } from '../errors.ts';
import { forkWorker } from '../workerHost.ts';
import { verifyInWorker } from './installs.ts';
import { installEngine, type InstallOptions } from './install.ts';
import { swapIn } from './installFolder.ts';
import { engineDir, engineProcessEnv, manifestPath, readManifest } from './layout.ts';
import { linuxTensorflowMembers, writeFakeWheel } from './testing/fakeWheel.ts';
import { openWheel, parseRecord, requirementsOfExtra } from './wheel.ts';

const workerEntry = fileURLToPath(new URL('../training/worker.ts', import.meta.url));
const temps: (() => void)[] = [];
afterAll(() => temps.forEach((cleanup) => cleanup()));
const temp = (prefix: string) => {
  const t = makeTempDir(prefix);
  temps.push(t.cleanup);
  return t.dir;
};

/** Every file under a folder with its sha256, symlinks by target: "unchanged" means this is equal. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      const key = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) out[key] = `-> ${readlinkSync(path)}`;
      else if (entry.isDirectory()) walk(path, key);
      else out[key] = createHash('sha256').update(readFileSync(path)).digest('hex');
    }
  };
  walk(dir, '');
  return out;
}

/** An engines folder whose tensorflow engine is a stand-in with a valid manifest. */
function enginesWithPlaceholder(): { enginesDir: string; before: Record<string, string> } {
  const enginesDir = temp('kernellab-engines-');
  const dir = engineDir(enginesDir, 'tensorflow');
  mkdirSync(join(dir, 'node_modules', '@tensorflow', 'tfjs-node-gpu'), { recursive: true });
  const manifest: EngineManifest = {
    engine: 'tensorflow',
    variant: 'cpu',
    source: 'wheel',
    origin: ['placeholder.whl'],
    tfjsNodeVersion: '4.22.0',
    platform: `${process.platform}-${process.arch}`,
    cuda: null,
    cudnn: null,
    libraryPaths: [],
    installedAt: new Date(0).toISOString(),
    bytes: 1,
    check: { tensorflowVersion: '2.21.0', devices: ['CPU: test'], usingGpu: false, maxRelativeError: 0, note: null },
  };
  writeFileSync(manifestPath(dir), JSON.stringify(manifest));
  return { enginesDir, before: snapshot(enginesDir) };
}

function options(enginesDir: string, wheelFiles: string[], progress: EngineProgress[] = []): InstallOptions {
  return {
    enginesDir,
    name: 'tensorflow',
    gpu: false,
    tfjsVersion: '4.22.0',
    wheelFiles,
    onProgress: (p) => progress.push(p),
    verify: () => Promise.reject(new Error('verify must not be reached by a refused wheel')),
  };
}

async function refusal(promise: Promise<unknown>): Promise<KernelLabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KernelLabError);
  return error as KernelLabError;
}

describe('wheel reading', () => {
  it('parses RECORD rows into hex sha256 and sizes, skipping unhashed rows', () => {
    const record = parseRecord('a/b.so,sha256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU,0\npkg.dist-info/RECORD,,\n');
    expect(record.get('a/b.so')).toEqual({ sha256: createHash('sha256').update('').digest('hex'), size: 0 });
    expect(record.has('pkg.dist-info/RECORD')).toBe(false);
  });

  it("reads the NVIDIA wheels TensorFlow's and-cuda extra pins", () => {
    const metadata = [
      'Name: tensorflow',
      'Requires-Dist: numpy>=1.26.0',
      'Requires-Dist: nvidia-cublas-cu12==12.5.3.2; extra == "and-cuda"',
      "Requires-Dist: nvidia-cudnn-cu12 ==9.3.0.75 ; extra == 'and-cuda'",
    ].join('\n');
    expect(requirementsOfExtra(metadata, 'and-cuda')).toEqual(['nvidia-cublas-cu12==12.5.3.2', 'nvidia-cudnn-cu12==9.3.0.75']);
  });

  it('extracts a member whose bytes match RECORD and refuses one that does not', async () => {
    const dir = temp('kernellab-wheel-');
    const path = await writeFakeWheel(join(dir, 'x-1.0-py3-none-any.whl'), {
      name: 'x',
      version: '1.0',
      members: { 'x/good.txt': 'good', 'x/bad.txt': 'bad' },
      badHashes: ['x/bad.txt'],
    });
    const wheel = await openWheel(path);
    try {
      await wheel.extract('x/good.txt', join(dir, 'out', 'good.txt'));
      expect(readFileSync(join(dir, 'out', 'good.txt'), 'utf8')).toBe('good');
      await expect(wheel.extract('x/bad.txt', join(dir, 'out', 'bad.txt'))).rejects.toThrow(
        /x\/bad\.txt does not match the sha256 in its RECORD/,
      );
    } finally {
      wheel.close();
    }
  });
});

describe('engine install refuses a bad staging and leaves the installed engine as it was', () => {
  it('a wheel whose library does not match its RECORD (corrupt download)', async () => {
    const { enginesDir, before } = enginesWithPlaceholder();
    const wheel = await writeFakeWheel(join(temp('kernellab-wheel-'), 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl'), {
      name: 'tensorflow-cpu',
      version: '2.21.0',
      members: linuxTensorflowMembers(),
      badHashes: ['tensorflow/libtensorflow_framework.so.2'],
    });
    const progress: EngineProgress[] = [];
    const error = await refusal(installEngine(options(enginesDir, [wheel], progress)));
    expect(error.message).toMatch(
      /corrupt or incomplete: tensorflow\/libtensorflow_framework\.so\.2 does not match the sha256 in its RECORD/,
    );
    expect(error.message).toMatch(/the installed one still works/);
    expect(progress.map((p) => p.phase)).toContain('stage');
    // Each fixed step carries its coded form for the page (issue 17): the first says what is prepared.
    expect(progress[0]).toMatchObject({
      phase: 'prepare',
      messageCode: { code: 'engine_preparing', params: { variant: 'CPU', name: 'tensorflow' } },
    });
    expect(progress.find((p) => p.phase === 'check')?.messageCode?.code).toBe('engine_checking');
    expect(snapshot(enginesDir)).toEqual(before);
  });

  it('a wheel without the C API library (incomplete)', async () => {
    const { enginesDir, before } = enginesWithPlaceholder();
    const members = linuxTensorflowMembers();
    delete (members as Record<string, string>)['tensorflow/libtensorflow_cc.so.2'];
    const wheel = await writeFakeWheel(join(temp('kernellab-wheel-'), 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl'), {
      name: 'tensorflow-cpu',
      version: '2.21.0',
      members,
    });
    const error = await refusal(installEngine(options(enginesDir, [wheel])));
    expect(error.message).toMatch(/cannot provide the C API: it has no tensorflow\/libtensorflow_cc\.so\.2/);
    // "This machine" and `kernellab engine install` say it in Korean from its code; the wheel's name passes as it is.
    expect(error.text).toMatchObject({
      code: 'engine_wheel_no_c_api',
      params: { wheel: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl' },
    });
    expect(coreTextOf(error.text, error.message, 'ko')).toMatch(
      /^tensorflow_cpu-2\.21\.0-cp311-cp311-manylinux_2_27_x86_64\.whl은\(는\) C API를 제공할 수 없습니다: it has no/,
    );
    expect(snapshot(enginesDir)).toEqual(before);
  });

  it('a truncated download that is no zip any more, and a wheel that is not TensorFlow', async () => {
    const { enginesDir, before } = enginesWithPlaceholder();
    const dir = temp('kernellab-wheel-');
    const good = await writeFakeWheel(join(dir, 'good.whl'), {
      name: 'tensorflow-cpu',
      version: '2.21.0',
      members: linuxTensorflowMembers(),
    });
    const truncated = join(dir, 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl');
    writeFileSync(truncated, readFileSync(good).subarray(0, Math.floor(statSync(good).size / 2)));
    expect((await refusal(installEngine(options(enginesDir, [truncated])))).message).toMatch(
      /is corrupt or incomplete: it is not a readable zip file/,
    );
    const other = await writeFakeWheel(join(dir, 'numpy-2.0.0-py3-none-any.whl'), {
      name: 'numpy',
      version: '2.0.0',
      members: { 'numpy/x.py': '' },
    });
    const notTensorflow = await refusal(installEngine(options(enginesDir, [other])));
    expect(notTensorflow.message).toMatch(/none of numpy-2.0.0-py3-none-any.whl is a TensorFlow wheel/);
    expect(coreTextOf(notTensorflow.text, notTensorflow.message, 'ko')).toBe(
      'numpy-2.0.0-py3-none-any.whl 중 TensorFlow 휠(tensorflow 또는 tensorflow-cpu)이 없습니다',
    );
    expect(snapshot(enginesDir)).toEqual(before);
  });

  it('a second install while one holds the lock', async () => {
    const { enginesDir } = enginesWithPlaceholder();
    writeFileSync(join(enginesDir, '.tensorflow.lock'), JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }));
    const error = await refusal(installEngine(options(enginesDir, ['/nonexistent.whl'])));
    expect(error.code).toBe('conflict');
    expect(error.message).toMatch(`being installed by process ${process.pid}`);
    expect(coreTextOf(error.text, error.message, 'ko')).toBe(
      `tensorflow 엔진을 프로세스 ${process.pid}에서 설치하는 중입니다. 끝날 때까지 기다리거나 그곳에서 취소하세요`,
    );
    rmSync(join(enginesDir, '.tensorflow.lock'));
  });

  it('an engine folder an install left without its manifest is broken, said in Korean from its code', () => {
    const enginesDir = temp('kernellab-engines-');
    mkdirSync(join(enginesDir, 'tensorflow'));
    const disk = readManifest(join(enginesDir, 'tensorflow'));
    expect(disk.state).toBe('broken');
    if (disk.state !== 'broken') return;
    expect(disk.problem).toBe(`${join(enginesDir, 'tensorflow')} has no engine.json: an install did not finish; install again`);
    expect(coreTextOf(disk.problemCode, disk.problem, 'ko')).toBe(
      `${join(enginesDir, 'tensorflow')}에 engine.json이 없습니다. 설치가 끝나지 않았습니다. 다시 설치하세요`,
    );
  });

  it('swaps a staged engine in by renames and puts the old one back when the second rename fails', () => {
    const root = temp('kernellab-swap-');
    mkdirSync(join(root, 'tensorflow'));
    writeFileSync(join(root, 'tensorflow', 'engine.json'), 'old');
    mkdirSync(join(root, 'staged'));
    writeFileSync(join(root, 'staged', 'engine.json'), 'new');
    swapIn(join(root, 'staged'), join(root, 'tensorflow'));
    expect(readFileSync(join(root, 'tensorflow', 'engine.json'), 'utf8')).toBe('new');
    expect(readdirSync(root)).toEqual(['tensorflow']);
    expect(() => swapIn(join(root, 'missing'), join(root, 'tensorflow'))).toThrow(/ENOENT/);
    expect(readFileSync(join(root, 'tensorflow', 'engine.json'), 'utf8')).toBe('new');
    expect(readdirSync(root)).toEqual(['tensorflow']);
  });

  it('the real installed engine still loads and passes its check after a refused install', async () => {
    const engine = engineForTests('engine install: previous engine keeps working');
    if (!engine) return;
    // A hard-linked copy beside the real one (same file system): the refused install runs against
    // it, so the user's own engine is never at risk, and costs no 1 GB copy.
    const enginesDir = join(engine.enginesDir, `.test-${process.pid}-${Date.now()}`);
    temps.push(() => rmSync(enginesDir, { recursive: true, force: true }));
    const clone = engineDir(enginesDir, 'tensorflow');
    const copy = (from: string, to: string) => {
      mkdirSync(to, { recursive: true });
      for (const entry of readdirSync(from, { withFileTypes: true })) {
        const [src, dst] = [join(from, entry.name), join(to, entry.name)];
        if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
        else if (entry.isDirectory()) copy(src, dst);
        else linkSync(src, dst);
      }
    };
    copy(engine.dir, clone);
    const before = snapshot(clone);
    const wheel = await writeFakeWheel(join(temp('kernellab-wheel-'), 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl'), {
      name: 'tensorflow-cpu',
      version: '2.21.0',
      members: linuxTensorflowMembers(),
      badHashes: ['tensorflow/libtensorflow_cc.so.2'],
    });
    await refusal(installEngine(options(enginesDir, [wheel])));
    expect(snapshot(clone)).toEqual(before);
    const disk = readManifest(clone);
    expect(disk.state).toBe('ready');
    if (disk.state !== 'ready') return;
    expect(engineProcessEnv(clone, disk.manifest).KERNELLAB_TENSORFLOW_ENGINE).toBe(clone);
    const check = await verifyInWorker(forkWorker, workerEntry)(clone, disk.manifest);
    expect(check.tensorflowVersion).toBe(engine.manifest.check.tensorflowVersion);
    expect(check.maxRelativeError).toBeLessThan(1e-4);
    expect(existsSync(join(enginesDir, '.tensorflow.lock'))).toBe(false);
  }, 180_000);
});
