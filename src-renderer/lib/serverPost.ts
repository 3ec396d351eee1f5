/**
 * Browser mode's requests to `kernellab serve`. Apart from httpBridge.ts (which reads the page's
 * address and storage) so that it runs in Node too: i18n/pageErrors.test.ts drives it against a
 * real HTTP server.
 */
import type { BridgeReply } from '../../src-main/core/contract/index.ts';
import { noAnswer, notJsonAnswer } from './pageErrors.ts';

/**
 * A POST to `kernellab serve` and its JSON answer, as a bridge reply: no answer at all (the
 * browser's "Failed to fetch" when serve has stopped) and a body that is not JSON (a proxy's
 * error page) become errors that say so in the page's language.
 */
export async function postToServer(url: string, init: RequestInit): Promise<BridgeReply> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', credentials: 'same-origin', ...init });
  } catch (error) {
    return { ok: false, error: noAnswer(error instanceof Error ? error.message : String(error)) };
  }
  const text = await response.text();
  try {
    return JSON.parse(text) as BridgeReply;
  } catch {
    return { ok: false, error: notJsonAnswer(response.status, text) };
  }
}
