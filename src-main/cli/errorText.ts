/**
 * An error as the CLI says it: in English the core's sentence exactly as it was (scripts match
 * it); in another language the coded form (contract/coreText.ts) through the catalogue, with the
 * field-named issues after it, and the English sentence where the core sent no code.
 */
import { catalogueWord, coreTextOf, errorBodyText, problemsOf, storedErrorText } from '../../i18n/coreText.ts';
import { getLocale } from '../../i18n/paraglide/runtime.js';
import type { CoreText, ProblemText } from '../core/contract/coreText.ts';
import { toErrorBody } from '../core/errors.ts';

/** A sentence the core stored or sent with its code (a run's error): English exactly as stored, another language from the code. */
export function storedSentence(code: CoreText | null | undefined, sentence: string): string {
  const locale = getLocale();
  return locale === 'en' ? sentence : coreTextOf(code, sentence, locale);
}

/** A run's stored error with the problems it lists: English exactly as stored, another language from its codes. */
export function storedError(run: { error: string; errorCode: CoreText | null; errorIssues: ProblemText[] | null }): string {
  const locale = getLocale();
  return locale === 'en' ? run.error : storedErrorText(run.error, run.errorCode, run.errorIssues, locale);
}

/** A sentence of problems (a sweep point's error): English exactly as sent, another language from the coded problems. */
export function storedProblems(codes: ProblemText[] | null | undefined, sentence: string): string {
  const locale = getLocale();
  return locale === 'en' ? sentence : problemsOf(sentence, codes, locale);
}

/**
 * A run's or a sweep's status as the CLI prints it: the page's word for it (status_*; 완료 for
 * completed), which in English is the status itself. `--json` keeps the status as it is.
 */
export function runStatusWord(status: string): string {
  return catalogueWord('status_', status);
}

export function errorText(error: unknown): string {
  const body = toErrorBody(error);
  const locale = getLocale();
  if (locale === 'en' || !body.messageCode) return body.message;
  return errorBodyText(body, locale);
}
