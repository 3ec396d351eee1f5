/**
 * The preload of the desktop GPU host's hidden window (gpuHostWindow.ts): agent.* calls and a
 * status line, nothing else. Main checks that they come from that window and adds the agent
 * token; the window's page never sees it. Bundled, like preload.ts, into one sandboxed CJS file.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { BridgeReply } from '../core/contract/index.ts';

/** What the hidden window's page sees as `window.kernellabGpuHost` (src-renderer/gpuHost/main.ts). */
export interface GpuHostBridge {
  /** One agent.* call; errors come back as values, as the app's bridge answers them. */
  agent(method: string, input: unknown): Promise<BridgeReply>;
  /** The lending status in words, for main's log. */
  status(text: string): void;
  /** Whether this window offers a hardware GPU (then unpinned runs start it too). */
  offers(hardwareGpu: boolean): void;
}

const bridge = {
  agent(method: string, input: unknown): Promise<BridgeReply> {
    if (typeof method !== 'string' || !method.startsWith('agent.'))
      return Promise.reject(new Error(`Not an agent method: '${String(method)}'`));
    return ipcRenderer.invoke('kl-gpu:agent', method, input) as Promise<BridgeReply>;
  },
  status(text: string): void {
    ipcRenderer.send('kl-gpu:status', String(text).slice(0, 500));
  },
  offers(hardwareGpu: boolean): void {
    ipcRenderer.send('kl-gpu:offers', hardwareGpu === true);
  },
} satisfies GpuHostBridge;

contextBridge.exposeInMainWorld('kernellabGpuHost', bridge);
