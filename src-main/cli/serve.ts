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
import { servedAddress } from './serveAddress.ts';
import { getLocale } from '../../i18n/paraglide/runtime.js';
import { m } from '../../i18n/paraglide/messages.js';

/** The built pages browser mode serves; KERNELLAB_RENDERER_DIR points elsewhere (a packaged copy, tests). */
const rendererDir = process.env.KERNELLAB_RENDERER_DIR || fileURLToPath(new URL('../../out/renderer', import.meta.url));

/** How long a graceful stop may take before the process exits anyway. */
export const stopDeadlineMs = 5000;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(m.cli_serve_description())
    .addOption(new Option('--port <n>', m.cli_serve_option_port()).default(7860).argParser(parsePort))
    .option('--host <host>', m.cli_serve_option_host(), '127.0.0.1')
    .option('--allow-host <names...>', m.cli_serve_option_allow_host())
    .option('--tls-cert <file>', m.cli_serve_option_tls_cert())
    .option('--tls-key <file>', m.cli_serve_option_tls_key())
    .action(async (options: { port: number; host: string; allowHost?: string[]; tlsCert?: string; tlsKey?: string }) => {
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined))
        throw new KernelLabError('invalid_input', m.cli_serve_tls_together());
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
          printError(m.cli_serve_stopping({ signal }));
          const deadline = setTimeout(() => {
            printError(m.cli_serve_stop_too_long({ seconds: stopDeadlineMs / 1000 }));
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
      if (!built) printError(m.cli_serve_not_built({ dir: rendererDir }));
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
      print(m.cli_serve_serving({ dir: service.context.layout.root }));
      // Said in the user's language: readers find the address by its shape (serveAddress.ts), not by the words around it.
      const [first, ...others] = server.urls;
      // A language asked for by name (--lang, KERNELLAB_LANG) travels in the address; without one
      // the page follows the browser's languages.
      const lang = program.opts().lang !== undefined || process.env.KERNELLAB_LANG ? getLocale() : undefined;
      const url = servedAddress(first!, server.token, lang);
      print(built ? m.cli_serve_open({ url }) : m.cli_serve_api_only({ url }));
      for (const other of others) print(m.cli_serve_or({ url: servedAddress(other, server.token, lang) }));
      if (server.exposed) printError(m.cli_serve_exposed());
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
      m.cli_serve_cannot_read({ flag, path, reason: (error as NodeJS.ErrnoException).code ?? (error as Error).message }),
    );
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KernelLabError('invalid_input', m.cli_serve_bad_port({ value }));
  }
  return port;
}
