/**
 * Where the tensorflow engine lives and what its manifest says.
 *
 * The engine (tfjs-node-gpu, its built addon and libtensorflow; for GPU also the CUDA libraries)
 * is installed into the data folder, never into the app's node_modules: `npm ci`, `npm rebuild`
 * and an app update would wipe it there, and a packaged app's node_modules is read-only.
 *
 * <engines> is <data>/engines, or $KERNELLAB_ENGINES_DIR (several data folders sharing one engine).
 * <engines>/tensorflow/          the installed engine, swapped in whole when an install succeeds
 *   engine.json                  this manifest, written last: no manifest means no engine
 *   package.json, node_modules/  @tensorflow/tfjs-node-gpu and its JavaScript dependencies
 *   cuda/                        GPU engines: the NVIDIA wheels' libraries (on the worker's library path)
 * <engines>/.staging-tensorflow-<pid>-<time>/   an install in progress
 * <engines>/.tensorflow.lock     held by the process installing
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { coreText, type CoreText } from '../contract/coreText.ts';
import { EngineManifest, type EngineName } from '../contract/engines.ts';

export { EngineManifest };

export const engineDir = (enginesDir: string, name: EngineName): string => join(enginesDir, name);
export const manifestPath = (dir: string): string => join(dir, 'engine.json');
/** The npm package inside an engine folder. */
export const packageDirOf = (dir: string): string => join(dir, 'node_modules', '@tensorflow', 'tfjs-node-gpu');

export type ManifestState =
  { state: 'absent' } | { state: 'ready'; manifest: EngineManifest } | { state: 'broken'; problem: string; problemCode: CoreText };

/** Reads an engine folder's manifest; a folder without one, or with a damaged one, is not an engine. */
export function readManifest(dir: string): ManifestState {
  const path = manifestPath(dir);
  if (!existsSync(path)) {
    return existsSync(dir)
      ? {
          state: 'broken',
          problem: `${dir} has no engine.json: an install did not finish; install again`,
          problemCode: coreText('engine_broken_no_manifest', { dir }),
        }
      : { state: 'absent' };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as Error).message;
    return {
      state: 'broken',
      problem: `${path} is not JSON (${reason}); install again`,
      problemCode: coreText('engine_broken_manifest_json', { path, reason: reason.slice(0, 1000) }),
    };
  }
  const parsed = EngineManifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const reason = `${issue?.path.join('.')}: ${issue?.message}`;
    return {
      state: 'broken',
      problem: `${path} is not a valid manifest (${reason}); install again`,
      problemCode: coreText('engine_broken_manifest_invalid', { path, reason: reason.slice(0, 1000) }),
    };
  }
  if (!existsSync(packageDirOf(dir)))
    return {
      state: 'broken',
      problem: `${packageDirOf(dir)} is missing: the engine folder is incomplete; install again`,
      problemCode: coreText('engine_broken_package_missing', { dir: packageDirOf(dir) }),
    };
  return { state: 'ready', manifest: parsed.data };
}

/**
 * The environment a worker that loads this engine needs: the CUDA libraries of the wheels on the
 * library path (for that process only; dlopen reads it at process start, so it cannot be set
 * later from inside), and TensorFlow's own log level kept to warnings.
 */
export function engineProcessEnv(dir: string, manifest: EngineManifest, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { KERNELLAB_TENSORFLOW_ENGINE: dir, TF_CPP_MIN_LOG_LEVEL: base.TF_CPP_MIN_LOG_LEVEL ?? '2' };
  if (manifest.libraryPaths.length > 0) {
    const variable = process.platform === 'win32' ? 'PATH' : process.platform === 'darwin' ? 'DYLD_LIBRARY_PATH' : 'LD_LIBRARY_PATH';
    const separator = process.platform === 'win32' ? ';' : ':';
    const own = manifest.libraryPaths.map((p) => join(dir, p));
    env[variable] = [...own, ...(base[variable] ? [base[variable]] : [])].join(separator);
  }
  return env;
}

export const LockInfo = z.object({ pid: z.number().int(), startedAt: z.string() });

/** The installed tensorflow engine's manifest, or null when none is ready. */
export function tensorflowManifest(enginesDir: string): EngineManifest | null {
  const disk = readManifest(engineDir(enginesDir, 'tensorflow'));
  return disk.state === 'ready' ? disk.manifest : null;
}
