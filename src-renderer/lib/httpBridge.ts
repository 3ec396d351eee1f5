import type { BridgeReply, KernelLabBridge, KernelLabEvent, MethodName } from '../../src-main/core/contract/index.ts';
import { postToServer } from './serverPost.ts';

const tokenKey = 'kernellab.token';

/**
 * The token arrives once in the URL `kernellab serve` printed. Keep it for this tab and take it
 * out of the address bar so it does not end up in screenshots or history.
 */
function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(tokenKey, fromUrl);
    url.searchParams.delete('token');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(tokenKey);
}

/**
 * Browser mode's import: the chosen export file posted as it is to `/api/import/runs`, which
 * writes it to a temporary file and imports it from there a part at a time; the page never reads
 * the file into a string. Answers as a method call does.
 */
export async function uploadRunsExport(file: Blob): Promise<BridgeReply> {
  const token = sessionStorage.getItem(tokenKey);
  return postToServer('/api/import/runs', {
    headers: { 'Content-Type': 'application/json', ...(token && { Authorization: `Bearer ${token}` }) },
    body: file,
  });
}

/** Browser mode: the same bridge shape as the Electron preload, over HTTP JSON and SSE. */
export function createHttpBridge(): KernelLabBridge {
  const token = takeToken();
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let source: EventSource | undefined;
  const listeners = new Set<(event: KernelLabEvent) => void>();

  return {
    async invoke(method: MethodName, input: unknown): Promise<BridgeReply> {
      return postToServer(`/api/call/${method}`, { headers, body: JSON.stringify(input ?? {}) });
    },
    subscribe(listener) {
      listeners.add(listener);
      // The cookie set with the page carries the token: EventSource cannot send headers.
      source ??= new EventSource('/api/events', { withCredentials: true });
      source.onmessage = (message: MessageEvent<string>) => {
        const event = JSON.parse(message.data) as KernelLabEvent;
        for (const l of listeners) l(event);
      };
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          source?.close();
          source = undefined;
        }
      };
    },
  };
}
