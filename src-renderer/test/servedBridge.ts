/**
 * Vitest setup file for the renderer's state classes: the page's globals, backed by real things.
 * `window.kernellab` calls the `kernellab serve` the global setup started, over the same HTTP API
 * the page uses in browser mode; events are delivered by `emit` (the test plays the core's event
 * stream, so a test decides when a live update arrives). `localStorage` keeps items in memory.
 */
import { inject } from 'vitest';
import type { BridgeReply, KernelLabBridge, KernelLabEvent, MethodName } from '../../src-main/core/contract/index.ts';

// Also declared by the global setup (src-main/test/rendererGlobalSetup.ts), which the web tsconfig does not see.
declare module 'vitest' {
  export interface ProvidedContext {
    kernellab: { base: string; token: string };
  }
}

const { base, token } = inject('kernellab');
const listeners = new Set<(event: KernelLabEvent) => void>();

const bridge: KernelLabBridge = {
  async invoke(method: MethodName, input: unknown): Promise<BridgeReply> {
    const response = await fetch(`${base}/api/call/${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(input ?? {}),
    });
    return (await response.json()) as BridgeReply;
  },
  subscribe(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};

/** Delivers an event to the page's listeners, as the core's event stream would. */
export function emit(event: KernelLabEvent): void {
  for (const listener of listeners) listener(event);
}

class MemoryStorage implements Storage {
  readonly #items = new Map<string, string>();
  get length(): number {
    return this.#items.size;
  }
  clear(): void {
    this.#items.clear();
  }
  getItem(key: string): string | null {
    return this.#items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.#items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.#items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.#items.set(key, String(value));
  }
}

Object.assign(globalThis, { window: { kernellab: bridge }, localStorage: new MemoryStorage() });
