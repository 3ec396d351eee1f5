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
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EngineCheck, EngineManifest, EngineName, EnginePhase, EngineProgress, EngineVariant } from '../contract/engines.ts';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { folderBytes, swapIn, sweepDeadStagings, takeLock } from './installFolder.ts';
import { engineDir, manifestPath, packageDirOf } from './layout.ts';
import {
  cudaLibraryMembers,
  headerMembers,
  splitPin,
  stagingPlan,
  testedTensorflowVersion,
  type Member,
  type StagingPlan,
} from './staging.ts';
import { findCompiler, findNodeHeaders, findNpm, findPython, queryNvidiaGpus, runTool } from './tools.ts';
import {
  buildNoAddon,
  canceled,
  canceledUnchanged,
  cannotInstallHere,
  cudaWheelsMissing,
  mustRun,
  noCompiler,
  noNpm,
  noPython,
  noTensorflowWheel,
  notChanged,
  pipSavedNothing,
  wheelMissing,
  wheelNoCApi,
  wheelNoHeader,
  wheelNotCuda,
} from './installRefusals.ts';
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

export async function installEngine(options: InstallOptions): Promise<EngineManifest> {
  return new EngineInstall(options).run();
}

interface CheckedWheels {
  wheels: Wheel[];
  tensorflow: Wheel;
  libraries: Member[];
  headers: Member[];
  cudaWheels: Wheel[];
  cuda: string | null;
  cudnn: string | null;
}

/** One install, phase by phase; every method works inside `staging` and throws a sentence on failure. */
class EngineInstall {
  readonly #o: InstallOptions;
  readonly #env: NodeJS.ProcessEnv;
  readonly #variant: EngineVariant;
  readonly #staging: string;
  readonly #packageDir: string;
  readonly #headers: string | undefined;
  readonly #tool: { env: NodeJS.ProcessEnv; signal: AbortSignal | undefined };
  #steps = 9;
  #step = 0;
  #lastPhase: EnginePhase | null = null;
  #packageInstalled = false;

  constructor(options: InstallOptions) {
    this.#o = options;
    this.#env = options.env ?? process.env;
    this.#variant = options.gpu ? 'gpu' : 'cpu';
    this.#staging = join(options.enginesDir, `.staging-${options.name}-${process.pid}-${Date.now()}`);
    this.#packageDir = packageDirOf(this.#staging);
    this.#headers = findNodeHeaders(this.#env);
    this.#tool = { env: this.#headers ? { ...this.#env, npm_config_nodedir: this.#headers } : { ...this.#env }, signal: options.signal };
  }

