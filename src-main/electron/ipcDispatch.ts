import { isMethodName, type BridgeReply } from '../core/contract/index.ts';
import { KernelLabError, toErrorBody } from '../core/errors.ts';
import type { Service } from '../core/service.ts';
import type { MainLanguage } from './language.ts';
import type { PathGrants } from './pathGrants.ts';

/** What main needs of the service: calls. In the app they are answered by the service host (serviceClient.ts). */
export type ServiceCaller = Pick<Service, 'call'>;

/**
 * What one IPC call does, apart from Electron: refuse an untrusted sender or an unknown method,
 * then validate and dispatch through the service. Errors travel as values, because Electron
 * rewrites the message of a rejected invoke. Kept free of Electron imports so tests can feed it
 * any payload a compromised renderer could send.
 */
export async function dispatchIpc(
  service: ServiceCaller,
  method: string,
  input: unknown,
  trusted: boolean,
  grants?: PathGrants,
): Promise<BridgeReply> {
  try {
    if (!trusted) throw new KernelLabError('unauthorized', `IPC call ${method} from an untrusted frame was refused`);
    if (!isMethodName(method)) throw new KernelLabError('not_found', `Unknown method '${method}'`);
    // Paths in the desktop app are tokens from main's file dialog (see pathGrants.ts).
    const checked = grants ? grants.rewrite(method, input) : input;
    return { ok: true, result: await service.call(method, checked) };
  } catch (error) {
    return { ok: false, error: toErrorBody(error) };
  }
}

/**
 * The page telling main its language and whether it is the user's switch (language.ts): from our
 * own page only, and only a locale the catalogue speaks and true or false; anything else is
 * refused with words and main's language stays as it was.
 */
export function dispatchPageLanguage(
  language: Pick<MainLanguage, 'fromPage'>,
  input: unknown,
  trusted: boolean,
  chosen?: unknown,
): BridgeReply {
  if (!trusted)
    return { ok: false, error: toErrorBody(new KernelLabError('unauthorized', 'The page language from an untrusted frame was refused')) };
  return language.fromPage(input, chosen);
}
