/**
 * Runs a `kernellab` command (the agent's, in the agent tests) as a child process in one language:
 * this process's language variables cleared and `KERNELLAB_LANG` set, so the child speaks `lang`
 * whatever the machine's locale. Resolves with its exit code and everything it wrote to stderr.
 */
import { spawn } from 'node:child_process';
import { cliPath } from './servedKernellab.ts';

const languageVariables = ['KERNELLAB_LANG', 'LANG', 'LC_ALL', 'LC_MESSAGES'];

/** `env`: variables set for the child on top of this process's; undefined removes one. */
export function kernellabStderr(
  args: readonly string[],
  lang: string,
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; err: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of languageVariables) delete childEnv[name];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete childEnv[name];
    else childEnv[name] = value;
  }
  childEnv.KERNELLAB_LANG = lang;
  const child = spawn(process.execPath, [cliPath, ...args], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, err })));
}