  /** Steps count the phases in the order this install meets them. */
  #report(phase: EnginePhase, message: string, fraction: number | null = null, messageCode?: CoreText): void {
    if (phase !== this.#lastPhase && phase !== 'done') this.#step = Math.min(this.#steps, this.#step + 1);
    this.#lastPhase = phase;
    this.#o.onProgress?.({
      engine: this.#o.name,
      phase,
      step: phase === 'done' ? this.#steps : this.#step,
      steps: this.#steps,
      fraction,
      message,
      ...(messageCode && { messageCode }),
    });
  }

  #checkCanceled(): void {
    if (this.#o.signal?.aborted) throw canceled();
  }

  async run(): Promise<EngineManifest> {
    const { enginesDir, name } = this.#o;
    // The official build is libtensorflow 2.9.1: CPU, or CUDA 11.2 for a driver older than CUDA 12.
    let cudaDriver: string | null = null;
    if (this.#o.gpu) {
      const gpus = await queryNvidiaGpus(this.#env);
      cudaDriver = typeof gpus === 'string' ? null : (gpus[0]?.cuda ?? null);
    }
    const officialFits = !this.#o.gpu || (cudaDriver !== null && Number(cudaDriver.split('.')[0]) < 12);
    const tryOfficial = !this.#o.skipOfficial && !this.#o.wheelFiles && officialFits;
    this.#steps = tryOfficial ? 9 : 7;
    this.#report(
      'prepare',
      `preparing a ${this.#variant.toUpperCase()} ${name} engine`,
      null,
      coreText('engine_preparing', { variant: this.#variant.toUpperCase(), name }),
    );
    const plan = stagingPlan(this.#variant);
    if (typeof plan === 'string') throw cannotInstallHere(this.#variant, name, plan);
    mkdirSync(enginesDir, { recursive: true });
    const releaseLock = takeLock(enginesDir, name);
    sweepDeadStagings(enginesDir, name);
    mkdirSync(this.#staging);
    try {
      if (!findNpm(this.#env)) throw noNpm();
      let officialFailure: string | null = null;
      if (tryOfficial) {
        const official = await this.#official();
        if (typeof official !== 'string') return official;
        officialFailure = official;
      } else if (this.#o.gpu && !this.#o.wheelFiles && cudaDriver !== null) {
        this.#report(
          'official',
          `the official GPU build is libtensorflow 2.9.1 for CUDA 11.2; this driver supports CUDA ${cudaDriver}, so the CUDA 12 wheels are used`,
          null,
          coreText('engine_cuda12_wheels', { cuda: cudaDriver }),
        );
      }
      return await this.#fromWheels(plan, officialFailure);
    } catch (error) {
      rmSync(this.#staging, { recursive: true, force: true });
      if (this.#o.signal?.aborted) throw canceledUnchanged();
      throw notChanged(error, name, existsSync(engineDir(enginesDir, name)));
    } finally {
      releaseLock();
    }
  }

  /** npm install of tfjs-node-gpu into the staging folder, without its install script. */
  async #installPackage(): Promise<void> {
    if (this.#packageInstalled) return;
    const version = this.#o.tfjsVersion;
    this.#report(
      'package',
      `npm install @tensorflow/tfjs-node-gpu@${version} (its install script is not run)`,
      null,
      coreText('engine_package', { version }),
    );
    writeFileSync(
      join(this.#staging, 'package.json'),
      JSON.stringify({ name: `kernellab-engine-${this.#o.name}`, private: true }, null, 2),
    );
    const args = ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--omit=dev', `@tensorflow/tfjs-node-gpu@${version}`];
    await mustRun('npm install of @tensorflow/tfjs-node-gpu', findNpm(this.#env)!, args, {
      ...this.#tool,
      cwd: this.#staging,
      timeoutMs: 15 * 60_000,
    });
    this.#packageInstalled = true;
  }

  /** The package's own route (libtensorflow download, prebuilt addon): the manifest, or why it did not work. */
  async #official(): Promise<EngineManifest | string> {
    await this.#installPackage();
    const variant = this.#variant;
    this.#report(
      'official',
      `trying the official libtensorflow ${variant.toUpperCase()} download and prebuilt addon`,
      null,
      coreText('engine_official_trying', { variant: variant.toUpperCase() }),
    );
    const official = await runTool(findNpm(this.#env)!, ['exec', '-c', `node scripts/install.js ${variant} download`], {
      ...this.#tool,
      cwd: this.#packageDir,
      timeoutMs: 30 * 60_000,
      onLine: (line) => this.#report('official', line.slice(0, 200)),
    });
    this.#checkCanceled();
    let failure: string;
    if (official.code === 0 && existsSync(join(this.#packageDir, 'deps'))) {
      const gpu = this.#o.gpu;
      const draft = draftManifest({
        ...this.#identity('official'),
        origin: ['libtensorflow 2.9.1 (official download)'],
        cuda: gpu ? '11.2' : null,
        cudnn: gpu ? '8.1' : null,
        libraryPaths: [],
      });
      try {
        return await this.#finish(draft, null);
      } catch (error) {
        failure = (error as Error).message;
      }
    } else failure = official.tail.split('\n').slice(-3).join(' ').slice(0, 400) || `exited with code ${official.code}`;
    this.#report(
      'official',
      `the official download did not work (${failure.split('\n')[0]}); staging from TensorFlow's wheels instead`,
      null,
      coreText('engine_official_failed', { failure: failure.split('\n')[0]!.slice(0, 1000) }),
    );
    rmSync(join(this.#packageDir, 'deps'), { recursive: true, force: true });
    rmSync(join(this.#packageDir, 'lib'), { recursive: true, force: true });
    return failure;
  }

  #identity(source: EngineManifest['source']) {
    return { name: this.#o.name, variant: this.#variant, source, options: this.#o };
  }

  async #fromWheels(plan: StagingPlan, officialFailure: string | null): Promise<EngineManifest> {
    const tensorflowVersion = this.#o.tensorflowVersion ?? testedTensorflowVersion;
    const wheelPaths = this.#o.wheelFiles ? [...this.#o.wheelFiles] : await this.#pipDownload(`${plan.wheelPackage}==${tensorflowVersion}`);
    this.#checkCanceled();
    const opened: Wheel[] = [];
    try {
      const checked = await this.#checkWheels(plan, wheelPaths, opened);
      this.#checkCanceled();
      await this.#stage(plan, checked);
      await this.#buildAddon(plan);
      const libraryPaths = [
        ...new Set(checked.cudaWheels.flatMap((w) => cudaLibraryMembers(w.members.keys()).map((m) => dirname(`cuda/${m.from}`)))),
      ].sort();
      const origin = checked.wheels.map((w) => w.fileName);
      const draft = draftManifest({ ...this.#identity('wheel'), origin, cuda: checked.cuda, cudnn: checked.cudnn, libraryPaths });
      return await this.#finish(draft, officialFailure);
    } finally {
      for (const wheel of opened) wheel.close();
    }
  }

  /** Opens the wheels (and, for GPU, fetches the NVIDIA ones its and-cuda extra pins) and checks they hold what is needed. */
  async #checkWheels(plan: StagingPlan, wheelPaths: string[], opened: Wheel[]): Promise<CheckedWheels> {
    const names = wheelPaths.map((p) => basename(p)).join(', ');
    this.#report('check', `checking ${names}`, null, coreText('engine_checking', { names: names.slice(0, 1000) }));
    for (const path of wheelPaths) {
      if (!existsSync(path)) throw wheelMissing(path);
      opened.push(await openWheel(path));
    }
    const nameOf = (w: Wheel) => (metadataField(w.metadata, 'Name') ?? '').toLowerCase();
    const tensorflow = opened.find((w) => /^tensorflow(-|_)?(cpu)?$/.test(nameOf(w)));
    if (!tensorflow) throw noTensorflowWheel(names);
    const libraries = plan.libraries(new Set(tensorflow.members.keys()));
    if (typeof libraries === 'string') throw wheelNoCApi(tensorflow.fileName, libraries);
    const headers = headerMembers(plan, tensorflow.members.keys());
    if (!headers.some((m) => m.to === 'include/tensorflow/c/c_api.h')) throw wheelNoHeader(tensorflow.fileName);
    const result: CheckedWheels = { wheels: opened, tensorflow, libraries, headers, cudaWheels: [], cuda: null, cudnn: null };
    if (!this.#o.gpu) return result;

    const pins = requirementsOfExtra(tensorflow.metadata, 'and-cuda');
    if (pins.length === 0) throw wheelNotCuda(tensorflow.fileName);
    if (!this.#o.wheelFiles) for (const path of await this.#pipDownload(...pins)) opened.push(await openWheel(path));
    result.cudaWheels = opened.filter((w) => nameOf(w).startsWith('nvidia-'));
    const present = new Set(result.cudaWheels.map(nameOf));
    const missing = pins.map((p) => splitPin(p)[0].toLowerCase()).filter((n) => !present.has(n));
    if (missing.length > 0) throw cudaWheelsMissing(missing);
    const versionOf = (n: string) => metadataField(result.cudaWheels.find((w) => nameOf(w) === n)?.metadata ?? '', 'Version')?.split('.');
    result.cuda = versionOf('nvidia-cuda-runtime-cu12')?.slice(0, 2).join('.') ?? '12';
    result.cudnn = versionOf('nvidia-cudnn-cu12')?.slice(0, 3).join('.') ?? null;
    return result;
  }

  /**
   * deps/ from the wheels, every member checked against RECORD — before anything is fetched from
   * npm, so a corrupt wheel is refused at once — then the package it goes into.
   */
  async #stage(plan: StagingPlan, checked: CheckedWheels): Promise<void> {
    const depsDir = join(this.#staging, 'deps');
    const jobs: { wheel: Wheel; member: Member; root: string }[] = [
      ...[...checked.libraries, ...checked.headers].map((member) => ({ wheel: checked.tensorflow, member, root: depsDir })),
      ...checked.cudaWheels.flatMap((wheel) =>
        cudaLibraryMembers(wheel.members.keys()).map((member) => ({ wheel, member, root: this.#staging })),
      ),
    ];
    const total = jobs.reduce((sum, j) => sum + (j.wheel.members.get(j.member.from)?.uncompressedSize ?? 0), 0);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(0);
    let done = 0;
    let lastReport = 0;
    for (const job of jobs) {
      const onBytes = (bytes: number) => {
        done += bytes;
        if (Date.now() - lastReport < 250) return;
        lastReport = Date.now();
        this.#report(
          'stage',
          `extracting ${basename(job.member.from)} (${mb(done)} of ${mb(total)} MB)`,
          total > 0 ? done / total : null,
          coreText('engine_extracting', { file: basename(job.member.from).slice(0, 1000), done: mb(done), total: mb(total) }),
        );
      };
      await job.wheel.extract(job.member.from, join(job.root, job.member.to), onBytes, this.#o.signal);
    }
    for (const { link, target } of plan.links) symlinkSync(target, join(depsDir, link));
    this.#report(
      'stage',
      `staged ${jobs.length} files (${mb(total)} MB) from ${checked.wheels.map((w) => w.fileName).join(', ')}`,
      1,
      coreText('engine_staged', {
        files: jobs.length,
        total: mb(total),
        wheels: checked.wheels
          .map((w) => w.fileName)
          .join(', ')
          .slice(0, 1000),
      }),
    );
    // Downloaded wheels are not kept in the engine: pip's cache holds them for a reinstall.
    for (const wheel of checked.wheels) wheel.close();
    rmSync(join(this.#staging, 'wheels'), { recursive: true, force: true });
    await this.#installPackage();
    rmSync(join(this.#packageDir, 'deps'), { recursive: true, force: true });
    renameSync(depsDir, join(this.#packageDir, 'deps'));
  }

  async #pipDownload(...requirements: string[]): Promise<string[]> {
    const what = `pip download ${requirements.join(' ')}`;
    this.#report('download', what);
    const python = await findPython(this.#env);
    if (typeof python === 'string') throw noPython(python);
    const dest = join(this.#staging, 'wheels');
    mkdirSync(dest, { recursive: true });
    const before = new Set(readdirSync(dest));
    const args = [...python.prefix, '-m', 'pip', 'download', '--no-deps', '--only-binary=:all:', '--dest', dest, ...requirements];
    await mustRun(what, python.command, args, {
      env: this.#env,
      signal: this.#o.signal,
      timeoutMs: 60 * 60_000,
      onLine: (line) => this.#report('download', line.trim().slice(0, 200)),
    });
    const fresh = readdirSync(dest).filter((f) => f.endsWith('.whl') && !before.has(f));
    if (fresh.length === 0) throw pipSavedNothing(what);
    return fresh.map((f) => join(dest, f));
  }

  async #buildAddon(plan: StagingPlan): Promise<void> {
    if (!findCompiler(this.#env) && process.platform !== 'win32') throw noCompiler();
    this.#report(
      'build',
      `building the addon with node-gyp${this.#headers ? ` (Node headers from ${this.#headers})` : ''}`,
      null,
      coreText('engine_building', {}),
    );
    // npm exec puts node_modules/.bin of every folder above on PATH and npm_config_node_gyp at npm's
    // bundled node-gyp. Not `npm rebuild`: that re-runs the package's install script, which empties deps/.
    await mustRun('building the tfjs-node-gpu addon', findNpm(this.#env)!, ['exec', '-c', 'node-pre-gyp install --build-from-source'], {
      ...this.#tool,
      cwd: this.#packageDir,
      timeoutMs: 20 * 60_000,
      onLine: (line) => this.#report('build', line.slice(0, 200)),
    });
    const addon = findAddon(this.#packageDir);
    if (!addon) throw buildNoAddon(join(this.#packageDir, 'lib'));
    for (const command of plan.afterBuild) {
      const argv = command.map((a) => a.replace('{addon}', addon));
      await mustRun(argv.join(' '), argv[0]!, argv.slice(1), this.#tool);
    }
    for (const lib of plan.besideAddon) copyFileSync(join(this.#packageDir, 'deps', lib), join(dirname(addon), basename(lib)));
    // The build folders hold objects and a second copy of the addon; the engine needs neither.
    for (const entry of readdirSync(this.#packageDir))
      if (entry.startsWith('build')) rmSync(join(this.#packageDir, entry), { recursive: true, force: true });
  }

  /** Checks the staged engine in a fresh worker, writes its manifest last, and swaps it in. */
  async #finish(draft: EngineManifest, officialFailure: string | null): Promise<EngineManifest> {
    const { enginesDir, name } = this.#o;
    this.#checkCanceled();
    this.#report(
      'verify',
      'loading the engine in a fresh worker and checking a conv step against the cpu backend',
      null,
      coreText('engine_verifying', {}),
    );
    const check = await this.#o.verify(this.#staging, draft);
    if (this.#o.gpu && !check.usingGpu && officialFailure === null && check.note === null) {
      check.note = 'no GPU was usable; this engine trains on the CPU';
      check.noteCode = coreText('engine_note_no_gpu', {});
    }
    const manifest: EngineManifest = { ...draft, check, bytes: folderBytes(this.#staging) };
    writeFileSync(manifestPath(this.#staging), `${JSON.stringify(manifest, null, 2)}\n`);
    this.#checkCanceled();
    this.#report(
      'swap',
      `replacing ${engineDir(enginesDir, name)}`,
      null,
      coreText('engine_swapping', { dir: engineDir(enginesDir, name).slice(0, 1000) }),
    );
    swapIn(this.#staging, engineDir(enginesDir, name));
    this.#report(
      'done',
      `${name} ${check.tensorflowVersion} (${this.#variant}) installed: ${check.devices.join('; ')}`,
      1,
      coreText('engine_installed', {
        name,
        version: check.tensorflowVersion.slice(0, 100),
        variant: this.#variant,
        devices: check.devices.join('; ').slice(0, 1000),
      }),
    );
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
