import { Command, CommanderError } from 'commander';
import { methods } from '../core/contract/index.ts';
import { KernelLabError } from '../core/errors.ts';
import { createService, resolveDataDir, type Service } from '../core/service.ts';
import { registerDatasets } from './datasets.ts';
import { commanderOutput, formatInfo, print, printError, printJson } from './format.ts';
import { describeEngine, registerEngine } from './engine.ts';
import { commanderError, commanderHelp } from './commanderText.ts';
import { errorText } from './errorText.ts';
import { registerRuns } from './runs.ts';
import { registerServe } from './serve.ts';
import { registerSweep } from './sweep.ts';
import { registerKeras } from './keras.ts';
import { registerSummary } from './summary.ts';
import { registerSweepCluster } from './sweepCluster.ts';
import { registerTrain } from './train.ts';
import { defineAgentCommand } from '../agent/command.ts';
import { catalogueAgentTexts, helpTitle } from '../agent/texts.ts';
import { langFlag, langRefusalText, nodeLocale } from '../../i18n/locale.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { setLocale } from '../../i18n/paraglide/runtime.js';

/** Whether a `kernellab call` answer put runs on the queue (which that call does not train). */
function queuedWork(method: string, result: unknown): boolean {
  switch (method) {
    case 'runs.start':
    case 'sweeps.start':
      return true;
    case 'runs.resume':
      return (result as { requeued: boolean }).requeued;
    case 'sweeps.resume':
      return (result as { sweepIds: number[] }).sweepIds.length > 0;
    default:
      return false;
  }
}

/** Exit codes: 0 done, 1 the command failed, 2 the command line or its input was wrong. */
function exitCodeOf(error: unknown): number {
  return error instanceof KernelLabError && error.code === 'invalid_input' ? 2 : 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    setLocale(nodeLocale({ flag: langFlag(argv.slice(2)), env: process.env }), { reload: false });
  } catch (error) {
    printError(`kernellab: ${langRefusalText(error, { env: process.env })}`);
    return 2;
  }
  let service: Service | undefined;
  const open = (home: string | undefined, extra: { datasetMirror?: string; trains?: boolean } = {}): Service =>
    (service ??= createService({ dataDir: resolveDataDir({ flag: home }), shell: 'cli', ...extra }));
  const program = new Command()
    .name('kernellab')
    .description(m.cli_program_description())
    .option('--home <dir>', m.cli_option_home())
    .option('--lang <language>', m.cli_option_lang())
    .showHelpAfterError()
    .configureOutput({ ...commanderOutput, outputError: (text, write) => write(commanderError(text)) })
    .configureHelp({ styleTitle: helpTitle, ...commanderHelp })
    .helpOption('-h, --help', m.cli_help_option())
    .helpCommand('help [command]', m.cli_help_command())
    .exitOverride();

  program
    .command('info')
    .description(m.cli_info_description())
    .option('--json', m.cli_option_json())
    .action(async (options: { json?: boolean }) => {
      const service = open(program.opts().home);
      const info = await service.call('app.info', {});
      const engines = await service.call('engines.list', {});
      if (options.json) printJson({ ...info, engines });
      else
        print(
          `${formatInfo(info)}\n  ${m.cli_info_engines({ dir: engines.enginesDir })}\n${engines.engines.map((e) => describeEngine(e).replace(/^/gm, '    ')).join('\n')}`,
        );
    });

  registerServe(program);

  program
    .command('call')
    .description(m.cli_call_description())
    .argument('<method>', m.cli_call_method({ methods: Object.keys(methods).join(', ') }))
    .argument('[input]', m.cli_call_input(), '{}')
    .action(async (name: string, inputText: string) => {
      let input: unknown;
      try {
        input = JSON.parse(inputText);
      } catch (error) {
        throw new KernelLabError('invalid_input', m.cli_call_not_json({ reason: (error as Error).message }));
      }
      // One request, answered, then this process exits: it trains nothing (a run it claimed would
      // be interrupted by the exit at once); what it queues waits for the app or `kernellab serve`.
      const result = await open(program.opts().home, { trains: false }).call(name as never, input);
      printJson(result);
      if (queuedWork(name, result)) printError(m.cli_call_queued());
    });

  registerTrain(program, () => open(program.opts().home));
  registerSweepCluster(
    registerSweep(program, () => open(program.opts().home)),
    () => open(program.opts().home),
  );
  registerRuns(program, () => open(program.opts().home));
  registerSummary(program, () => open(program.opts().home));
  registerKeras(program, () => open(program.opts().home));

  // A remote executor: it talks to a server, never opens this machine's data folder.
  defineAgentCommand(program.command('agent'), { write: printError, json: printJson }, {}, catalogueAgentTexts());

  registerDatasets(program, (extra) => open(program.opts().home, extra));
  registerEngine(program, () => open(program.opts().home));

  try {
    await program.parseAsync(argv);
    // A command may end with its own code (kernellab agent: 143 after SIGTERM).
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    printError(`kernellab: ${errorText(error)}`);
    return exitCodeOf(error);
  } finally {
    await service?.close();
  }
}
