/**
 * Text made in the core, shown in the user's language: the core sends a code with parameters
 * beside its English sentence (src-main/core/contract/coreText.ts), and the page and the CLI
 * render the code through the catalogue's `core_<code>` message. An unknown code (a core newer
 * than this page) or a missing one shows the English sentence. Shared by the renderer
 * (src-renderer/lib/coreText.ts) and the CLI, so it imports only the catalogue and types.
 */
import { m } from './paraglide/messages.js';
import { getLocale } from './paraglide/runtime.js';
import type { CoreText, IssueText, ProblemText } from '../src-main/core/contract/coreText.ts';

const numberFormats = new Map<string, Intl.NumberFormat>();
/** A whole number with the locale's grouping: 40,000. */
function formatCount(n: number, locale: string): string {
  let f = numberFormats.get(locale);
  if (!f) numberFormats.set(locale, (f = new Intl.NumberFormat(locale)));
  return f.format(n);
}

type Locale = 'en' | 'ko';
type Message = (params: Record<string, string>, options: { locale: Locale }) => string;
/** The compiled messages by key, for codes that arrive as data (the key is checked before use). */
const byKey = m as unknown as Record<string, Message | undefined>;

/**
 * Where a dataset's files came from, as its manifest records it ('import', 'download: <source>, …'
 * where a source is a URL, 'mirror <URL or folder>' or 'earlier download'), in the locale's words.
 * The record stays English (it is data); the URLs and folders in it are shown as they are.
 */
export function datasetSourceText(source: string, locale: Locale = getLocale()): string {
  if (source === 'import') return m.dataset_source_import({}, { locale });
  const download = /^download: (.*)$/s.exec(source);
  if (!download) return source;
  const parts = download[1]!.split(', ').map((part) => {
    if (part === 'earlier download') return m.dataset_source_earlier({}, { locale });
    const mirror = /^mirror (.+)$/s.exec(part);
    return mirror ? m.dataset_source_mirror({ where: mirror[1]! }, { locale }) : part;
  });
  return m.dataset_source_download({ sources: parts.join(', ') }, { locale });
}

/** A whole number of seconds in the locale's words: 45 s, 3 min 10 s, 2 h 5 min (Korean 3분 10초). */
export function durationText(seconds: number, locale: Locale = getLocale()): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return m.format_duration_s({ s }, { locale });
  const min = Math.floor(s / 60);
  if (min < 60) return m.format_duration_min_s({ min, s: s % 60 }, { locale });
  return m.format_duration_h_min({ h: Math.floor(min / 60), min: min % 60 }, { locale });
}

/**
 * A measured time in the locale's words: under a second in ms, under a minute to a tenth of a
 * second, then as durationText (850 ms, 16.6 s, 3 min 10 s; Korean 850 ms, 16.6초, 3분 10초).
 * The page's tables and estimates and the CLI use it, so both say a time the same way.
 */
export function elapsedText(ms: number, locale: Locale = getLocale()): string {
  if (ms < 999.5) return m.format_duration_ms({ ms: Math.round(Math.max(0, ms)) }, { locale });
  const s = ms / 1000;
  // 59.96 s would print as "60.0 s": from there on it is a minute.
  if (s < 59.95) return tenthsOfSecondText(s, locale);
  return durationText(s, locale);
}

/** Seconds to a tenth, in the locale's unit (16.6 s, Korean 16.6초): where a table keeps seconds whatever their size. */
export function tenthsOfSecondText(seconds: number, locale: Locale = getLocale()): string {
  return m.format_duration_s({ s: seconds.toFixed(1) }, { locale });
}

/** Parameters that hold a word the catalogue has, by the prefix of its key: a run status ('completed'), a checkpoint kind ('best'), a step of opening the database ('opening'). */
const wordParams: Record<string, string> = { runStatus: 'status_', checkpointKind: 'checkpoint_', dbStep: 'db_step_' };

/**
 * A string parameter as the message shows it: `link`, where a file's link leads ('' for none),
 * as the label's "(a link to …)"; a word of `wordParams` in the locale (as it is when the
 * catalogue has no such word); anything else as it is.
 */
function wordText(name: string, value: string, locale: Locale): string {
  if (name === 'link') return value === '' ? '' : m.dataset_link_label({ target: value }, { locale });
  const prefix = wordParams[name];
  return prefix === undefined ? value : catalogueWord(prefix, value, locale);
}

/** The catalogue's word `<prefix><value>` in the locale ('status_' and 'completed': 완료), or `value` as it is when it has none. */
export function catalogueWord(prefix: string, value: string, locale: Locale = getLocale()): string {
  const key = `${prefix}${value}`;
  const word = Object.hasOwn(byKey, key) ? byKey[key] : undefined;
  return typeof word === 'function' ? word({}, { locale }) : value;
}

/**
 * A parameter as the message shows it: `…Seconds` as a duration, ids and indexes as they are (a
 * sweep's point 12345, layers[12]: the core's English prints them plain, and they name a thing
 * rather than count it), other whole numbers with the locale's grouping (40,000), fractions as the
 * core wrote them (a learning rate of 1e-5 must not round to 0).
 */
function paramText(name: string, value: SentParam, locale: Locale): string {
  if (Array.isArray(value)) return problemsOf('', value, locale);
  if (typeof value === 'string') return wordText(name, value, locale);
  if (name.endsWith('Seconds')) return durationText(value, locale);
  if (name === 'id' || name.endsWith('Id') || name === 'index' || !Number.isInteger(value)) return String(value);
  return formatCount(value, locale);
}

