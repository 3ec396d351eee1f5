import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { methods, type MethodName, type PickedPath } from '../core/contract/index.ts';
import { dispatchIpc, dispatchPageLanguage, type ServiceCaller } from './ipcDispatch.ts';
import type { MainLanguage } from './language.ts';
import type { PathGrants } from './pathGrants.ts';

export const channelOf = (method: MethodName): string => `kl:${method}`;
export const eventChannel = 'kl:event';
/** Asks main to open the file dialog (see pathGrants.ts). */
export const pickPathsChannel = 'kl:pickPaths';
/** The page telling main its language, for the menu, dialogs and error boxes main shows (language.ts). */
export const pageLanguageChannel = 'kl:pageLanguage';

/**
 * One ipcMain handler per contract method (VS Code style: the service interface is the IPC
 * contract), plus the file dialog and the page's language. Every handler checks its sender first.
 */
export function registerIpc(
  service: ServiceCaller,
  isTrustedSender: (event: IpcMainInvokeEvent) => boolean,
  grants: PathGrants,
  choosePaths: (event: IpcMainInvokeEvent, kind: 'files' | 'folder') => Promise<string[]>,
  language: MainLanguage,
): () => void {
  const names = Object.keys(methods) as MethodName[];
  for (const name of names) {
    ipcMain.handle(channelOf(name), (event, input: unknown) => dispatchIpc(service, name, input, isTrustedSender(event), grants));
  }
  ipcMain.handle(pickPathsChannel, async (event, kind: unknown): Promise<PickedPath[]> => {
    if (!isTrustedSender(event)) throw new Error('The file dialog was asked for by an untrusted frame');
    if (kind !== 'files' && kind !== 'folder') throw new Error("pickPaths takes 'files' or 'folder'");
    return grants.grant(await choosePaths(event, kind));
  });
  ipcMain.handle(pageLanguageChannel, (event, locale: unknown, chosen: unknown) =>
    dispatchPageLanguage(language, locale, isTrustedSender(event), chosen),
  );
  return () => {
    names.forEach((name) => ipcMain.removeHandler(channelOf(name)));
    ipcMain.removeHandler(pickPathsChannel);
    ipcMain.removeHandler(pageLanguageChannel);
  };
}
