import { existsSync, mkdirSync, statSync } from 'node:fs';
import { coded } from './errors.ts';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The one data folder: database, datasets, checkpoints. The desktop app, `kernellab serve` and
 * the CLI resolve it the same way so they share one database.
 * Order: an explicit `--home`, then `KERNELLAB_HOME`, then the platform's per-user data folder.
 */
export function resolveDataDir(options: { flag?: string | undefined; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  if (options.flag) return resolve(options.flag);
  if (env.KERNELLAB_HOME) return resolve(env.KERNELLAB_HOME);
  switch (process.platform) {
    case 'win32':
      return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'KernelLab');
    case 'darwin':
      return join(homedir(), 'Library', 'Application Support', 'KernelLab');
    default:
      return join(env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'kernellab');
  }
}

/** Creates the data folder and its fixed subfolders; returns their paths. */
export function ensureDataDir(dataDir: string, env: NodeJS.ProcessEnv = process.env): DataDirLayout {
  const layout: DataDirLayout = {
    root: dataDir,
    database: join(dataDir, 'kernellab.db'),
    datasets: join(dataDir, 'datasets'),
    runs: join(dataDir, 'runs'),
    // Created by the first engine install. KERNELLAB_ENGINES_DIR lets data folders share one.
    engines: env.KERNELLAB_ENGINES_DIR?.trim() || join(dataDir, 'engines'),
  };
  for (const dir of [layout.root, layout.datasets, layout.runs]) {
    // A path that exists as a file (a mistyped --home, KERNELLAB_HOME naming the database itself)
    // gets a sentence, not mkdir's EEXIST / ENOTDIR.
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      const sub = dir.slice(dataDir.length + 1);
      throw dir === layout.root
        ? coded(
            'invalid_input',
            `The data folder ${dataDir} is a file, not a folder: give --home (or KERNELLAB_HOME) a folder — it is created when missing`,
            'error_data_folder_is_file',
            { folder: dataDir },
          )
        : coded(
            'invalid_input',
            `The data folder ${dataDir} (its ${sub}) is a file, not a folder: give --home (or KERNELLAB_HOME) a folder — it is created when missing`,
            'error_data_subfolder_is_file',
            { folder: dataDir, sub },
          );
    }
    try {
      mkdirSync(dir, { recursive: true });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'EEXIST')
        throw coded(
          'invalid_input',
          `The data folder ${dataDir} cannot be created: part of that path is a file, not a folder`,
          'error_data_folder_uncreatable',
          { folder: dataDir },
        );
      throw error;
    }
  }
  return layout;
}

/** Where a run's files (checkpoints) live: the data folder's runs/<uuid>. */
export function runDirOf(layout: Pick<DataDirLayout, 'runs'>, uuid: string): string {
  return join(layout.runs, uuid);
}

export interface DataDirLayout {
  root: string;
  database: string;
  datasets: string;
  runs: string;
  /** Native engines (core/engine/layout.ts). */
  engines: string;
}
