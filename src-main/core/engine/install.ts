/**
 * Installing the tensorflow engine into the data folder.
 *
 * Everything happens in a staging folder next to the installed engine; only a staging that built,
 * loaded in a fresh worker and matched the cpu backend on a conv step replaces it, by two renames.
 * A corrupt wheel, a failed build or a failed check leaves the installed engine as it was.
 *
 * Route: the official download first (tfjs-node-gpu's own install script: libtensorflow 2.9.1 and a
 * prebuilt addon; skipped for a GPU engine on a CUDA 12 driver, which 2.9.1's CUDA 11.2 predates).
 * Where that fails — or wheel files are given — the C API is staged from TensorFlow's Python wheel
 * (fetched with the user's own `pip download`, so pip's cache serves a reinstall) and the addon is
 * built with npm's bundled node-gyp.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KernelLabError } from '../errors.ts';
import type { EngineCheck, EngineManifest, EngineName, EnginePhase, EngineProgress, EngineVariant } from '../contract/engines.ts';
import { engineDir, LockInfo, manifestPath, packageDirOf } from './layout.ts';
import {
  cudaLibraryMembers,
  headerMembers,
  splitPin,
  stagingPlan,
  testedTensorflowVersion,
  type Member,
  type StagingPlan,
} from './staging.ts';
import { findCompiler, findNodeHeaders, findNpm, findPython, queryNvidiaGpus, runTool, type ToolResult } from './tools.ts';
import { metadataField, openWheel, requirementsOfExtra, type Wheel } from './wheel.ts';

export interface InstallOptions {
  enginesDir: string;
  name: EngineName;
  gpu: boolean;
  /** tfjs-node-gpu version: the app's tfjs-core version, so both share one engine registry. */
  tfjsVersion: string;
  tensorflowVersion?: string | undefined;
  wheelFiles?: readonly string[] | undefined;
  skipOfficial?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onProgress?: (progress: EngineProgress) => void;
  /** Loads the staged engine in a fresh worker and runs the conv check (the service passes one). */
  verify: (stagedDir: string, draft: EngineManifest) => Promise<EngineCheck>;
  env?: NodeJS.ProcessEnv;
}

/** Runs a tool and turns a failure into a sentence with the tool's last lines. */
async function mustRun(what: string, command: string, args: string[], options: Parameters<typeof runTool>[2]): Promise<ToolResult> {
  const result = await runTool(command, args, options);
  if (options?.signal?.aborted) throw new KernelLabError('conflict', 'the install was canceled');
  if (result.code !== 0) {
    const how =
      result.code === null ? (result.signal ? `was killed (${result.signal})` : 'could not start') : `exited with code ${result.code}`;
    throw new KernelLabError('unavailable', `${what} failed: ${command} ${how}:\n${result.tail}`);
  }
  return result;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const lockPath = (enginesDir: string, name: EngineName) => join(enginesDir, `.${name}.lock`);

/** The pid installing this engine right now (this or another process), if any. */
export function installLockHolder(enginesDir: string, name: EngineName): number | undefined {
  try {
    const info = LockInfo.parse(JSON.parse(readFileSync(lockPath(enginesDir, name), 'utf8')));
    return pidAlive(info.pid) ? info.pid : undefined;
  } catch {
    return undefined;
  }
}

function takeLock(enginesDir: string, name: EngineName): () => void {
  const path = lockPath(enginesDir, name);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString() }), { flag: 'wx' });
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = installLockHolder(enginesDir, name);
      if (holder !== undefined)
        throw new KernelLabError('conflict', `the ${name} engine is being installed by process ${holder}; wait for it or cancel it there`);
      rmSync(path, { force: true }); // left by a process that died
    }
  }
  throw new KernelLabError('conflict', `could not take ${path}`);
}

/** Staging folders of installs whose process died (killed mid-install) are removed. */
function sweepDeadStagings(enginesDir: string, name: EngineName): void {
  for (const entry of readdirSync(enginesDir)) {
    const match = new RegExp(`^\\.(?:staging|old)-${name}-(\\d+)-`).exec(entry);
    if (match && !pidAlive(Number(match[1]))) rmSync(join(enginesDir, entry), { recursive: true, force: true });
  }
}

export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else if (entry.isFile()) total += lstatSync(path).size;
  }
  return total;
}

