/**
 * Errors the page makes itself, not the core: no answer from `kernellab serve`, an answer that is
 * not its JSON, a file the browser could not read. In the page's language, with the browser's or
 * the proxy's own words after it as they came. No DOM here, so i18n/pageErrors.test.ts runs it in Node.
 */
import { m } from '../../i18n/paraglide/messages.js';
import type { ErrorBody } from '../../src-main/core/contract/index.ts';

/** fetch rejected: nothing answers (serve has stopped); `reason` is the browser's "Failed to fetch". */
export function noAnswer(reason: string): ErrorBody {
  return { code: 'unavailable', message: m.bridge_no_answer({ reason }) };
}

/** An answer that is not JSON, such as a proxy's error page: its status and the start of its body. */
export function notJsonAnswer(status: number, body: string): ErrorBody {
  return { code: 'internal', message: m.bridge_not_json({ status, body: body.slice(0, 200) }) };
}

/** Why a file could not be read, with the browser's own words (its DOMException) after it when it gives them. */
export function unreadableFile(cause: { message: string } | null): Error {
  return new Error(cause?.message ? m.file_read_failed_because({ reason: cause.message }) : m.file_read_failed());
}
