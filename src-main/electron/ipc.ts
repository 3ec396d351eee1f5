import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { methods, type MethodName } from '../core/contract/index.ts';
import type { Service } from '../core/service.ts';
import { dispatchIpc } from './ipcDispatch.ts';

export const channelOf = (method: MethodName): string => `kl:${method}`;
export const eventChannel = 'kl:event';

/** One ipcMain handler per contract method (VS Code style: the service interface is the IPC contract). */
export function registerIpc(service: Service, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): () => void {
  const names = Object.keys(methods) as MethodName[];
  for (const name of names) {
    ipcMain.handle(channelOf(name), (event, input: unknown) => dispatchIpc(service, name, input, isTrustedSender(event)));
  }
  return () => names.forEach((name) => ipcMain.removeHandler(channelOf(name)));
}
