/**
 * `npm start`: makes sure the Electron binary is installed, then runs `electron-vite dev`.
 *
 * Electron 45 no longer downloads its binary when npm installs it: it downloads on the first
 * `require('electron')`, which electron-vite never evaluates (it reads `path.txt` and throws
 * "Electron uninstall" when that is missing). So on a fresh clone this downloads the binary first,
 * with Electron's own machinery — `@electron/get` (the copy Electron itself uses), Electron's
 * published checksums, then Electron's `install.js`, which unpacks it from the download cache and
 * writes `path.txt`. ELECTRON_MIRROR, the npm `electron_mirror` settings, `electron_config_cache`
 * and `electron_use_remote_checksums` work as they do for Electron's own install; HTTPS_PROXY /
 * HTTP_PROXY / NO_PROXY are honoured through Node's built-in proxy support.
 *
 * Runs under plain Node (no Electron, nothing bundled): `node src-main/electron/start.ts`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { platform as osPlatform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What Electron's install.js calls the executable inside `dist/` on this platform. */
function platformPath(platform: string): string {
  switch (platform) {
    case 'mas':
    case 'darwin':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    default:
      return 'electron';
  }
}

const targetPlatform = () => process.env.ELECTRON_INSTALL_PLATFORM || process.env.npm_config_platform || osPlatform();
const targetArch = () => process.env.ELECTRON_INSTALL_ARCH || process.env.npm_config_arch || process.arch;

export function electronPackageDir(): string {
  return dirname(createRequire(join(root, 'package.json')).resolve('electron/package.json'));
}

