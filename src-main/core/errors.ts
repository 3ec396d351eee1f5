import type { z } from 'zod';
import type { ErrorBody, ErrorCode } from './contract/bridge.ts';
import { coreText, coreTextParams, type CoreText, type CoreTextCode, type IssueText, type ProblemText } from './contract/coreText.ts';

/** Where JSON.parse stopped, for a shell's own refusal of a body that is not JSON (jsonComplaint.ts). */
export { jsonComplaint } from './jsonComplaint.ts';

export type { ErrorBody, ErrorCode };

/** The one error type that crosses a process boundary; its message is meant for the user. */
export class KernelLabError extends Error {
  readonly code: ErrorCode;
  readonly issues: string[] | undefined;
  /** The question whose yes (`yes: true`) lets the same call go ahead (ErrorBody.confirm). */
  readonly confirm: string | undefined;
  /** The message as a code with parameters, for the page (contract/coreText.ts); the English message stays. */
  readonly text: CoreText | undefined;
  /** The issues coded, one per issue in the same order. */
  readonly issueTexts: IssueText[] | undefined;
  /** The question coded (`confirm`'s coded form). */
  readonly confirmText: CoreText | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    issues?: string[],
    options: { confirm?: string; confirmText?: CoreText; text?: CoreText; issueTexts?: IssueText[] } = {},
  ) {
    super(message);
    this.name = 'KernelLabError';
    this.code = code;
    this.issues = issues;
    this.confirm = options.confirm;
    this.text = options.text;
    this.issueTexts = options.issueTexts;
    this.confirmText = options.confirmText;
  }

  /**
   * The issues as problems to store beside a run's error (migration 0017): each English issue with
   * its coded form; undefined when there are none, or the coded ones do not match them one to one.
   */
  problemTexts(): ProblemText[] | undefined {
    const { issues, issueTexts: texts } = this;
    if (!issues || !texts || issues.length === 0 || texts.length !== issues.length) return undefined;
    return issues.slice(0, 1000).map((sentence, i) => ({ sentence: sentence.slice(0, 4000), path: texts[i]!.path, text: texts[i]!.text }));
  }

  /**
   * The error again from its body, every field kept: the coded sentence, issues and question too
   * (the desktop app's main process receives the service's errors this way; dropping `confirm`
   * would leave the page no way to say yes).
   */
  static fromBody(body: ErrorBody): KernelLabError {
    return new KernelLabError(body.code, body.message, body.issues, {
      ...(body.confirm !== undefined && { confirm: body.confirm }),
      ...(body.confirmCode && { confirmText: body.confirmCode }),
      ...(body.messageCode && { text: body.messageCode }),
      ...(body.issueCodes && { issueTexts: body.issueCodes }),
    });
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues && { issues: this.issues }),
      ...(this.confirm !== undefined && { confirm: this.confirm }),
      ...(this.text && { messageCode: this.text }),
      ...(this.issueTexts && { issueCodes: this.issueTexts }),
      ...(this.confirmText && { confirmCode: this.confirmText }),
    };
  }
}

const issuePath = (issue: z.core.$ZodIssue) => (issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)');

/** `layers.2.kernelSize: Too big` — the path first, so the user sees which field is wrong. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${issuePath(issue)}: ${issue.message}`);
}

const listed = (values: readonly unknown[]) => values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');

/**
 * A zod issue as a code with parameters (contract/coreText.ts), from the issue's own kind; null
 * where only the English message says it (a refinement without a text code).
 */
