import { contextBridge, ipcRenderer } from 'electron';
import {
  methods,
  type BridgeReply,
  type KernelLabBridge,
  type KernelLabEvent,
  type MethodName,
  type PickedPath,
} from '../core/contract/index.ts';

const methodNames = new Set(Object.keys(methods));

/** The one object the renderer sees, checked against the bridge type the renderer codes to. */
const bridge = {
  invoke(method: MethodName, input: unknown): Promise<BridgeReply> {
    // Unknown channels throw here, before anything reaches main.
    if (!methodNames.has(method)) return Promise.reject(new Error(`Unknown KernelLab method '${String(method)}'`));
    return ipcRenderer.invoke(`kl:${method}`, input) as Promise<BridgeReply>;
  },
  pickPaths(kind: 'files' | 'folder'): Promise<PickedPath[]> {
    return ipcRenderer.invoke('kl:pickPaths', kind) as Promise<PickedPath[]>;
  },
  setPageLanguage(locale: string, chosen: boolean): Promise<BridgeReply> {
    return ipcRenderer.invoke('kl:pageLanguage', locale, chosen) as Promise<BridgeReply>;
  },
  subscribe(listener: (event: KernelLabEvent) => void): () => void {
    const handler = (_event: Electron.IpcRendererEvent, payload: KernelLabEvent) => listener(payload);
    ipcRenderer.on('kl:event', handler);
    return () => ipcRenderer.removeListener('kl:event', handler);
  },
} satisfies KernelLabBridge;

contextBridge.exposeInMainWorld('kernellab', bridge);