/**
 * Replaces the installed engine with the staged one: installed → .old-…, staged → installed, then
 * the old one is deleted. If the second rename fails the old one is put back.
 */
export function swapIn(staged: string, target: string): void {
  const old = join(dirname(target), `.old-${basename(target)}-${process.pid}-${Date.now()}`);
  const hadOld = existsSync(target);
  if (hadOld) renameSync(target, old);
  try {
    renameSync(staged, target);
  } catch (error) {
    if (hadOld) renameSync(old, target);
    throw error;
  }
  // A worker still training on the old engine keeps its mapped libraries; Windows may refuse to
  // delete a loaded DLL, and the next install sweeps what is left.
  if (hadOld) rmSync(old, { recursive: true, force: true, maxRetries: 2 });
}

export async function installEngine(options: InstallOptions): Promise<EngineManifest> {
  const env = options.env ?? process.env;
  const { enginesDir, name, signal } = options;
  const variant: EngineVariant = options.gpu ? 'gpu' : 'cpu';
  // Steps count the phases in the order this install meets them: prepare, [package, official],
  // download, check, stage, package, build, verify, swap.
  // The official build is libtensorflow 2.9.1: CPU, or CUDA 11.2 for a GPU whose driver is older than CUDA 12.
  let cudaDriver: string | null = null;
  if (options.gpu) {
    const gpus = await queryNvidiaGpus(env);
    cudaDriver = typeof gpus === 'string' ? null : (gpus[0]?.cuda ?? null);
  }
  const officialFits = !options.gpu || (cudaDriver !== null && Number(cudaDriver.split('.')[0]) < 12);
  const tryOfficial = !options.skipOfficial && !options.wheelFiles && officialFits;
  const steps = tryOfficial ? 9 : 7;
  let step = 0;
  let lastPhase: EnginePhase | null = null;
  const report = (phase: EnginePhase, message: string, fraction: number | null = null) => {
    if (phase !== lastPhase && phase !== 'done') step = Math.min(steps, step + 1);
    lastPhase = phase;
    options.onProgress?.({ engine: name, phase, step: phase === 'done' ? steps : step, steps, fraction, message });
  };
  const checkCanceled = () => {
    if (signal?.aborted) throw new KernelLabError('conflict', 'the install was canceled');
  };

  report('prepare', `preparing a ${variant.toUpperCase()} ${name} engine`);
  const plan = stagingPlan(variant);
  if (typeof plan === 'string') throw new KernelLabError('unavailable', `Cannot install a ${variant} ${name} engine here: ${plan}`);
  mkdirSync(enginesDir, { recursive: true });
  const releaseLock = takeLock(enginesDir, name);
  sweepDeadStagings(enginesDir, name);
  const staging = join(enginesDir, `.staging-${name}-${process.pid}-${Date.now()}`);
  mkdirSync(staging);
  const packageDir = packageDirOf(staging);
  const npmEnv: NodeJS.ProcessEnv = { ...env };
  const headers = findNodeHeaders(env);
  if (headers) npmEnv.npm_config_nodedir = headers;
  const tool = { env: npmEnv, signal };

  try {
    const npm = findNpm(env);
    if (!npm)
      throw new KernelLabError(
        'unavailable',
        'npm is not on PATH: it fetches @tensorflow/tfjs-node-gpu and builds its addon. Install Node.js with npm and try again.',
      );
    const tensorflowVersion = options.tensorflowVersion ?? testedTensorflowVersion;
    let packageInstalled = false;
    const installPackage = async () => {
      if (packageInstalled) return;
      report('package', `npm install @tensorflow/tfjs-node-gpu@${options.tfjsVersion} (its install script is not run)`);
      writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: `kernellab-engine-${name}`, private: true }, null, 2));
      await mustRun(
        'npm install of @tensorflow/tfjs-node-gpu',
        npm,
        ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=dev', `@tensorflow/tfjs-node-gpu@${options.tfjsVersion}`],
        {
          ...tool,
          cwd: staging,
          timeoutMs: 15 * 60_000,
        },
      );
      packageInstalled = true;
    };

    // 1. The official download, where it can give what was asked for.
    let officialFailure: string | null = null;
    if (tryOfficial) {
      await installPackage();
      report('official', `trying the official libtensorflow ${variant.toUpperCase()} download and prebuilt addon`);
      const official = await runTool(npm, ['exec', '-c', `node scripts/install.js ${variant} download`], {
        ...tool,
        cwd: packageDir,
        timeoutMs: 30 * 60_000,
        onLine: (line) => report('official', line.slice(0, 200)),
      });
      checkCanceled();
      if (official.code === 0 && existsSync(join(packageDir, 'deps'))) {
        const draft = draftManifest({
          name,
          variant,
          source: 'official',
          origin: ['libtensorflow 2.9.1 (official download)'],
          options,
          cuda: options.gpu ? '11.2' : null,
          cudnn: options.gpu ? '8.1' : null,
          libraryPaths: [],
        });
        try {
          return await finish(staging, draft);
        } catch (error) {
          officialFailure = (error as Error).message;
        }
      } else officialFailure = official.tail.split('\n').slice(-3).join(' ').slice(0, 400) || `exited with code ${official.code}`;
      report(
        'official',
        `the official download did not work (${officialFailure.split('\n')[0]}); staging from TensorFlow's wheels instead`,
      );
      rmSync(join(packageDir, 'deps'), { recursive: true, force: true });
      rmSync(join(packageDir, 'lib'), { recursive: true, force: true });
    } else if (options.gpu && !options.wheelFiles && cudaDriver !== null) {
      report(
        'official',
        `the official GPU build is libtensorflow 2.9.1 for CUDA 11.2; this driver supports CUDA ${cudaDriver}, so the CUDA 12 wheels are used`,
      );
    }

    // 2. The wheels: given, or fetched with pip.
    const wheelPaths = options.wheelFiles ? [...options.wheelFiles] : await pipDownload(`${plan.wheelPackage}==${tensorflowVersion}`);
    checkCanceled();

    report('check', `checking ${wheelPaths.map((p) => basename(p)).join(', ')}`);
    const wheels: Wheel[] = [];
    try {
      for (const path of wheelPaths) {
        if (!existsSync(path)) throw new KernelLabError('invalid_input', `wheelFiles: ${path} does not exist`);
        wheels.push(await openWheel(path));
      }
      const tensorflow = wheels.find((w) => /^tensorflow(-|_)?(cpu)?$/i.test(metadataField(w.metadata, 'Name') ?? ''));
      if (!tensorflow)
        throw new KernelLabError(
          'invalid_input',
          `none of ${wheelPaths.map((p) => basename(p)).join(', ')} is a TensorFlow wheel (tensorflow or tensorflow-cpu)`,
        );
      const libraries = plan.libraries(new Set(tensorflow.members.keys()));
      if (typeof libraries === 'string')
        throw new KernelLabError(
          'invalid_input',
          `${tensorflow.fileName} cannot provide the C API: ${libraries}. It is incomplete, or not a TensorFlow build with libtensorflow_cc.`,
        );
      const headerList = headerMembers(plan, tensorflow.members.keys());
      if (!headerList.some((m) => m.to === 'include/tensorflow/c/c_api.h'))
        throw new KernelLabError(
          'invalid_input',
          `${tensorflow.fileName} is incomplete: it has no tensorflow/include/tensorflow/c/c_api.h`,
        );

      // GPU: the NVIDIA wheels its and-cuda extra names, at the pinned versions.
      let cudaWheels: Wheel[] = [];
      let cuda: string | null = null;
      let cudnn: string | null = null;
      if (options.gpu) {
        const pins = requirementsOfExtra(tensorflow.metadata, 'and-cuda');
        if (pins.length === 0)
          throw new KernelLabError('invalid_input', `${tensorflow.fileName} names no and-cuda extra: it is not TensorFlow's CUDA build`);
        if (!options.wheelFiles) {
          const more = await pipDownload(...pins);
          for (const path of more) wheels.push(await openWheel(path));
        }
        cudaWheels = wheels.filter((w) => (metadataField(w.metadata, 'Name') ?? '').toLowerCase().startsWith('nvidia-'));
        const names = new Set(cudaWheels.map((w) => metadataField(w.metadata, 'Name')!.toLowerCase()));
        const missing = pins.map((p) => splitPin(p)[0].toLowerCase()).filter((n) => !names.has(n));
        if (missing.length > 0) throw new KernelLabError('invalid_input', `the CUDA wheels are incomplete: ${missing.join(', ')} missing`);
        const versionOf = (n: string) => cudaWheels.find((w) => metadataField(w.metadata, 'Name')!.toLowerCase() === n)?.metadata;
        cuda =
          metadataField(versionOf('nvidia-cuda-runtime-cu12') ?? '', 'Version')
            ?.split('.')
            .slice(0, 2)
            .join('.') ?? '12';
        cudnn =
          metadataField(versionOf('nvidia-cudnn-cu12') ?? '', 'Version')
            ?.split('.')
            .slice(0, 3)
            .join('.') ?? null;
      }
      checkCanceled();

      // 3. deps/ from the wheels, every member checked against RECORD — before anything is fetched
      // from npm, so a corrupt wheel is refused at once — then the package it goes into.
      const depsDir = join(staging, 'deps');
      const jobs: { wheel: Wheel; member: Member; root: string }[] = [
        ...libraries.map((member) => ({ wheel: tensorflow, member, root: depsDir })),
        ...headerList.map((member) => ({ wheel: tensorflow, member, root: depsDir })),
        ...cudaWheels.flatMap((wheel) => cudaLibraryMembers(wheel.members.keys()).map((member) => ({ wheel, member, root: staging }))),
      ];
      const total = jobs.reduce((sum, j) => sum + (j.wheel.members.get(j.member.from)?.uncompressedSize ?? 0), 0);
      let done = 0;
      let lastReport = 0;
      for (const job of jobs) {
        await job.wheel.extract(
          job.member.from,
          join(job.root, job.member.to),
          (bytes) => {
            done += bytes;
            if (Date.now() - lastReport > 250) {
              lastReport = Date.now();
              report(
                'stage',
                `extracting ${basename(job.member.from)} (${(done / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB)`,
                total > 0 ? done / total : null,
              );
            }
          },
          signal,
        );
      }
      for (const { link, target } of plan.links) symlinkSync(target, join(depsDir, link));
      report('stage', `staged ${jobs.length} files (${(total / 1e6).toFixed(0)} MB) from ${wheels.map((w) => w.fileName).join(', ')}`, 1);
      // Downloaded wheels are not kept in the engine: pip's cache holds them for a reinstall.
      for (const wheel of wheels) wheel.close();
      rmSync(join(staging, 'wheels'), { recursive: true, force: true });
      await installPackage();
      rmSync(join(packageDir, 'deps'), { recursive: true, force: true });
      renameSync(depsDir, join(packageDir, 'deps'));

      // 4. Build the addon against them.
      await buildAddon(plan);

      const libraryPaths = [
        ...new Set(cudaWheels.flatMap((w) => cudaLibraryMembers(w.members.keys()).map((m) => dirname(`cuda/${m.from}`)))),
      ].sort();
      const draft = draftManifest({
        name,
        variant,
        source: 'wheel',
        origin: wheels.map((w) => w.fileName),
        options,
        cuda,
        cudnn,
        libraryPaths,
      });
      return await finish(staging, draft, officialFailure);
    } finally {
      for (const wheel of wheels) wheel.close();
    }
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (signal?.aborted) throw new KernelLabError('conflict', 'the install was canceled; the installed engine is unchanged');
    const message = error instanceof Error ? error.message : String(error);
    const code = error instanceof KernelLabError ? error.code : 'unavailable';
    throw new KernelLabError(
      code,
      `${message}\nThe ${name} engine was not changed${existsSync(engineDir(enginesDir, name)) ? '; the installed one still works' : ''}.`,
    );
  } finally {
    releaseLock();
  }

  async function pipDownload(...requirements: string[]): Promise<string[]> {
    report('download', `pip download ${requirements.join(' ')}`);
    const python = await findPython(env);
    if (typeof python === 'string') throw new KernelLabError('unavailable', `Cannot fetch the TensorFlow wheels: ${python}.`);
    const dest = join(staging, 'wheels');
    mkdirSync(dest, { recursive: true });
    const before = new Set(readdirSync(dest));
    await mustRun(
      `pip download ${requirements.join(' ')}`,
      python.command,
      [...python.prefix, '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--dest', dest, ...requirements],
      {
        env,
        signal,
        timeoutMs: 60 * 60_000,
        onLine: (line) => report('download', line.trim().slice(0, 200)),
      },
    );
    const fresh = readdirSync(dest).filter((f) => f.endsWith('.whl') && !before.has(f));
    if (fresh.length === 0) throw new KernelLabError('unavailable', `pip download ${requirements.join(' ')} saved no wheel`);
    return fresh.map((f) => join(dest, f));
  }

  async function buildAddon(staged: StagingPlan): Promise<void> {
    const compiler = findCompiler(env);
    if (!compiler && process.platform !== 'win32')
      throw new KernelLabError(
        'unavailable',
        'No C++ compiler (c++, g++ or clang++) on PATH: the addon is built from source. Install one (apt-get install g++ make, or xcode-select --install) and try again.',
      );
    report('build', `building the addon with node-gyp${headers ? ` (Node headers from ${headers})` : ''}`);
    // npm exec puts node_modules/.bin of every folder above on PATH and npm_config_node_gyp at npm's
    // bundled node-gyp. Not `npm rebuild`: that re-runs the package's install script, which empties deps/.
    await mustRun('building the tfjs-node-gpu addon', findNpm(env)!, ['exec', '-c', 'node-pre-gyp install --build-from-source'], {
      ...tool,
      cwd: packageDir,
      timeoutMs: 20 * 60_000,
      onLine: (line) => report('build', line.slice(0, 200)),
    });
    const addon = findAddon(packageDir);
    if (!addon)
      throw new KernelLabError('unavailable', `the build finished but left no tfjs_binding.node under ${join(packageDir, 'lib')}`);
    for (const command of staged.afterBuild) {
      const argv = command.map((a) => a.replace('{addon}', addon));
      await mustRun(argv.join(' '), argv[0]!, argv.slice(1), tool);
    }
    for (const lib of staged.besideAddon) copyFileSync(join(packageDir, 'deps', lib), join(dirname(addon), basename(lib)));
    // The build folders hold objects and a second copy of the addon; the engine needs neither.
    for (const entry of readdirSync(packageDir))
      if (entry.startsWith('build')) rmSync(join(packageDir, entry), { recursive: true, force: true });
  }

  async function finish(staged: string, draft: EngineManifest, officialFailure: string | null = null): Promise<EngineManifest> {
    checkCanceled();
    report('verify', 'loading the engine in a fresh worker and checking a conv step against the cpu backend');
    const check = await options.verify(staged, draft);
    if (options.gpu && !check.usingGpu && officialFailure === null && check.note === null)
      check.note = 'no GPU was usable; this engine trains on the CPU';
    const manifest: EngineManifest = { ...draft, check, bytes: folderBytes(staged) };
    writeFileSync(manifestPath(staged), `${JSON.stringify(manifest, null, 2)}\n`);
    checkCanceled();
    report('swap', `replacing ${engineDir(enginesDir, name)}`);
    swapIn(staged, engineDir(enginesDir, name));
    report('done', `${name} ${check.tensorflowVersion} (${variant}) installed: ${check.devices.join('; ')}`, 1);
    return manifest;
  }
}