/** The same test as Electron's install.js: the right version unpacked and path.txt pointing at it. */
export function electronInstalled(dir: string = electronPackageDir()): boolean {
  if (process.env.ELECTRON_EXEC_PATH) return true;
  const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  try {
    if (readFileSync(join(dir, 'dist', 'version'), 'utf8').replace(/^v/, '') !== version) return false;
    if (readFileSync(join(dir, 'path.txt'), 'utf8') !== platformPath(targetPlatform())) return false;
  } catch {
    return false;
  }
  return existsSync(process.env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist', platformPath(targetPlatform())));
}

interface ElectronGet {
  downloadArtifact(details: {
    version: string;
    artifactName: string;
    platform: string;
    arch: string;
    checksums?: Record<string, string>;
    cacheRoot?: string;
    force?: boolean;
    downloadOptions?: {
      quiet?: boolean;
      getProgressCallback?: (progress: { transferred: number; total: number | null; percent: number }) => Promise<void>;
    };
  }): Promise<string>;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

/** A bar on a terminal; a line every 10% when the output is a log or a pipe. */
function progressReporter(label: string) {
  const tty = process.stderr.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        { format: `${label} [{bar}] {percentage}% | {done} of {size} MiB | ETA {eta_formatted}`, hideCursor: true, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let started = false;
  let lastTenth = -1;
  return {
    update(p: { transferred: number; total: number | null; percent: number }) {
      const size = p.total === null ? '?' : mib(p.total);
      if (bar) {
        if (!started) bar.start(100, 0, { done: '0.0', size });
        started = true;
        bar.update(Math.floor(p.percent * 100), { done: mib(p.transferred), size });
        return;
      }
      const tenth = Math.floor(p.percent * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        process.stderr.write(`${label}: ${tenth * 10}% (${mib(p.transferred)} of ${size} MiB)\n`);
      }
    },
    stop() {
      if (started) bar?.stop();
    },
  };
}

/** Why a download failed, in one sentence without a stack trace. */
export function describeDownloadFailure(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'HTTPError' && e.message) return `the server answered ${e.message.replace(/^Response code /, 'HTTP ')}`;
  if (e?.name === 'ChecksumMismatchError' || /did not match expected checksum/.test(e?.message ?? ''))
    return "the file downloaded does not match Electron's published SHA-256 checksum (a broken mirror or proxy?)";
  if (e?.name === 'NoChecksumFoundError') return 'the checksum file has no entry for it';
  if (e?.cause?.code) return `no connection (${e.cause.code}${e.cause.message ? `: ${e.cause.message}` : ''})`;
  return e?.message ?? String(error);
}

/** Downloads and unpacks the Electron binary; returns an error message for the user, or null when it is installed. */
export async function installElectron(dir: string = electronPackageDir()): Promise<string | null> {
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  const platform = targetPlatform();
  const arch = targetArch();
  const file = `electron-v${version}-${platform}-${arch}.zip`;
  const mirror = process.env.ELECTRON_MIRROR || process.env.npm_config_electron_mirror;
  process.stderr.write(`Electron ${version} is not installed yet: downloading ${file} (once) from ${mirror ?? "Electron's releases"}…\n`);
  const fromElectron = createRequire(join(dir, 'package.json'));
  const get = (await import(pathToFileURL(fromElectron.resolve('@electron/get')).href)) as ElectronGet;
  const remoteChecksums = Boolean(process.env.electron_use_remote_checksums || process.env.npm_config_electron_use_remote_checksums);
  const progress = progressReporter(`Downloading Electron ${version}`);
  try {
    await get.downloadArtifact({
      version,
      artifactName: 'electron',
      platform,
      arch,
      ...(!remoteChecksums && { checksums: JSON.parse(readFileSync(join(dir, 'checksums.json'), 'utf8')) as Record<string, string> }),
      ...(process.env.electron_config_cache && { cacheRoot: process.env.electron_config_cache }),
      force: process.env.force_no_cache === 'true',
      downloadOptions: { quiet: true, getProgressCallback: async (p) => progress.update(p) },
    });
  } catch (error) {
    progress.stop();
    return [
      `npm start: could not download Electron ${version} (${file}): ${describeDownloadFailure(error)}.`,
      mirror
        ? `  It was asked of ELECTRON_MIRROR=${mirror}; point ELECTRON_MIRROR at a mirror that has v${version}/${file}.`
        : `  To use a mirror, set ELECTRON_MIRROR to a base URL that has v${version}/${file}; behind a proxy, set HTTPS_PROXY.`,
      '  The same app runs in a browser without Electron: npm run build && npx kernellab serve',
    ].join('\n');
  }
  progress.stop();
  // Electron's own installer finds the zip in the download cache, unpacks it and writes path.txt.
  const env = { ...process.env };
  delete env.force_no_cache;
  const unpack = spawnSync(process.execPath, [join(dir, 'install.js')], { stdio: ['ignore', 'inherit', 'pipe'], env, encoding: 'utf8' });
  if (unpack.status !== 0 || !electronInstalled(dir)) {
    const why = unpack.stderr.trim().split('\n')[0] ?? `exit code ${unpack.status}`;
    return `npm start: Electron ${version} was downloaded but could not be unpacked into ${join(dir, 'dist')}: ${why}\n  The same app runs in a browser without Electron: npm run build && npx kernellab serve`;
  }
  process.stderr.write(`Electron ${version} is installed.\n`);
  return null;
}

const proxySet = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((name) => process.env[name]);

async function main(): Promise<number> {
  if (!electronInstalled()) {
    // Node's fetch uses HTTPS_PROXY / HTTP_PROXY / NO_PROXY only when NODE_USE_ENV_PROXY is set at start-up.
    if (proxySet && !process.env.NODE_USE_ENV_PROXY) {
      const again = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
        stdio: 'inherit',
        env: { ...process.env, NODE_USE_ENV_PROXY: '1' },
      });
      return again.status ?? 1;
    }
    const problem = await installElectron();
    if (problem) {
      process.stderr.write(`${problem}\n`);
      return 1;
    }
  }
  const electronVite = join(
    dirname(createRequire(join(root, 'package.json')).resolve('electron-vite/package.json')),
    'bin',
    'electron-vite.js',
  );
  const child = spawn(process.execPath, [electronVite, 'dev', '--config', 'electron.config.ts', ...process.argv.slice(2)], {
    stdio: 'inherit',
    cwd: root,
  });
  return await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = await main();
