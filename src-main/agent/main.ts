/**
 * Entry of the single-file `kernellab-agent` (a Node single executable application; sea.cjs
 * unpacks this project's agent and its packages, then imports this file). Nothing here opens a
 * data folder: the agent talks to a server and trains in workers, which are this same executable
 * started again in the worker role.
 */
import { Command, CommanderError } from 'commander';
import { selfWorkerLauncher } from '../core/agents/agent.ts';
import { KernelLabError, toErrorBody } from '../core/errors.ts';
import { defineAgentCommand } from './command.ts';

/** Tells sea.cjs to start the training worker instead of the agent. */
export const workerRoleEnv = { KERNELLAB_AGENT_ROLE: 'worker' };

export async function main(argv: string[], version: string): Promise<number> {
  const write = (line: string) => process.stderr.write(`${line}\n`);
  const program = new Command('kernellab-agent').version(version).exitOverride();
  defineAgentCommand(
    program,
    { write, json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`) },
    { launchWorker: selfWorkerLauncher(workerRoleEnv), workerEntry: 'kernellab-agent worker', version },
  );
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    write(`kernellab-agent: ${toErrorBody(error).message}`);
    return error instanceof KernelLabError && error.code === 'invalid_input' ? 2 : 1;
  }
}
