import type { z } from 'zod';
import type { ErrorBody, ErrorCode } from './contract/bridge.ts';

export type { ErrorBody, ErrorCode };

/** The one error type that crosses a process boundary; its message is meant for the user. */
export class KernelLabError extends Error {
  readonly code: ErrorCode;
  readonly issues: string[] | undefined;
  /** The question whose yes (`yes: true`) lets the same call go ahead (ErrorBody.confirm). */
  readonly confirm: string | undefined;

  constructor(code: ErrorCode, message: string, issues?: string[], options: { confirm?: string } = {}) {
    super(message);
    this.name = 'KernelLabError';
    this.code = code;
    this.issues = issues;
    this.confirm = options.confirm;
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.issues && { issues: this.issues }),
      ...(this.confirm !== undefined && { confirm: this.confirm }),
    };
  }
}

/** `layers.2.kernelSize: Too big` — the path first, so the user sees which field is wrong. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
}

export function invalidInput(what: string, error: z.ZodError): KernelLabError {
  const issues = formatIssues(error);
  return new KernelLabError('invalid_input', `Invalid ${what}: ${issues.join('; ')}`, issues);
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

/** Any thrown value as the body a shell sends back; unexpected errors keep their message but not their stack. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof KernelLabError) return error.toBody();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
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
