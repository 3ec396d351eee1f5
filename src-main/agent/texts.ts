/**
 * What the agent command says, from the message catalogue: `kernellab agent` and the single-file
 * `kernellab-agent` (which packs the compiled catalogue, buildSea.ts) both speak the user's language.
 */
import { catalogueWord } from '../../i18n/coreText.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { errorText, storedSentence } from '../cli/errorText.ts';
import type { AgentTexts } from './command.ts';

/** The agent's texts from the catalogue, in the language set with setLocale. */
export function catalogueAgentTexts(): AgentTexts {
  return {
    description: m.cli_agent_description(),
    options: {
      server: m.cli_agent_option_server(),
      tokenFile: m.cli_agent_option_token_file(),
      sweep: m.cli_agent_option_sweep(),
      count: m.cli_agent_option_count(),
      backend: m.cli_agent_option_backend(),
      spool: m.cli_agent_option_spool(),
      cache: m.cli_agent_option_cache(),
      ca: m.cli_agent_option_ca(),
      threads: m.cli_agent_option_threads(),
      job: m.cli_agent_option_job(),
      patience: m.cli_agent_option_patience(),
      json: m.cli_agent_option_json(),
    },
    notPositive: m.cli_agent_not_positive,
    signalAgain: m.cli_agent_signal_again,
    signal: m.cli_agent_signal,
    done: m.cli_agent_done,
    runsOne: m.cli_agent_runs_one,
    runsMany: m.cli_agent_runs_many,
    none: m.cli_agent_none(),
    notReported: m.cli_agent_not_reported(),
    status: (status) => catalogueWord('status_', status),
    say: (text, english) => storedSentence(text, english),
    sayError: errorText,
  };
}

/**
 * Commander's section titles (Usage:, Options:, Commands:…) in the user's language: for `kernellab`
 * and the single-file `kernellab-agent`, which packs this file but not the CLI's.
 */
export function helpTitle(title: string): string {
  switch (title) {
    case 'Usage:':
      return m.cli_help_title_usage();
    case 'Options:':
      return m.cli_help_title_options();
    case 'Commands:':
      return m.cli_help_title_commands();
    case 'Arguments:':
      return m.cli_help_title_arguments();
    case 'Global Options:':
      return m.cli_help_title_global_options();
    default:
      return title;
  }
}
