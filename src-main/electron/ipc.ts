import { ipcMain, type IpcMainInvokeEvent } from 'electron';
import { methods, type BridgeReply, type MethodName } from '../core/contract/index.ts';
import { KernelLabError, toErrorBody } from '../core/errors.ts';
import type { Service } from '../core/service.ts';

export const channelOf = (method: MethodName): string => `kl:${method}`;
export const eventChannel = 'kl:event';

/**
 * One ipcMain handler per contract method (VS Code style: the service interface is the IPC
 * contract). Errors travel as values: Electron rewrites the message of a rejected invoke.
 */
export function registerIpc(service: Service, isTrustedSender: (event: IpcMainInvokeEvent) => boolean): () => void {
  const names = Object.keys(methods) as MethodName[];
  for (const name of names) {
    ipcMain.handle(channelOf(name), async (event, input: unknown): Promise<BridgeReply> => {
      try {
        if (!isTrustedSender(event)) throw new KernelLabError('unauthorized', `IPC call ${name} from an untrusted frame was refused`);
        return { ok: true, result: await service.call(name, input) };
      } catch (error) {
        return { ok: false, error: toErrorBody(error) };
      }
    });
  }
  return () => names.forEach((name) => ipcMain.removeHandler(channelOf(name)));
}