export function issueText(issue: z.core.$ZodIssue): CoreText | null {
  switch (issue.code) {
    case 'invalid_type':
      // zod words a missing field "expected number, received undefined" (it keeps no input).
      return / received undefined$/.test(issue.message)
        ? coreText('issue_required', { expected: issue.expected })
        : coreText('issue_invalid_type', { expected: issue.expected });
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'string') return coreText('issue_too_long', { maximum });
      if (issue.origin === 'array' || issue.origin === 'set') return coreText('issue_too_many_items', { maximum });
      return issue.inclusive === false ? coreText('issue_too_big_exclusive', { maximum }) : coreText('issue_too_big', { maximum });
    }
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'string') return coreText('issue_too_short', { minimum });
      if (issue.origin === 'array' || issue.origin === 'set') return coreText('issue_too_few_items', { minimum });
      return issue.inclusive === false ? coreText('issue_too_small_exclusive', { minimum }) : coreText('issue_too_small', { minimum });
    }
    case 'invalid_value':
      return coreText('issue_invalid_value', { values: listed(issue.values) });
    case 'invalid_format':
      return coreText('issue_invalid_format', { format: issue.format });
    case 'not_multiple_of':
      return coreText('issue_not_multiple_of', { divisor: Number(issue.divisor) });
    case 'unrecognized_keys':
      return coreText('issue_unrecognized_keys', { keys: listed(issue.keys) });
    case 'invalid_union':
      return coreText('issue_invalid_union', {});
    case 'invalid_key':
    case 'invalid_element':
      return coreText('issue_invalid', {});
    case 'custom':
      return customIssueText(issue.params);
  }
  return null;
}

/** A refinement's own code: `params: { textCode: 'issue_…', …its parameters }`, checked like any CoreText. */
function customIssueText(params: Record<string, unknown> | undefined): CoreText | null {
  if (!params || typeof params.textCode !== 'string' || !Object.hasOwn(coreTextParams, params.textCode)) return null;
  const { textCode, ...rest } = params;
  const code = textCode as keyof typeof coreTextParams;
  const checked = coreTextParams[code].safeParse(rest);
  return checked.success ? ({ code, params: checked.data } as CoreText) : null;
}

/** Every issue coded, in order, with the field path the English issue names. */
export function issueTexts(error: z.ZodError): IssueText[] {
  return error.issues.map((issue) => ({ path: issuePath(issue), text: issueText(issue) }));
}

/**
 * Bad input, with each offending field named. `text` is the sentence's coded form; without one
 * the page says "Invalid input" in its language and lists the coded issues.
 */
export function invalidInput(what: string, error: z.ZodError, text: CoreText = coreText('error_invalid_input', {})): KernelLabError {
  const issues = formatIssues(error);
  return new KernelLabError('invalid_input', `Invalid ${what}: ${issues.join('; ')}`, issues, { text, issueTexts: issueTexts(error) });
}

/**
 * A thrown value as a sentence for a stored run error: zod's own message is its issues as JSON
 * (issue 12: a run ended with raw zod JSON as its error), so a ZodError gives its issues, the
 * field first.
 */
export function errorSentence(error: unknown): string {
  if (error instanceof Error && error.name === 'ZodError' && Array.isArray((error as z.ZodError).issues))
    return `Invalid value: ${formatIssues(error as z.ZodError).join('; ')}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Any thrown value as the body a shell sends back; unexpected errors keep their message but not their
 * stack, and a stray ZodError (a check inside the core, not the input's) gives its issues in words,
 * not zod's JSON.
 */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof KernelLabError) return error.toBody();
  return { code: 'internal', message: errorSentence(error) };
}

export const httpStatusOf: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unavailable: 503,
  internal: 500,
};

/**
 * A refusal with its coded form beside the English sentence (contract/coreText.ts), so the page and
 * a Korean CLI can say it in the user's language: `coded('conflict', \`Run ${id} is …\`, 'error_…', { id })`.
 */
export function coded<C extends CoreTextCode>(
  code: ErrorCode,
  message: string,
  textCode: C,
  params: z.infer<(typeof coreTextParams)[C]>,
  issues?: string[],
): KernelLabError {
  return new KernelLabError(code, message, issues, { text: coreText(textCode, params) });
}

/** `Run 7 does not exist`, with its coded form. */
export const runNotFound = (id: number): KernelLabError =>
  new KernelLabError('not_found', `Run ${id} does not exist`, undefined, { text: coreText('error_run_not_found', { id }) });

/** `Sweep 7 does not exist`, with its coded form. */
export const sweepNotFound = (id: number): KernelLabError =>
  new KernelLabError('not_found', `Sweep ${id} does not exist`, undefined, { text: coreText('error_sweep_not_found', { id }) });
