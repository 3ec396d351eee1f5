/**
 * Registered first (tsSourceCacheHook.ts, by `--import` or imported before anything else) in
 * every Node process that runs KernelLab from its TypeScript sources: the CLI, `serve`, training
 * workers. Node strips the types of every source it loads at every start — about 200 files
 * (1.4 MB) for a CLI command, 0.26 of its 0.78 CPU seconds here. This hook keeps each source's
 * stripped JavaScript in a cache folder, so a start strips only the files changed since the last.
 *
 * - The stripping is Node's own (`module.stripTypeScriptTypes`, the function behind its built-in
 *   type stripping), so the code that runs is the same, line for line, as without the cache.
 * - One entry per source file, named by a hash of its path; the entry ends with a hash of the
 *   source it came from (and Node's version), so an edited source replaces its entry.
 * - The cache is `node_modules/.cache/kernellab-ts/` beside the sources (where build tools keep
 *   theirs), or the folder `KERNELLAB_TS_CACHE` names; `KERNELLAB_TS_CACHE=off` turns it off.
 * - A cache that cannot be read or written is skipped: the source is stripped as Node would,
 *   never an error. Sources under node_modules and bundled builds (Electron) never come here.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const marker = '\n//# kernellab-ts-source=';

/**
 * Node's stripping, without the one-time ExperimentalWarning the function prints when called
 * directly (Node prints none for the same stripping of the sources it loads itself).
 */
function strip(source: string): string {
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  try {
    return stripTypeScriptTypes(source, { mode: 'strip' });
  } finally {
    process.emitWarning = emitWarning;
  }
}

function hash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The stripped JavaScript of the TypeScript source at `path`, from `cacheDir` when it holds this very source. */
export function strippedSource(path: string, source: string, cacheDir: string | null): string {
  if (cacheDir === null) return strip(source);
  const entry = join(cacheDir, `${hash(path)}.js`);
  // Node's version too: a newer Node may strip differently.
  const tail = `${marker}${hash(`${process.version}\0${source}`)}\n`;
  try {
    const cached = readFileSync(entry, 'utf8');
    if (cached.endsWith(tail)) return cached;
  } catch {
    // Not cached yet, or unreadable: strip it below.
  }
  const js = strip(source) + tail;
  // Written whole under a name of its own, then renamed: a process starting meanwhile reads the
  // old entry or the new one, never half of one.
  const partial = `${entry}.${process.pid}.tmp`;
  try {
    writeFileSync(partial, js);
    renameSync(partial, entry);
  } catch {
    try {
      rmSync(partial, { force: true });
    } catch {
      // Nothing was written.
    }
  }
  return js;
}

function cacheFolder(): string | null {
  const dir = process.env.KERNELLAB_TS_CACHE || fileURLToPath(new URL('../../node_modules/.cache/kernellab-ts/', import.meta.url));
  try {
    mkdirSync(dir, { recursive: true });
    return dir;
  } catch {
    return null;
  }
}

/** Serves every source this process loads from now on through the cache (tsSourceCacheHook.ts calls it). */
export function registerSourceCache(): void {
  if (process.env.KERNELLAB_TS_CACHE === 'off') return;
  const cacheDir = cacheFolder();
  registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
      const path = fileURLToPath(url);
      return { format: 'module', source: strippedSource(path, readFileSync(path, 'utf8'), cacheDir), shortCircuit: true };
    },
  });
}