function draftManifest(input: {
  name: EngineName;
  variant: EngineVariant;
  source: EngineManifest['source'];
  origin: string[];
  options: InstallOptions;
  cuda: string | null;
  cudnn: string | null;
  libraryPaths: string[];
}): EngineManifest {
  return {
    engine: input.name,
    variant: input.variant,
    source: input.source,
    origin: input.origin,
    tfjsNodeVersion: input.options.tfjsVersion,
    platform: `${process.platform}-${process.arch}`,
    cuda: input.cuda,
    cudnn: input.cudnn,
    libraryPaths: input.libraryPaths,
    installedAt: new Date().toISOString(),
    bytes: 0,
    check: { tensorflowVersion: '', devices: [], usingGpu: false, maxRelativeError: 0, note: null },
  };
}

/** lib/napi-v<N>/tfjs_binding.node, the highest N the build produced. */
export function findAddon(packageDir: string): string | undefined {
  const lib = join(packageDir, 'lib');
  if (!existsSync(lib)) return undefined;
  const candidates = readdirSync(lib)
    .filter((d) => /^napi-v\d+$/.test(d) && existsSync(join(lib, d, 'tfjs_binding.node')))
    .sort((a, b) => Number(b.slice(6)) - Number(a.slice(6)));
  return candidates[0] ? join(lib, candidates[0], 'tfjs_binding.node') : undefined;
}
