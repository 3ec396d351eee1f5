import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The Electron binary, found without triggering its download: Electron downloads it on first use,
 * which is impossible on machines without internet access (CI here). Undefined when absent.
 */
export function electronBinary(): string | undefined {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('electron/package.json'));
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8'));
  return existsSync(binary) ? binary : undefined;
}

/** Why an Electron spec skipped, said in its annotations and (by the spec) in the test output. */
export const electronSkipReason =
  'SKIPPED: the Electron binary is not installed (node_modules/electron/dist is missing: Electron downloads it on first run, and this machine cannot download it)';
