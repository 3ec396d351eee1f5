import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { methods } from '../core/contract/index.ts';
import { KernelLabError, toErrorBody } from '../core/errors.ts';
import { createService, resolveDataDir, type Service } from '../core/service.ts';
import { startServer } from '../server/server.ts';
import { registerDatasets } from './datasets.ts';
import { commanderOutput, formatInfo, print, printError, printJson } from './format.ts';
import { registerRuns } from './runs.ts';
import { registerSweep } from './sweep.ts';
import { registerTrain } from './train.ts';

/** The built pages browser mode serves; KERNELLAB_RENDERER_DIR points elsewhere (a packaged copy, tests). */
const rendererDir = process.env.KERNELLAB_RENDERER_DIR || fileURLToPath(new URL('../../out/renderer', import.meta.url));

/** Exit codes: 0 done, 1 the command failed, 2 the command line or its input was wrong. */
function exitCodeOf(error: unknown): number {
  return error instanceof KernelLabError && error.code === 'invalid_input' ? 2 : 1;
}

export async function main(argv: string[]): Promise<number> {
  let service: Service | undefined;
  const open = (home: string | undefined): Service =>
    (service ??= createService({ dataDir: resolveDataDir({ flag: home }), shell: 'cli' }));
  const program = new Command()
    .name('kernellab')
    .description('Train convolutional networks, sweep hyperparameters, compare runs.')
    .option('--home <dir>', 'data folder (default: $KERNELLAB_HOME or the per-user app data folder)')
    .showHelpAfterError()
    .configureOutput(commanderOutput)
    .exitOverride();

  program
    .command('info')
    .description('versions, data folder and the tfjs backends that load here')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const info = await open(program.opts().home).call('app.info', {});
      if (options.json) printJson(info);
      else print(formatInfo(info));
    });

  program
    .command('serve')
    .description('browser mode: serve the app on 127.0.0.1 with a per-start token')
    .addOption(new Option('--port <n>', 'port (0 picks a free one)').default(7860).argParser(parsePort))
    .option('--host <host>', 'address to bind; anything but loopback exposes your runs to the network', '127.0.0.1')
    .action(async (options: { port: number; host: string }) => {
      const built = existsSync(join(rendererDir, 'index.html'));
      // Said before any URL: a page that answers 404 is worse than no URL at all.
      if (!built)
        printError(
          `The app's pages are not built (${rendererDir} has no index.html), so this server answers the API only.\n` +
            'Build them once with `npm run build` in the KernelLab folder, then start `kernellab serve` again.',
        );
      const svc = createService({ dataDir: resolveDataDir({ flag: program.opts().home }), shell: 'server' });
      service = svc;
      const server = await startServer({ service: svc, port: options.port, host: options.host, staticDir: rendererDir });
      print(`KernelLab is serving ${svc.context.layout.root}`);
      print(built ? `Open ${server.urlWithToken}` : `API only at ${server.urlWithToken}`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await server.close();
    });

  program
    .command('call')
    .description('call any API method with a JSON input and print its JSON output')
    .argument('<method>', `one of: ${Object.keys(methods).join(', ')}`)
    .argument('[input]', 'JSON input', '{}')
    .action(async (name: string, inputText: string) => {
      let input: unknown;
      try {
        input = JSON.parse(inputText);
      } catch (error) {
        throw new KernelLabError('invalid_input', `input is not JSON: ${(error as Error).message}`);
      }
      const result = await open(program.opts().home).call(name as never, input);
      printJson(result);
    });

  registerTrain(program, () => open(program.opts().home));
  registerSweep(program, () => open(program.opts().home));
  registerRuns(program, () => open(program.opts().home));

  registerDatasets(program, () => open(program.opts().home));

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    const body = toErrorBody(error);
    printError(`kernellab: ${body.message}`);
    return exitCodeOf(error);
  } finally {
    await service?.close();
  }
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new KernelLabError('invalid_input', `--port: '${value}' is not a port number (0–65535)`);
  }
  return port;
}
