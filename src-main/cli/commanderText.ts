/**
 * Commander's own words (its usage errors, and the "(default: …)" and "(choices: …)" it appends to
 * help) in the user's language. Commander builds these sentences in English before any hook sees
 * them, so they are recognised by shape and rebuilt from the catalogue; a sentence of a shape not
 * known here (a newer commander) passes through in English rather than being lost.
 */
import { Help, type Argument, type Command, type Option } from 'commander';
import stringWidth from 'string-width';
import { m } from '../../i18n/paraglide/messages.js';
import { getLocale } from '../../i18n/paraglide/runtime.js';

/** "\n(Did you mean --json?)" or "\n(Did you mean one of a, b?)", as commander's suggestSimilar writes it. */
const suggestion = /\n\(Did you mean (?:one of )?(.+)\?\)$/s;

function withSuggestion(head: string, rest: string): string {
  const match = suggestion.exec(rest);
  return match ? `${head}\n${m.cli_commander_did_you_mean({ words: match[1]! })}` : head;
}

/** One of commander's error lines (with its trailing newline, as outputError receives it) in the user's language. */
export function commanderError(text: string): string {
  // Commander's English is the original: left exactly as it is.
  if (getLocale() === 'en') return text;
  const end = text.endsWith('\n') ? '\n' : '';
  const message = end ? text.slice(0, -1) : text;
  let match: RegExpExecArray | null;
  if ((match = /^error: unknown option '([^']*)'([\s\S]*)$/.exec(message)))
    return withSuggestion(m.cli_commander_unknown_option({ flag: match[1]! }), match[2]!) + end;
  if ((match = /^error: unknown command '([^']*)'([\s\S]*)$/.exec(message)))
    return withSuggestion(m.cli_commander_unknown_command({ name: match[1]! }), match[2]!) + end;
  if ((match = /^error: missing required argument '([^']*)'$/.exec(message)))
    return m.cli_commander_missing_argument({ name: match[1]! }) + end;
  if ((match = /^error: option '([^']*)' argument missing$/.exec(message)))
    return m.cli_commander_option_missing_argument({ flags: match[1]! }) + end;
  if ((match = /^error: required option '([^']*)' not specified$/.exec(message)))
    return m.cli_commander_missing_mandatory_option({ flags: match[1]! }) + end;
  if ((match = /^error: too many arguments(?: for '([^']*)')?\. Expected (\d+) arguments? but got (\d+): ([\s\S]*)\.$/.exec(message)))
    return (
      m.cli_commander_too_many_arguments({
        command: match[1] === undefined ? '' : m.cli_commander_for_command({ name: match[1] }),
        expected: match[2]!,
        received: match[3]!,
        details: match[4]!,
      }) + end
    );
  if ((match = /^error: option '([^']*)' argument '([\s\S]*)' is invalid\. Allowed choices are ([\s\S]*)\.$/.exec(message)))
    return m.cli_commander_invalid_option_value({ flags: match[1]!, value: match[2]!, choices: match[3]! }) + end;
  return text;
}

/**
 * The "(choices: …, default: …)" commander adds after a description, in the user's language.
 * Only the part commander added is touched: the description itself comes from the catalogue.
 */
function extraInfo(full: string, description: string): string {
  if (getLocale() === 'en') return full;
  const extra = full.slice(description.length);
  if (!full.startsWith(description) || !/^ ?\(.*\)$/s.test(extra)) return full;
  const translated = extra
    .replace(/\bdefault: /g, () => `${m.cli_commander_default()} `)
    .replace(/\bchoices: /g, () => `${m.cli_commander_choices()} `);
  return description + translated;
}

/**
 * Commander's placeholders in a usage line ("kernellab [options] [command]", "info [options]") in
 * the user's language. Only those two words are touched: argument names (`<names...>`) are the
 * command's own and stay as they are.
 */
function usageTerms(usage: string): string {
  if (getLocale() === 'en') return usage;
  return usage
    .replace(/(^| )\[options\](?= |$)/g, (_, before: string) => `${before}[${m.cli_commander_options_term()}]`)
    .replace(/(^| )\[command\](?= |$)/g, (_, before: string) => `${before}[${m.cli_commander_command_term()}]`);
}

/** Help settings for configureHelp: cell widths, usage lines and option and argument descriptions with commander's additions translated. */
export const commanderHelp: Pick<Help, 'optionDescription' | 'argumentDescription' | 'commandUsage' | 'subcommandTerm' | 'displayWidth'> = {
  // Columns line up by terminal cells (Hangul takes two), as every table of the CLI does (format.ts's
  // displayWidth). string-width itself, not format.ts: the single-file agent packs this file (buildSea.ts)
  // and not format.ts, which loads the service.
  displayWidth(text: string): number {
    return stringWidth(text);
  },
  commandUsage(command: Command): string {
    return usageTerms(Help.prototype.commandUsage.call(this, command));
  },
  subcommandTerm(command: Command): string {
    return usageTerms(Help.prototype.subcommandTerm.call(this, command));
  },
  optionDescription(option: Option): string {
    return extraInfo(Help.prototype.optionDescription.call(this, option), option.description);
  },
  argumentDescription(argument: Argument): string {
    return extraInfo(Help.prototype.argumentDescription.call(this, argument), argument.description);
  },
};
