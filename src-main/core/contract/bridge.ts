import type { ErrorBody } from '../errors.ts';
import type { KernelLabEvent, MethodName } from './index.ts';

/** What one call returns across a process boundary: errors travel as values, never as rejections. */
export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

/**
 * `window.kernellab`, exposed by the Electron preload. In browser mode the renderer builds the
 * same shape over HTTP and Server-Sent Events, so views never know which shell they run in.
 */
export interface KernelLabBridge {
  invoke(method: MethodName, input: unknown): Promise<BridgeReply>;
  subscribe(listener: (event: KernelLabEvent) => void): () => void;
}
