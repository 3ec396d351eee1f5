/**
 * `kernellab serve`: browser mode. Prints the URLs to open (from other machines too when bound
 * beyond loopback) and stops on SIGINT/SIGTERM: gracefully within 5 seconds whatever is in
 * flight, and at once on a second signal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { KernelLabError } from '../core/errors.ts';
import { createService, resolveDataDir } from '../core/service.ts';
import { startServer } from '../server/server.ts';
import { print, printError } from './format.ts';
import { getLocale } from '../../i18n/paraglide/runtime.js';

/** The built pages browser mode serves; KERNELLAB_RENDERER_DIR points elsewhere (a packaged copy, tests). */
const rendererDir = process.env.KERNELLAB_RENDERER_DIR || fileURLToPath(new URL('../../out/renderer', import.meta.url));

/** How long a graceful stop may take before the process exits anyway. */
export const stopDeadlineMs = 5000;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('browser mode: serve the app on 127.0.0.1 with a per-start token')
    .addOption(new Option('--port <n>', 'port (0 picks a free one)').default(7860).argParser(parsePort))
    .option(
      '--host <host>',
      'address to bind (0.0.0.0 or :: for every address); anything but loopback exposes your runs to the network',
      '127.0.0.1',
    )
    .option('--allow-host <names...>', 'host names of this machine that browsers will use (a DNS name), besides its addresses')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needed with any --host beyond loopback')
    .option('--tls-key <file>', "the certificate's private key (PEM)")
    .action(async (options: { port: number; host: string; allowHost?: string[]; tlsCert?: string; tlsKey?: string }) => {
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined))
        throw new KernelLabError('invalid_input', '--tls-cert and --tls-key go together: the certificate and its private key');
      const tls =
        options.tlsCert && options.tlsKey
          ? { cert: readPem(options.tlsCert, '--tls-cert'), key: readPem(options.tlsKey, '--tls-key') }
          : undefined;
      // Listening before anything is printed: a script that reads the URL and signals at once
      // must not find the default action (instant death, nothing closed) still in place.
      const stopped = new Promise<void>((resolve) => {
        const stop = (signal: NodeJS.Signals) => {
          // Without listeners a second SIGINT/SIGTERM gets the default action: the process ends at
          // once, even when something holds the event loop.
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          printError(`kernellab: ${signal}: stopping (send it again to quit at once)`);
          const deadline = setTimeout(() => {
            printError(`kernellab: stopping took over ${stopDeadlineMs / 1000} s; exiting now`);
            process.exit(1);
          }, stopDeadlineMs);
          // Only a stop that hangs keeps the process alive long enough for this to fire.
          deadline.unref();
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      const built = existsSync(join(rendererDir, 'index.html'));
      // Said before any URL: a page that answers 404 is worse than no URL at all.
      if (!built)
        printError(
          `The app's pages are not built (${rendererDir} has no index.html), so this server answers the API only.\n` +
            'Build them once with `npm run build` in the KernelLab folder, then start `kernellab serve` again.',
        );
      const service = createService({ dataDir: resolveDataDir({ flag: program.opts().home }), shell: 'server' });
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({
          service,
          port: options.port,
          host: options.host,
          staticDir: rendererDir,
          ...(options.allowHost ? { allowedHostNames: options.allowHost } : {}),
          ...(tls && { tls }),
        });
      } catch (error) {
        await service.close();
        throw error;
      }
      print(`KernelLab is serving ${service.context.layout.root}`);
      const [first, ...others] = server.urls;
      // A language asked for by name (--lang, KERNELLAB_LANG) travels in the address; without one
      // the page follows the browser's languages.
      const lang = program.opts().lang !== undefined || process.env.KERNELLAB_LANG ? `&lang=${getLocale()}` : '';
      print(`${built ? 'Open' : 'API only at'} ${first}?token=${server.token}${lang}`);
      for (const url of others) print(`  or ${url}?token=${server.token}${lang}`);
      if (server.exposed)
        printError(
          'kernellab: other machines can reach this server (over HTTPS). Anyone with the token can use it; agents use their own sweep tokens.',
        );
      await stopped;
      await server.close();
      await service.close();
    });
}

function readPem(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new KernelLabError(
      'invalid_input',
      `${flag}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KernelLabError('invalid_input', `--port: '${value}' is not a port number (0–65535)`);
  }
  return port;
}
