/**
 * Everything the CLI prints goes through this file. Run names, tags, notes, errors and file names
 * come from outside (an imported export, another user's sweep, a dataset file): printed raw, a
 * name holding ESC sequences recolours the terminal, sets its title (OSC), or hides text behind a
 * carriage return. Lint forbids console.* and process.std*.write elsewhere in src-main/cli.
 */
import stringWidth from 'string-width';
import type { AppInfo } from '../core/contract/index.ts';
import { writeExport, type ExportStream } from '../core/service.ts';
import { m } from '../../i18n/paraglide/messages.js';
import { getLocale } from '../../i18n/paraglide/runtime.js';
import { coreTextOf } from '../../i18n/coreText.ts';

/**
 * C0 controls except tab and newline, DEL, C1 controls (U+0080–U+009F: some terminals read
 * U+009B as CSI), and the bidirectional overrides and isolates that reorder what is shown.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const unsafe = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text made safe for a terminal: each control character becomes a visible stand-in that does
 * nothing — the Control Pictures symbol for C0 and DEL (ESC shows as ␛, CR as ␍), U+FFFD for
 * the rest — so a strange name still looks strange instead of acting on the terminal.
 */
export function terminalText(text: string): string {
  return text.replace(unsafe, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return '\ufffd';
  });
}

/**
 * JSON for a terminal without changing what it says: JSON.stringify already escapes C0, and the
 * other unsafe characters are written as \uXXXX escapes, which parse back to the same string.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(unsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A line of human-readable output on stdout. */
export function print(text: string): void {
  process.stdout.write(`${terminalText(text)}\n`);
}

/** A line on stderr: progress, notes, errors. */
export function printError(text: string): void {
  process.stderr.write(`${terminalText(text)}\n`);
}

/** A value as JSON on stdout (`--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${terminalJson(value)}\n`);
}

/**
 * File content (an export) on stdout: byte for byte when it goes to a pipe or a file, made safe
 * when stdout is a terminal.
 */
export function printData(content: string): void {
  const text = content.endsWith('\n') ? content : `${content}\n`;
  process.stdout.write(process.stdout.isTTY ? terminalText(text) : text);
}

/** An export on stdout a part at a time (issue 12), as printData prints a whole one. */
export async function printDataParts(stream: ExportStream): Promise<void> {
  const last = await writeExport(stream, process.stdout, { end: false, ...(process.stdout.isTTY && { map: terminalText }) });
  if (last !== '\n') process.stdout.write(process.stdout.isTTY ? terminalText('\n') : '\n');
}

/** Commander's own output (help, usage errors), through the same filter. */
export const commanderOutput = {
  writeOut: (text: string) => process.stdout.write(terminalText(text)),
  writeErr: (text: string) => process.stderr.write(terminalText(text)),
};

/**
 * The cells a text takes in a terminal: East Asian wide characters (Hangul, CJK) take two, so
 * a Korean header padded by string length leaves the columns after it out of line.
 */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** `text` followed by spaces up to `width` terminal cells (padEnd counts UTF-16 units instead). */
export function padEndDisplay(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - stringWidth(text)));
}

/** A plain text table: a header row, each column padded to its widest cell in terminal cells. */
export function textTable(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => stringWidth(r[i] ?? ''))));
  return cells
    .map((r) =>
      headers
        .map((_, i) => padEndDisplay(r[i] ?? '', widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatInfo(info: AppInfo): string {
  const label = (text: string) => `  ${padEndDisplay(text, 13)} `;
  const lines = [
    `KernelLab ${info.appVersion}`,
    `${label(m.cli_info_data_folder())}${info.dataDir}`,
    `${label('node')}${info.nodeVersion}${info.electronVersion ? `, electron ${info.electronVersion}` : ''}`,
    `${label('tfjs')}${info.tfjsVersion}`,
    `${label(m.cli_info_platform())}${m.cli_info_cpus({ platform: info.platform, cpus: info.cpus })}`,
    `  ${m.cli_info_backends()}`,
    // Why a backend does not load, coded like the auto line below: English as the core said it.
    ...info.backends.map(
      (b) => `    ${b.available ? '✓' : '✗'} ${b.name.padEnd(11)} ${getLocale() === 'en' ? b.detail : coreTextOf(b.detailCode, b.detail)}`,
    ),
    `${label(m.cli_info_runs_use())}${info.chosenBackend ?? m.cli_info_no_backend()}`,
    // English: the core's sentence exactly (scripts read it); another language: its coded form.
    `${label(m.cli_info_auto())}${info.auto.backend ?? m.cli_info_no_backend()}: ${getLocale() === 'en' ? info.auto.reason : coreTextOf(info.auto.reasonCode, info.auto.reason)}`,
  ];
  if (info.gpuHosts.length > 0) {
    lines.push(`  ${m.cli_info_browser_gpus()}`);
    for (const host of info.gpuHosts) {
      const when = m.cli_info_gpu_reported({ minutes: Math.max(0, Math.round((Date.now() - host.reportedAt) / 60_000)) });
      lines.push(`    ${host.host} (${when}${host.lending ? `, ${m.cli_info_gpu_lending()}` : ''})`);
      for (const a of host.adapters) lines.push(`      ${a.software ? '✗' : '✓'} ${a.device}`);
    }
  }
  return lines.join('\n');
}