/**
 * Parameters that are lists of words inside a sentence, and how the core joined them: rendered
 * with Intl.ListFormat for the locale ("3, 4 and 5", "3, 4 및 5"; "queued or paused", "queued 또는
 * paused"). Lists after "one of:" stay as sent: a plain list reads right there in both languages.
 */
const listParams: Record<string, { separator: string; type: Intl.ListFormatType }> = {
  'error_run_cannot_become.allowed': { separator: ', ', type: 'disjunction' },
  'error_compare_runs_missing.ids': { separator: ', ', type: 'conjunction' },
  'error_export_runs_missing.ids': { separator: ', ', type: 'conjunction' },
  'error_axis_no_layer.types': { separator: '/', type: 'disjunction' },
};

const listFormats = new Map<string, Intl.ListFormat>();
/** A list of words in the locale's way: `items` as the core joined them with `separator`. */
export function listText(items: string, separator: string, type: Intl.ListFormatType, locale: Locale = getLocale()): string {
  const key = `${locale}:${type}`;
  let f = listFormats.get(key);
  if (!f) listFormats.set(key, (f = new Intl.ListFormat(locale, { type, style: 'long' })));
  return f.format(items.split(separator));
}

/** A parameter as the core sent it: a word, a number, or sentences inside the sentence (each coded, see ProblemText). */
type SentParam = string | number | ProblemText[];
/** What the core sent, loosely: a code this page may not know yet. */
type SentText = { code: string; params: Record<string, SentParam> } | CoreText;

/** The coded text in the locale, or `sentence` (the core's English) when there is none or the page does not know its code. */
export function coreTextOf(text: SentText | null | undefined, sentence: string, locale: Locale = getLocale()): string {
  if (!text) return sentence;
  const key = `core_${text.code}`;
  const message = Object.hasOwn(byKey, key) ? byKey[key] : undefined;
  if (typeof message !== 'function') return sentence;
  // An optional `link` (a dataset file named by a link) absent is no link.
  const params: Record<string, string> = { link: '' };
  for (const [name, value] of Object.entries(text.params) as [string, SentParam][]) {
    const list = listParams[`${text.code}.${name}`];
    params[name] = list && typeof value === 'string' ? listText(value, list.separator, list.type, locale) : paramText(name, value, locale);
  }
  return message(params, { locale });
}

/** A coded issue as `path: text` (the path as it is; a text that names its field itself has path ''), or null when not coded. */
function issueLine(c: IssueText, locale: Locale): string | null {
  const text = c.text ? coreTextOf(c.text, '', locale) : '';
  if (!text) return null;
  return c.path ? `${c.path}: ${text}` : text;
}

/**
 * Validation issues in the locale, `path: text` as the core writes them (the path as it is): each
 * coded issue rendered, the others (and all of them when nothing is coded) as the core's English.
 */
export function issuesOf(issues: string[], codes: IssueText[] | undefined, locale: Locale = getLocale()): string[] {
  if (!codes || codes.length !== issues.length) return issues;
  return codes.map((c, i) => issueLine(c, locale) ?? issues[i]!);
}

/**
 * A sentence made of problems joined with '; ' (a sweep point's error) in the locale: each coded
 * problem rendered, the others as their English; `sentence` when nothing is coded.
 */
export function problemsOf(sentence: string, codes: readonly ProblemText[] | null | undefined, locale: Locale = getLocale()): string {
  if (!codes || codes.length === 0) return sentence;
  return codes.map((c) => issueLine(c, locale) ?? c.sentence).join('; ');
}

/** An error body as the core sends it, loosely (contract/bridge.ts ErrorBody). */
interface SentError {
  message: string;
  messageCode?: SentText | undefined;
  issues?: string[] | undefined;
  issueCodes?: IssueText[] | undefined;
}

/**
 * An error in the locale: its coded text, followed by its issues only where the core's English
 * ends with them (`Invalid run: a: …; b: …`, a heading for its issues; `… knows (mnist: …; cifar10:
 * …)`, a sentence that lists them in parentheses); a sentence that names its field itself and lists
 * an issue only for forms stands alone. The English sentence where nothing is coded or the code is
 * unknown.
 */
export function errorBodyText(body: SentError, locale: Locale = getLocale()): string {
  const heading = coreTextOf(body.messageCode, body.message, locale);
  const issues = body.issues ?? [];
  if (!body.messageCode || heading === body.message || issues.length === 0) return heading;
  const listed = issues.join('; ');
  const said = () => issuesOf(issues, body.issueCodes, locale).join('; ');
  if (body.message.endsWith(`(${listed})`)) return `${heading} (${said()})`;
  return body.message.endsWith(listed) ? `${heading}: ${said()}` : heading;
}

/**
 * A run's stored error in the locale (runs.error, error_code, error_issues): its coded heading, and
 * after it the coded problems where the English lists them, as errorBodyText says a refusal. A
 * run from before the problems were stored shows its heading alone; one without a code, the English.
 */
export function storedErrorText(
  error: string,
  code: SentText | null | undefined,
  issues: ProblemText[] | null | undefined,
  locale: Locale = getLocale(),
): string {
  return errorBodyText(
    {
      message: error,
      messageCode: code ?? undefined,
      issues: issues?.map((p) => p.sentence),
      issueCodes: issues?.map(({ path, text }) => ({ path, text })),
    },
    locale,
  );
}
