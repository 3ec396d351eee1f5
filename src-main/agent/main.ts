/**
 * Entry of the single-file `kernellab-agent` (a Node single executable application; sea.cjs
 * unpacks this project's agent and its packages, then imports this file). Nothing here opens a
 * data folder: the agent talks to a server and trains in workers, which are this same executable
 * started again in the worker role. It speaks the user's language as `kernellab` does (--lang,
 * KERNELLAB_LANG, the system locale): the compiled catalogue is packed beside it.
 */
import { Command, CommanderError } from 'commander';
import { langFlag, langRefusalText, nodeLocale } from '../../i18n/locale.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { setLocale } from '../../i18n/paraglide/runtime.js';
import { commanderError, commanderHelp } from '../cli/commanderText.ts';
import { errorText } from '../cli/errorText.ts';
import { selfWorkerLauncher } from '../core/agents/agent.ts';
import { KernelLabError } from '../core/errors.ts';
import { defineAgentCommand } from './command.ts';
import { catalogueAgentTexts, helpTitle } from './texts.ts';

/** Tells sea.cjs to start the training worker instead of the agent. */
export const workerRoleEnv = { KERNELLAB_AGENT_ROLE: 'worker' };

export async function main(argv: string[], version: string): Promise<number> {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  try {
    setLocale(nodeLocale({ flag: langFlag(argv.slice(2)), env: process.env }), { reload: false });
  } catch (error) {
    write(`kernellab-agent: ${langRefusalText(error, { env: process.env })}`);
    return 2;
  }
  const program = new Command('kernellab-agent')
    .version(version, '-V, --version', m.cli_agent_version_option())
    // Commander's own words (usage errors, "(choices: …)") in the user's language, as kernellab says them.
    .configureOutput({ outputError: (text, writeError) => writeError(commanderError(text)) })
    .configureHelp({ styleTitle: helpTitle, ...commanderHelp })
    .helpOption('-h, --help', m.cli_agent_help_option())
    .exitOverride();
  // Read above, before the texts are made; declared so commander accepts it.
  program.option('--lang <language>', m.cli_option_lang());
  defineAgentCommand(
    program,
    { write, json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`) },
    { launchWorker: selfWorkerLauncher(workerRoleEnv), workerEntry: 'kernellab-agent worker', version },
    catalogueAgentTexts(),
  );
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    write(`kernellab-agent: ${errorText(error)}`);
    return error instanceof KernelLabError && error.code === 'invalid_input' ? 2 : 1;
  }
}
